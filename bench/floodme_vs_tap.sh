#!/usr/bin/env bash
# floodme_vs_tap.sh [BUILD_DIR] [RUNS]
#
# Floodme throughput through the simulator, as a ratio of the ceiling of the TAP link
# itself, both measured in this one invocation on this machine:
#   1. a simulated PMU in a private namespace; `pdc floodme -n 256 MiB`, RUNS times;
#   2. tap_ceiling in a second private namespace: MTU-size frames written into a TAP
#      device as fast as one thread can, received by a UDP socket, RUNS times.
# Prints the medians and the ratio (payload bytes per second). Bounded: each run
# moves 256 MiB or lasts 3 s; both namespaces are removed at exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../build/sim}
runs=${2:-3}
build=$(cd "$build" && pwd)
size=$((256 << 20))

[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
for f in sim/pmu-netns sim/pmu-sim pdc/pdc bench/tap_ceiling; do
  [ -x "$build/$f" ] || { echo "floodme_vs_tap: $build/$f missing; build the sim preset first" >&2; exit 2; }
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== floodme through pmu-sim (${runs} x $((size >> 20)) MiB)" >&2
floodme=$("$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" -- \
  sh -c "for i in \$(seq $runs); do pdc floodme -4 \"\$PMU_HOST\" -n $size --json || exit 1; done")
echo "$floodme" >&2
floodme_rate=$(echo "$floodme" | sed -n 's/.*"bytes": \([0-9]*\).*"transfer_s": \([0-9.]*\).*/\1 \2/p' |
  awk '{printf "%.0f\n", $1 / $2}' | median)

echo "== TAP ceiling (${runs} x 3 s)" >&2
ns="pmu-bench-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev bench0 mode tap
ip -n "$ns" addr add 192.0.2.1/24 dev bench0
ip -n "$ns" link set bench0 up
ceiling=$(for i in $(seq "$runs"); do ip netns exec "$ns" "$build/bench/tap_ceiling" bench0 3; done)
echo "$ceiling" >&2
ceiling_rate=$(echo "$ceiling" | sed -n 's/.*"payload_bytes_per_s": \([0-9.]*\).*/\1/p' | median)

awk -v f="$floodme_rate" -v c="$ceiling_rate" 'BEGIN {
  printf "floodme through pmu-sim: %.1f MB/s (%.0f Mbit/s)\n", f / 1e6, f * 8 / 1e6
  printf "TAP link ceiling:        %.1f MB/s (%.0f Mbit/s)\n", c / 1e6, c * 8 / 1e6
  printf "ratio floodme/ceiling:   %.2f\n", f / c
}'
