#!/usr/bin/env bash
# pdc_ingest.sh [BUILD_DIR] [PMUS] [RATE] [SECONDS]
#
# PDC ingest: PMUS synthetic PMU streams at RATE frames/s (bench/c37_fleet serve, one
# thread) into `pdc c37 concentrate`, against a null reader that reads the same bytes
# and does nothing with them (c37_fleet read), both in this one invocation, in a
# private network namespace over its loopback. Reports each reader's frames per CPU
# second (frames per second one core could take) and the ratio. Then the same with
# CSV output to /dev/null (decoding every frame for output). Bounded: 3 runs of SECONDS.
# Defaults: 1000 PMUs, 60 frames/s, 10 s: the project's goal is 1000 x 60 on one core.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
pmus=${2:-1000} rate=${3:-60} seconds=${4:-10}
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
for f in pdc/pdc bench/c37_fleet; do
  [ -x "$build/$f" ] || { echo "pdc_ingest: $build/$f missing; build the sim preset first" >&2; exit 2; }
done
ns="pmu-ingest-$$"
cleanup() { ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
base=20000
targets=$(for i in $(seq 0 $((pmus - 1))); do printf '127.0.0.1:%d ' $((base + i)); done)
in_ns() { ip netns exec "$ns" "$@"; }

in_ns "$build/bench/c37_fleet" serve "$pmus" "$rate" "$base" $((3 * seconds + 15)) >"/tmp/$ns.gen" &
sleep 1
echo "== concentrate, no output ($pmus PMUs x $rate/s, ${seconds}s)" >&2
# shellcheck disable=SC2086
conc=$(in_ns "$build/pdc/pdc" c37 concentrate $targets --format none -d "$seconds" --json -t 10 | tail -1)
sleep 1
echo "== null reader" >&2
null=$(in_ns "$build/bench/c37_fleet" read "$pmus" "$base" "$seconds")
sleep 1
echo "== concentrate, CSV to /dev/null" >&2
# shellcheck disable=SC2086
csv=$(in_ns "$build/pdc/pdc" c37 concentrate $targets --format csv -d "$seconds" --json -t 10 2>/dev/null | tail -1)
wait
field() { printf '%s' "$1" | sed -n "s/.*\"$2\": \([0-9.e+-]*\).*/\1/p" | head -1; }
printf '%s\n' "$conc" | cut -c1-400 >&2
printf '%s\n' "$null" >&2
cat "/tmp/$ns.gen" >&2; rm -f "/tmp/$ns.gen"
awk -v cf="$(field "$conc" frames)" -v cc="$(field "$conc" cpu_seconds)" -v sets="$(field "$conc" sets)" \
    -v comp="$(field "$conc" complete)" -v late="$(field "$conc" late)" -v miss="$(field "$conc" missing)" \
    -v nf="$(field "$null" frames)" -v nc="$(field "$null" cpu_seconds)" \
    -v xf="$(field "$csv" frames)" -v xc="$(field "$csv" cpu_seconds)" -v offered="$((pmus * rate))" 'BEGIN {
  printf "offered load:                 %d frames/s (%s PMUs)\n", offered, '"$pmus"'
  printf "concentrate (no output):      %d frames in %.2f CPU s = %.0f frames per CPU second; %d sets, %d complete, %d late, %d missing\n", cf, cc, cf / cc, sets, comp, late, miss
  printf "null reader:                  %d frames in %.2f CPU s = %.0f frames per CPU second\n", nf, nc, nf / nc
  printf "concentrate, CSV output:      %d frames in %.2f CPU s = %.0f frames per CPU second\n", xf, xc, xf / xc
  printf "ratio concentrate/null (CPU per frame): %.2f; headroom at this load: %.1fx one core\n", (cc / cf) / (nc / nf), (cf / cc) / offered
}'
