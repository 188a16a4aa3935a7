#!/usr/bin/env bash
# device_reporting.sh [BUILD_DIR] [SECONDS] [RATE] [TARGET]
#
# The device reporting at RATE frames/s (default 120) for SECONDS (default 60): a
# PMU in a private namespace, `pdc c37 stream --arrival` reading every data frame over
# TCP. For each frame, arrival time minus its time stamp (the reporting instant): p50,
# p99, max; and the same minus the estimator's own latency (its window's look-ahead,
# as the device logs it), which is the main loop's scheduling delay plus the link.
# Then the device's statistics: estimator and synthesiser cost per report.
#
# TARGET: sim (default: the simulator, whose UTC is the host's), or mps2-an385: the
# board image under QEMU (build/mps2-an385), whose clock is its own: the launcher runs
# a PTP grandmaster and the measurement starts once the board says it is locked, so
# its time stamps are the host's time within the lock's error (docs/BOARD.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-60} rate=${3:-120} target=${4:-sim}
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
out=$(mktemp)
trap 'rm -f "$out" "$out.latency"' EXIT
launch=(-q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --set "c37.rate=$rate")
wait_lock=: stats='kill -USR1 $PMU_SIM_PID'
case $target in
  sim) ;;
  mps2-an385)
    launch+=(--target mps2-an385 --image "$here/../build/mps2-an385/pmu-mps2-an385.elf" --ptp)
    wait_lock='for i in $(seq 120); do grep -q "ptp: locked" "$PMU_LOG" && break; sleep 0.5; done
               grep -o "ptp: locked.*" "$PMU_LOG" | head -1 >&2'
    stats='echo stats > $PMU_CONSOLE' ;;
  *) echo "device_reporting: TARGET is sim or mps2-an385" >&2; exit 2 ;;
esac
"$build/sim/pmu-netns" "${launch[@]}" -- sh -c "
  $wait_lock
  pdc c37 stream -4 \"\$PMU_HOST\" -d $seconds --format json --arrival -q >$out
  $stats; sleep 1
  grep -E 'stats: (measurement|c37)|estimator, ' \"\$PMU_LOG\" | tail -3 >&2
  grep -o 'latency [0-9.]* ms' \"\$PMU_LOG\" | tail -1 >$out.latency"
/usr/bin/python3 - "$out" "$rate" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type": "data"')]
lat = sorted((r["arrival"] - (r["soc"] + r["fracsec"] / 1e6)) * 1e3 for r in rows)
# The estimator's look-ahead as the device states it ("latency 12.1 ms" at start-up).
half = float(open(sys.argv[1] + ".latency").read().split()[1])
def pct(v, q): return v[min(len(v) - 1, int(q * len(v)))]
print(f"{len(rows)} data frames at {sys.argv[2]}/s")
print(f"arrival - time stamp:         p50 {pct(lat, .5):.2f} ms, p99 {pct(lat, .99):.2f} ms, max {lat[-1]:.2f} ms")
j = [x - half for x in lat]
print(f"minus the estimator's {half:.2f} ms: p50 {pct(j, .5):.2f} ms, p99 {pct(j, .99):.2f} ms, max {j[-1]:.2f} ms")
limit = 2e3 / float(sys.argv[2])  # C37.118.1's P-class reporting latency, 2/Fs
print(f"within 2/Fs ({limit:.2f} ms): {sum(x <= limit for x in lat)} of {len(lat)} frames")
PY
