#!/usr/bin/env bash
# pdc_ingest.sh [BUILD_DIR] [PMUS] [RATE] [SECONDS]
#
# PDC ingest: PMUS synthetic PMU streams at RATE frames/s (bench/c37_fleet serve, one
# thread) into `pdc c37 concentrate`, against a null reader that reads the same bytes
# and does nothing with them (c37_fleet read), both in this one invocation, in a
# private network namespace over its loopback. Reports each reader's frames per CPU
# second (frames per second one core could take) and the ratio. Then the same with
# CSV output into a pipe (decoding and formatting every frame). Bounded: 3 runs of SECONDS.
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
echo "== concentrate, CSV output into a pipe" >&2
# shellcheck disable=SC2086
csv=$(in_ns "$build/pdc/pdc" c37 concentrate $targets --format csv -d "$seconds" --json -t 10 2>/dev/null | tail -1)
wait
printf '%s\n' "$conc" | cut -c1-400 >&2
printf '%s\n' "$null" >&2
cat "/tmp/$ns.gen" >&2; rm -f "/tmp/$ns.gen"
tmp=$(mktemp -d)
printf '%s\n' "$conc" >"$tmp/conc"; printf '%s\n' "$null" >"$tmp/null"; printf '%s\n' "$csv" >"$tmp/csv"
/usr/bin/python3 - "$tmp/conc" "$tmp/null" "$tmp/csv" "$pmus" "$rate" <<'PY'
import json, sys
conc, null, csv = (json.load(open(a)) for a in sys.argv[1:4])
offered = int(sys.argv[4]) * int(sys.argv[5])
def rate(o): return o["frames"] / o["cpu_seconds"]
print(f"offered load:                 {offered} frames/s ({sys.argv[4]} PMUs x {sys.argv[5]}/s)")
print(f"concentrate (no output):      {conc['frames']} frames in {conc['cpu_seconds']:.2f} CPU s = {rate(conc):.0f} frames per CPU second; "
      f"{conc['sets']} sets, {conc['complete']} complete, {conc['late']} late, {conc['missing']} missing")
print(f"null reader:                  {null['frames']:.0f} frames in {null['cpu_seconds']:.2f} CPU s = {rate(null):.0f} frames per CPU second")
print(f"concentrate, CSV output:      {csv['frames']} frames in {csv['cpu_seconds']:.2f} CPU s = {rate(csv):.0f} frames per CPU second")
print(f"ratio concentrate/null, CPU per frame: {rate(null) / rate(conc):.2f} (CSV: {rate(null) / rate(csv):.2f}); "
      f"one core takes {rate(conc) / offered:.1f}x this load")
PY
rm -rf "$tmp"
