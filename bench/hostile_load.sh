#!/usr/bin/env bash
# hostile_load.sh [BUILD_DIR] [SECONDS] [launcher options...]
#
# A mixed hostile load (bench/hostile_load.py) against one device for SECONDS
# (default 600) in a private namespace, while a well-behaved PDC streams C37.118.2:
# passes when that stream has no missing report and the device's pools are back at
# their resting level afterwards. Extra options go to the launcher, e.g.
# `--target mps2-an385` for the board under QEMU.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-600}
shift $(( $# > 2 ? 2 : $# ))
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$build" "$seconds" "$@"
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT
"$here/../certs/make-dev-pki.sh" "$pki" >/dev/null
exec "$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --pki "$pki" \
  --set tcp.stall_timeout_s=5 --set c37.udp_lease_s=10 "$@" \
  -- /usr/bin/python3 "$here/hostile_load.py" "$seconds"
