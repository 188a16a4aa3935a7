#!/usr/bin/env bash
# soak.sh [BUILD_DIR] [SECONDS] [launcher options...]
#
# The soak (bench/soak.py): every service of a fleet of 4 simulated devices under a
# mixed, well-behaved load for SECONDS (default 1800), two PDCs taking C37.118.2, in a
# private namespace; passes when every operation succeeded, the streaming PDC missed no
# report, and every device's pools, heap, TLS arena and resident memory are flat with
# no allocation failure and no ERROR record. Extra options go to the launcher: with
# `--target mps2-an385` it soaks one board under QEMU instead (a fleet is simulators
# only). CI runs a short one (ctest's system.soak).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-1800}
shift $(( $# > 2 ? 2 : $# ))
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$build" "$seconds" "$@"
fleet=(--count 4)
for arg in "$@"; do [ "$arg" = --target ] && fleet=(); done
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT
"$here/../certs/make-dev-pki.sh" "$pki" >/dev/null
"$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --pki "$pki" "${fleet[@]}" "$@" \
  -- /usr/bin/python3 "$here/soak.py" "$seconds"
