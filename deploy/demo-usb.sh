#!/usr/bin/env bash
# demo.sh: a demo county on one machine, one dispute walked up and settled.
#
# Builds county qianyang, town qianyang/cuimu, villages xiazhai and
# shangzhai and the town's police station qianyang/cuimu/@police, each a
# gridnode data directory in a temp dir. Changes travel between neighbours
# as files (export --for NEIGHBOUR / import), the way a village terminal
# without a link would carry them. At the end every node holding the case
# must have the same digest for village xiazhai's scope.
#
# Usage: GRIDNODE=build/gridnode bash deploy/demo-usb.sh   (DEMO_KEEP=1 keeps
# the temp dir)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GRIDNODE=${GRIDNODE:-$here/../build/gridnode}
if [[ ! -x $GRIDNODE ]]; then
	echo "demo: gridnode not found at $GRIDNODE (run make first)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gridsync-demo.XXXXXX")
cleanup() {
	if [[ ${DEMO_KEEP:-0} == 1 ]]; then
		echo "demo: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

export GRIDNODE_ACTOR=demo
declare -A dir key upto
nfile=0

# gn NODE VERB ARGS...: run gridnode on NODE's data directory.
gn() {
	local node=$1
	shift
	"$GRIDNODE" "$@" --data "${dir[$node]}"
}

# jfield NAME: the string or number value of "NAME" in the JSON on stdin.
jfield() {
	sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' |
	    head -n 1
}

step() {
	printf '\n== %s\n   %s\n' "$1" "$2"
}

# move FROM TO: carry FROM's changes for TO since the last move as a file.
move() {
	local from=$1 to=$2 f out
	nfile=$((nfile + 1))
	f=$work/files/$(printf '%03d' $nfile)-${from##*/}-to-${to##*/}.gsf
	out=$(gn "$from" export --for "$to" --since "${upto[$from:$to]:-0}" \
	    --out "$f" --json)
	upto[$from:$to]=$(jfield upto <<<"$out")
	printf '   %s -> %s: %s changes; ' "$from" "$to" \
	    "$(jfield changes <<<"$out")"
	gn "$to" import "$f"
}

mkdir -p "$work/files" "$work/nodes"

step "建立演示县：县、镇、两个村、派出所" \
     "Building the demo county: county, town, two villages, police station"
nodes=(qianyang qianyang/cuimu qianyang/cuimu/xiazhai
    qianyang/cuimu/shangzhai qianyang/cuimu/@police)
for p in "${nodes[@]}"; do
	dir[$p]=$work/nodes/${p//\//_}
	if [[ $p == qianyang ]]; then
		key[$p]=$(gn "$p" init --path "$p" --json | jfield key)
	else
		key[$p]=$(gn "$p" init --path "$p" --root-key "${key[qianyang]}" \
		    --json | jfield key)
		parent=${p%/*}
		gn "$parent" enroll "$p" "${key[$p]}" \
		    --out "$work/files/join-${p##*/}.bundle" >/dev/null
		gn "$p" join "$work/files/join-${p##*/}.bundle" >/dev/null
	fi
	printf '   %-26s %s\n' "$p" "${key[$p]}"
done

V=qianyang/cuimu/xiazhai
T=qianyang/cuimu
P=qianyang/cuimu/@police

step "1. 网格员上报：宅基地边界纠纷（邻里纠纷）" \
     "1. The grid worker in xiazhai reports a house-plot boundary dispute"
case_id=$(GRIDNODE_ACTOR=网格员张秀英 gn $V report --category 邻里纠纷 \
    --title "宅基地边界纠纷" \
    --desc "三组王家新砌院墙，李家称墙基向东占了自家宅基地约半米，两家多次争吵，险些动手。" \
    --grid 三组网格 --reporter 李桂兰 --severity complex)
echo "   case / 案件编号: $case_id"
move $V $T

step "2. 村调委会调解未果，网格吹哨，上报到镇" \
     "2. Village mediation fails; the village whistles the case up to the town"
GRIDNODE_ACTOR=村支书王建国 gn $V whistle "$case_id" \
    --reason "村调委会两次调解未果，需镇里协调国土所复测界址" >/dev/null
move $V $T

step "3. 镇指挥中心派单给派出所（30分钟内报到，3天内办结）" \
     "3. The town command center dispatches to the police station"
GRIDNODE_ACTOR=指挥中心刘洋 gn $T dispatch "$case_id" --to @police \
    --ack-hours 0.5 --resolve-hours 72 \
    --note "请派出所会同国土所到现场，防止矛盾激化" >/dev/null
move $T $P

step "4. 派出所报到" "4. The police station reports in (报到)"
GRIDNODE_ACTOR=民警陈刚 gn $P ack "$case_id" --note "已到现场" >/dev/null
move $P $T

step "5. 联合调解成功，办结" "5. Joint mediation succeeds; the case is resolved"
GRIDNODE_ACTOR=民警陈刚 gn $P resolve "$case_id" --outcome mediated \
    --note "国土所复测后以原界桩为准，王家拆除越界部分，双方签订调解协议" \
    >/dev/null
move $P $T
move $T $V

step "6. 村里回访当事人：满意，结案" \
     "6. The village follows up with both households: satisfied, case closed"
GRIDNODE_ACTOR=网格员张秀英 gn $V followup "$case_id" \
    --satisfaction satisfied --note "两户均表示满意，院墙已按协议整改" \
    >/dev/null
move $V $T
move $T $P

step "小事不出村、大事不出镇：县和上寨村看不到这起案件" \
     "Scope: the county and village shangzhai never receive this case"
move $T qianyang/cuimu/shangzhai
move $T qianyang
for n in qianyang/cuimu/shangzhai qianyang; do
	if gn "$n" show "$case_id" >/dev/null 2>&1; then
		echo "demo: $n should not hold $case_id" >&2
		exit 1
	fi
	printf '   %-26s 无此案件 / does not hold the case\n' "$n"
done

holders=($V $T $P)
for n in "${holders[@]}"; do
	step "案件详情 @ $n" "The case as node $n shows it"
	gn "$n" show "$case_id"
done

step "摘要比对（范围 $V）" "Digests of scope $V on every node that holds the case"
want=
ok=1
for n in "${holders[@]}"; do
	d=$(gn "$n" digest --scope $V)
	printf '   %-26s %s\n' "$n" "$d"
	if [[ -z $want ]]; then
		want=$d
	elif [[ $d != "$want" ]]; then
		ok=0
	fi
done
if [[ $ok != 1 ]]; then
	echo "demo: digests differ / 摘要不一致" >&2
	exit 1
fi
echo "   all digests match / 摘要全部一致"
