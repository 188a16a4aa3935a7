#!/usr/bin/env bash
# view_cost.sh [BUILD_DIR] [PMUS] [RATE] [SECONDS] [RUNS]
#
# The live view's cost: pdc's CPU with and without the page open in headless chromium,
# PMUS synthetic PMUs at RATE frames/s, interleaved RUNS times, medians
# (bench/view_cost.py says how). In a private network namespace over its loopback.
# Defaults: 16 PMUs, 60 frames/s, 15 s windows, 3 runs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
for f in pdc/pdc bench/c37_fleet; do
  [ -x "$build/$f" ] || { echo "view_cost: $build/$f missing; build the sim preset first" >&2; exit 2; }
done
[ -x /usr/bin/chromium ] || { echo "view_cost: no /usr/bin/chromium (scripts/setup.sh installs it)" >&2; exit 2; }
/usr/bin/python3 -c "import websockets" 2>/dev/null ||
  { echo "view_cost: python3-websockets missing (scripts/setup.sh installs it)" >&2; exit 2; }
ns="pmu-view-$$"
cleanup() { ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" /usr/bin/python3 "$here/view_cost.py" "$build" "${2:-16}" "${3:-60}" "${4:-15}" "${5:-3}"
