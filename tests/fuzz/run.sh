#!/bin/sh
# run.sh NAME SECONDS long|smoke: fuzzes build-fuzz/fuzz_NAME for SECONDS
# and prints one line: runs, coverage, speed, and any finding's file.
#
#   long   from build-fuzz/corpus-NAME, a copy of tests/fuzz/corpus/NAME
#          that keeps growing across runs (the committed seeds stay as
#          they are);
#   smoke  from a fresh copy of the seeds alone, so the run is bounded
#          and the same every time.
#
# A finding (crash, sanitizer report, leak, timeout, out of memory) is
# saved under build-fuzz/crash-NAME/ and makes the script exit 1; the
# whole libFuzzer log is build-fuzz/fuzz-NAME.log. Run from the top of
# the repository (the Makefile's fuzz and fuzz-smoke targets do).
set -u
name=$1 secs=$2 mode=$3
fz=build-fuzz
bin=$fz/fuzz_$name
seeds=tests/fuzz/corpus/$name
log=$fz/fuzz-$name.log
art=$fz/crash-$name/

# Inputs as long as the formats need: an envelope up to its 32 KiB cap
# and a little over, a batch of envelopes, a few frames, a small file,
# a command line.
case $name in
envelope) max=33000 ;;
apply) max=16384 ;;
sync) max=32768 ;;
config) max=8192 ;;
cli) max=2048 ;;
http) max=8192 ;;
*) echo "run.sh: unknown harness $name" >&2; exit 2 ;;
esac

if [ "$mode" = smoke ]; then
	corpus=$fz/smoke-$name
	rm -rf "$corpus"
else
	corpus=$fz/corpus-$name
fi
mkdir -p "$corpus" "$art"
for f in "$seeds"/*; do
	[ -e "$corpus/$(basename "$f")" ] || cp "$f" "$corpus/"
done
dict=
[ -f tests/fuzz/$name.dict ] && dict=-dict=tests/fuzz/$name.dict

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
"$bin" -max_total_time="$secs" -max_len=$max -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$art" -print_final_stats=1 \
    $dict "$corpus" >"$log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1 ft \2 corpus \3/p')
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
if [ $rc -eq 0 ] && [ -z "$crash" ]; then
	echo "fuzz_$name: ${runs:-?} runs in ${secs}s (${speed:-?} exec/s), ${cov:-cov ?}: no finding"
	exit 0
fi
echo "fuzz_$name: FINDING (exit $rc) after ${runs:-?} runs: ${crash:-no input saved} (log $log)"
exit 1
