#!/bin/bash
# Fuzzing at depth: runs every libFuzzer target of a build (or the ones named) for a
# number of executions or a time limit, whichever comes first, on a corpus that grows
# from run to run outside the repository, and prints one line per target: executions,
# their rate, the corpus size and coverage, and what it found. A finding (a crash, a
# leak, a sanitizer report, a timeout) keeps its input under the corpus directory's
# findings/ and makes the script fail. ctest's fuzz label only smoke-tests each target
# (docs/TESTING.md, "Fuzzing"); this is the long run.
#
#   scripts/fuzz-depth.sh [--runs N] [--max-time S] [--jobs J] [--corpus DIR]
#                         [--build DIR] [TARGET...]
#
# --runs      executions per target (default 10000000)
# --max-time  seconds per target at most (default 1200: the slow targets, the C37.118
#             stream and WebSocket frames, stop on time and say so)
# --jobs      targets run at once (default 1)
# --corpus    where the growing corpora live (default $XDG_CACHE_HOME/pmu-fuzz, else
#             ~/.cache/pmu-fuzz): DIR/<target>/ is a target's corpus, started from
#             the seeds in tests/fuzz/corpus/<target>/ and only added to
# --build     the build directory with the fuzz targets (default build/sim)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10000000 max_time=1200 jobs=1 corpus="" build=build/sim
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --max-time) max_time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz-depth: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$corpus" ] || corpus="${XDG_CACHE_HOME:-$HOME/.cache}/pmu-fuzz"
fuzz_dir="$build/tests/fuzz"
if [ ${#targets[@]} -eq 0 ]; then
  for seeds in tests/fuzz/corpus/*/; do targets+=("$(basename "$seeds")"); done
fi
for t in "${targets[@]}"; do
  [ -x "$fuzz_dir/$t" ] || { echo "fuzz-depth: $fuzz_dir/$t not built (cmake --build --preset sim)" >&2; exit 2; }
done
mkdir -p "$corpus"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

one() {
  local t=$1 dir="$corpus/$1" log="$logs/$1.log"
  mkdir -p "$dir" "$corpus/findings/$t"
  local rc=0 began
  began=$(date +%s.%N)
  # New inputs go to the growing corpus (the first directory); the seeds are read only.
  "$fuzz_dir/$t" -runs="$runs" -max_total_time="$max_time" -print_final_stats=1 -timeout=25 \
    -artifact_prefix="$corpus/findings/$t/" "$dir" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local execs rate cov files found
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(awk -v n="${execs:-0}" -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", n / (b - a) }')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  files=$(find "$dir" -type f | wc -l)
  found=$(find "$corpus/findings/$t" -type f -newer "$log.start" | wc -l)
  local stop="runs"
  [ "${execs:-0}" -lt "$runs" ] && stop="time"
  printf '%-22s %12s execs %8s/s  stopped on %-4s  coverage %5s  corpus %6s  findings %s%s\n' \
    "$t" "${execs:-?}" "${rate:-?}" "$stop" "${cov:-?}" "$files" "$found" \
    "$([ "$rc" -ne 0 ] && echo "  (exit $rc: $log kept in $corpus/findings/$t/)")"
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    cp "$log" "$corpus/findings/$t/"
    return 1
  fi
}

echo "fuzzing ${#targets[@]} targets: up to $runs executions or ${max_time} s each, $jobs at once; corpus $corpus"
status=0
running=0
for t in "${targets[@]}"; do
  touch "$logs/$t.log.start"
  one "$t" >"$logs/$t.line" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
for t in "${targets[@]}"; do cat "$logs/$t.line"; done
if [ "$status" -ne 0 ]; then
  echo "fuzz-depth: findings above; their inputs are in $corpus/findings/" >&2
fi
exit "$status"
