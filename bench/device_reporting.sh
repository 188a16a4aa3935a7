#!/usr/bin/env bash
# device_reporting.sh [BUILD_DIR] [SECONDS] [RATE]
#
# The device reporting at RATE frames/s (default 120) for SECONDS (default 60): a
# simulated PMU in a private namespace, `pdc c37 stream --arrival` reading every data
# frame over TCP. For each frame, arrival time minus its time stamp (the reporting
# instant): p50, p99, max; and the same minus the estimator's own latency (half its
# window), which is the main loop's scheduling delay plus the link. Then the device's
# statistics: estimator and synthesiser cost per report.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-60} rate=${3:-120}
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --set "c37.rate=$rate" -- sh -c "
  pdc c37 stream -4 \"\$PMU_HOST\" -d $seconds --format json --arrival -q >$out
  kill -USR1 \$PMU_SIM_PID; sleep 0.5
  grep -E 'stats: (measurement|c37)|estimator, ' \"\$PMU_LOG\" | tail -3 >&2"
/usr/bin/python3 - "$out" "$rate" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type": "data"')]
lat = sorted((r["arrival"] - (r["soc"] + r["fracsec"] / 1e6)) * 1e3 for r in rows)
half = 39 / 2400 * 1e3 + 20 / 2400 * 1e3  # P class at 60 Hz: (L - 1 + d) samples
def pct(v, q): return v[min(len(v) - 1, int(q * len(v)))]
print(f"{len(rows)} data frames at {sys.argv[2]}/s")
print(f"arrival - time stamp:         p50 {pct(lat, .5):.2f} ms, p99 {pct(lat, .99):.2f} ms, max {lat[-1]:.2f} ms")
j = [x - half for x in lat]
print(f"minus the estimator's {half:.2f} ms: p50 {pct(j, .5):.2f} ms, p99 {pct(j, .99):.2f} ms, max {j[-1]:.2f} ms")
PY
