#!/usr/bin/env bash
# demo.sh: a live demo county on this machine (make demo).
#
# deploy/sample.py builds county qianyang: town qianyang/cuimu with its 14
# villages and 4 departments, the county's 司法局, and last month's cases
# (84 disputes, published figures). Every node then runs as a gridnode
# daemon on loopback, linked by CurveZMQ. The town's daemon signs its
# rollups for the county and auto-whistles what has been overdue for a day;
# one new dispute is walked up and settled through the network; village
# shangzhai is cut off (its daemon stopped) while work for it goes on, is
# brought back, and catches up; the county reads last month's figures from
# the town's signed rollups. Every daemon also serves its web dashboard on
# loopback (an [http] section and one operator token per node); the demo
# ends by printing the dashboards' URLs and keeps the county running until
# Ctrl-C. Every process started here is stopped then, by pid.
#
# Usage: GRIDNODE=build/gridnode bash deploy/demo.sh
#   DEMO_KEEP=1     keep the temp dir with every node's data and log
#   DEMO_SECONDS=N  stop by itself N seconds after printing the URLs (0: at
#                   once; for CI); unset: run until Ctrl-C or SIGTERM
#   DEMO_INFO=FILE  once everything is up, write {"work", "month", "nodes":
#                   {PATH: {"url", "token", "data"}}} there (removed again
#                   when the demo stops); tests/integration/test_browser.py
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GRIDNODE=${GRIDNODE:-$here/../build/gridnode}
PY=/usr/bin/python3
[[ -x $GRIDNODE ]] || { echo "demo: gridnode not found at $GRIDNODE (run make)" >&2; exit 1; }
[[ ${DEMO_SECONDS:-0} =~ ^[0-9]+$ ]] || { echo "demo: DEMO_SECONDS must be a whole number of seconds" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gridsync-demo.XXXXXX")
declare -A dir pid port http token name
nodes=()
sleeper=

stop() {   # stop NODE: SIGTERM, then wait for it
	local n=$1
	[[ -n ${pid[$n]:-} ]] || return 0
	kill "${pid[$n]}" 2>/dev/null || true
	wait "${pid[$n]}" 2>/dev/null || true
	pid[$n]=
}
cleanup() {
	[[ -n $sleeper ]] && kill "$sleeper" 2>/dev/null
	for n in "${nodes[@]}"; do stop "$n"; done
	[[ -n ${DEMO_INFO:-} ]] && rm -f "$DEMO_INFO"
	if [[ ${DEMO_KEEP:-0} == 1 ]]; then echo "demo: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export GRIDNODE_ACTOR=demo
gn() { local n=$1; shift; "$GRIDNODE" "$@" --data "${dir[$n]}"; }
jget() { $PY -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
step() { printf '\n== %s\n   %s\n' "$1" "$2"; }
# N distinct free loopback ports, one per line, below the kernel's ephemeral
# range: a port from bind(0) is ephemeral, and a daemon's outgoing
# connection could take it before the daemon meant for it listens there.
freeports() {
	$PY -c 'import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
got = set()
while len(got) < int(sys.argv[1]):
    p = random.randint(20000, low - 1)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); got.add(p)
    except OSError:
        pass
    s.close()
print("\n".join(map(str, got)))' "$1"
}

# wait_for DESC CMD...: poll until CMD succeeds, at most 60 s.
wait_for() {
	local desc=$1 t0=$SECONDS
	shift
	until "$@" >/dev/null 2>&1; do
		if (( SECONDS - t0 > 60 )); then echo "demo: timed out waiting for $desc" >&2; exit 1; fi
		sleep 0.2
	done
	printf '   ✓ %s (%d s)\n' "$desc" $((SECONDS - t0))
}
has_case() { gn "$1" show "$2"; }
status_is() { [[ $(gn "$1" show "$2" --json | jget 'd["status"]') == "$3" ]]; }
same_digest() {
	local a b
	a=$(gn "$1" digest --scope "$3" --json | jget 'd["digest"]')
	b=$(gn "$2" digest --scope "$3" --json | jget 'd["digest"]')
	[[ $a == "$b" ]]
}

start() {   # start NODE (gridnode itself, so $! is the daemon's pid)
	local n=$1
	"$GRIDNODE" run --data "${dir[$n]}" --config "$work/${n//\//_}.ini" \
	    </dev/null >/dev/null 2>>"$work/${n//\//_}.log" &
	pid[$n]=$!
}

step "生成演示县：乾阳县翠木镇，14个村、5个部门，上月案件" \
    "Building the demo county with last month's cases (deploy/sample.py)"
$PY "$here/sample.py" --gridnode "$GRIDNODE" --out "$work/county" | sed 's/^/   /'
while IFS='|' read -r p d nm; do
	nodes+=("$p"); dir[$p]=$d; name[$p]=$nm
done < <($PY -c 'import json,sys
for n in json.load(open(sys.argv[1]))["nodes"]: print(n["path"] + "|" + n["dir"] + "|" + n["name"])' "$work/county/county.json")
month=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["month"])' "$work/county/county.json")

step "启动${#nodes[@]}个守护进程并联网" "Starting ${#nodes[@]} gridnode daemons on loopback"
# Every node serves its dashboard on its own loopback port, and gets one
# operator (the actor of what is done through its dashboard). All ports
# come from one call, so no two are the same.
mapfile -t ports < <(freeports $((${#nodes[@]} + 2)))
port[qianyang]=${ports[0]}; port[qianyang/cuimu]=${ports[1]}
for i in "${!nodes[@]}"; do
	n=${nodes[$i]}
	http[$n]=${ports[$((i + 2))]}
	case $n in
	*/@*) op=局值班 ;;
	*/*/*) op=村网格员 ;;
	*/*) op=值班员 ;;
	*) op=县指挥中心 ;;
	esac
	token[$n]=$(gn "$n" operator add "$op")
done
link='[link]
heartbeat_ms = 200
timeout_ms = 1000'
for n in "${nodes[@]}"; do
	{
		[[ -n ${port[$n]:-} ]] && printf '[node]\nlisten = tcp://127.0.0.1:%s\n' "${port[$n]}"
		[[ $n == */* ]] && printf '[parent]\nendpoint = tcp://127.0.0.1:%s\n' "${port[${n%/*}]}"
		printf '%s\n' "$link"
		printf '[http]\nlisten = 127.0.0.1:%s\n' "${http[$n]}"
		# The town signs rollups every 2 s here (60 s by default) and
		# whistles to the county what has been overdue for a day.
		[[ $n == qianyang/cuimu ]] && printf '[policy]\nrollup_seconds = 2\nauto_whistle_hours = 24\n'
	} >"$work/${n//\//_}.ini"
done
for n in "${nodes[@]}"; do start "$n"; done
printf '   %d daemons, pids %s\n' "${#nodes[@]}" "$(for n in "${nodes[@]}"; do printf '%s ' "${pid[$n]}"; done)"
up() { [[ $(gn "$1" peers --json | jget 'all(p["connected"] for p in d) and len(d) > 0') == True ]]; }
all_up() { for n in "${nodes[@]:1}"; do up "$n" || return 1; done; }
wait_for "all villages and departments linked to their parents" all_up

step "0. 镇守护进程：上月逾期超过一天的案件自动吹哨至县" \
    "0. The town's daemon whistles last month's cases overdue for over a day up to the county"
auto() { [[ $(gn qianyang list --json | jget 'len([c for c in d if c["level"] == "qianyang"])') -ge 3 ]]; }
wait_for "the county holds the auto-whistled cases" auto
gn qianyang list --level county | sed 's/^/   /'

x=qianyang/cuimu/xiazhai t=qianyang/cuimu p=qianyang/cuimu/@police s=qianyang/cuimu/shangzhai
step "1. 下寨村网格员上报宅基地边界纠纷" "1. A grid worker in xiazhai reports a house-plot boundary dispute"
case=$(gn $x report --category 邻里纠纷 --title 宅基地边界纠纷 --severity complex \
    --desc "三组王家新砌院墙，李家称墙基占了自家宅基地约半米" --grid 三组网格 --reporter 李桂兰)
echo "   case / 案件: $case"
wait_for "the town command center holds it" has_case $t "$case"

step "2. 村调解未果，网格吹哨" "2. Village mediation fails; the village whistles it up to the town"
gn $x whistle "$case" --reason 村调委会两次调解未果 >/dev/null
level() { [[ $(gn "$1" show "$2" --json | jget 'd["level"]') == "$3" ]]; }
wait_for "the town sees itself as the handling level" level $t "$case" $t

step "3. 镇指挥中心派单给派出所" "3. The town dispatches it to the police station (report in within 30 minutes)"
gn $t dispatch "$case" --to @police --ack-hours 0.5 --resolve-hours 72 >/dev/null
wait_for "the police station receives the whole case" has_case $p "$case"

step "4. 派出所报到、调解办结" "4. The police station reports in and settles it by mediation"
gn $p ack "$case" --note 已到现场 >/dev/null
gn $p resolve "$case" --outcome mediated --note "以原界桩为准，双方签订调解协议" >/dev/null
wait_for "the village sees it resolved" status_is $x "$case" resolved

step "5. 村里回访：满意，结案" "5. The village follows up: satisfied; the case closes everywhere"
gn $x followup "$case" --satisfaction satisfied >/dev/null
wait_for "the police station sees it closed" status_is $p "$case" closed
gn $t show "$case"

step "6. 上寨村断网（停止守护进程），工作照常进行" "6. Village shangzhai goes offline while work for it continues"
stop $s
task=$(gn $t report --for $s --category 安全隐患 --title "排查村道危桥" --severity simple)
gn qianyang notice --title "冬季防火通知" --body "各村即日起开展冬季防火排查" >/dev/null
local_case=$(gn $s report --category 民生诉求 --title "低保申请咨询")
echo "   task for shangzhai (written while it is offline): $task"
echo "   shangzhai's own report (written offline): $local_case"
down() { [[ $(gn $t peers --json | jget '[p["connected"] for p in d if p["path"] == "'$s'"][0]') == False ]]; }
wait_for "the town sees shangzhai's link down" down
gn $t peers | grep -A2 "^$s" || true

step "7. 上寨村恢复联网，自动补齐" "7. Shangzhai comes back and catches up"
start $s
wait_for "shangzhai holds the town's task" has_case $s "$task"
wait_for "the town holds shangzhai's offline report" has_case $t "$local_case"
wait_for "shangzhai and the town agree on shangzhai's cases" same_digest $s $t $s

step "8. 摘要比对" "8. Digests of village xiazhai's scope on every node that holds the dispute"
for n in $x $t $p; do
	printf '   %-28s %s\n' "$n" "$(gn "$n" digest --scope $x)"
done
same_digest $x $t $x && same_digest $x $p $x && echo "   all digests match / 摘要全部一致"
printf '   %-28s %s\n' qianyang "$(gn qianyang show "$case" >/dev/null 2>&1 && echo holds it || echo '无此案件 (not escalated to the county)')"

step "9. 县里看上月数字：各镇签名统计之和" "9. The county's figures for $month: the sum of the town's signed rollups"
rolled() { [[ $(gn qianyang stats --period "$month" --json | jget 'd["total"]["received"]') == \
    $(gn qianyang/cuimu stats --period "$month" --json | jget 'd["total"]["received"]') ]]; }
wait_for "the county's rollup sum reaches the town's count" rolled
gn qianyang stats --period "$month" --by category | sed 's/^/   /'
echo "   镇里自己的统计 the town's own count:"
gn qianyang/cuimu stats --period "$month" | sed 's/^/   /'

step "10. 月度排查报告与通知已阅" "10. Monthly check reports and notice read receipts, as the county sees them"
gn qianyang checks --period "$month" | tail -1 | sed 's/^/   /'
gn qianyang notices | grep -v '^    ' | sed 's/^/   /'

for n in "${nodes[@]}"; do gn "$n" verify >/dev/null; done
echo
echo "   gridnode verify passes on all ${#nodes[@]} nodes"

step "11. 指挥中心网页（中文，右上角可切换英文）" \
    "11. The dashboards of the demo county (Chinese; the button at the top right switches to English)"
# lines "PATH|URL|TOKEN|DIR" for the readiness check and DEMO_INFO
info_lines() {
	for n in "${nodes[@]}"; do
		printf '%s|http://127.0.0.1:%s/|%s|%s\n' "$n" "${http[$n]}" "${token[$n]}" "${dir[$n]}"
	done
}
dashboards_up() {
	info_lines | $PY -c 'import json, sys, urllib.request
for line in sys.stdin:
    p, url, tok, _ = line.rstrip("\n").split("|")
    rq = urllib.request.Request(url + "api/whoami", headers={"Authorization": "Bearer " + tok})
    with urllib.request.urlopen(rq, timeout=2) as r:
        assert json.load(r)["path"] == p'
}
wait_for "every node's dashboard answers with its operator's token" dashboards_up
if [[ -n ${DEMO_INFO:-} ]]; then
	info_lines | $PY -c 'import json, os, sys
nodes = {}
for line in sys.stdin:
    p, url, tok, d = line.rstrip("\n").split("|")
    nodes[p] = {"url": url, "token": tok, "data": d}
out = sys.argv[1]
with open(out + ".tmp", "w") as f:
    json.dump({"work": sys.argv[2], "month": sys.argv[3], "nodes": nodes}, f,
              ensure_ascii=False, indent=1)
os.replace(out + ".tmp", out)' "$DEMO_INFO" "$work" "$month"
	echo "   DEMO_INFO: $DEMO_INFO"
fi
for n in qianyang qianyang/cuimu qianyang/cuimu/xiazhai qianyang/cuimu/beipo \
    qianyang/cuimu/shangzhai qianyang/cuimu/@police; do
	printf '   %-24s http://127.0.0.1:%s/#token=%s  %s\n' "$n" "${http[$n]}" "${token[$n]}" "${name[$n]}"
done
info_lines | while IFS='|' read -r p u tk d; do printf '%s %s#token=%s\n' "$p" "$u" "$tk"; done >"$work/dashboards.txt"
echo "   (all ${#nodes[@]} dashboards: $work/dashboards.txt; tokens made by 'gridnode operator add')"
secs=${DEMO_SECONDS:-}
if [[ $secs != 0 ]]; then
	if [[ -z $secs ]]; then
		echo "   演示运行中，按 Ctrl-C 停止 / running until Ctrl-C"
		sleep infinity &
	else
		echo "   演示将在 ${secs} 秒后停止 / stopping in ${secs} s"
		sleep "$secs" &
	fi
	sleeper=$!
	# wait, unlike a sleep in the foreground, lets the INT/TERM trap run at once
	wait "$sleeper" || true
	sleeper=
fi
