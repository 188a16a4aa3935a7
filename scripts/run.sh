#!/usr/bin/env bash
# The main job: a simulated PMU up and reachable, with a shell next to it.
#
#   scripts/run.sh                  set up, build, start the device in a private
#                                   network namespace, open a shell there
#   scripts/run.sh -- CMD ARGS...   run CMD next to the device instead of a shell
#   scripts/run.sh --set KEY=VALUE  ...and any other pmu-netns option before --
#   scripts/run.sh --target mps2-an385   the board image under QEMU instead of pmu-sim
#
# Without a terminal (and without a command) it runs a short demonstration: the
# ten PMU messages and a checked CMD_floodme.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=$(scripts/setup.sh)
export PMU_DEPS_DIR=$deps
cmake --preset sim >/dev/null
cmake --build --preset sim >/dev/null
# The development PKI (made once per build tree): the device gets its TLS identity,
# and pdc in the shell the CA and the operator's certificate.
certs/make-dev-pki.sh build/sim/pki 2>/dev/null

launcher_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do launcher_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [[ " ${launcher_args[*]} " == *" mps2-an385 "* ]]; then
  cmake --preset mps2-an385 >/dev/null
  cmake --build --preset mps2-an385 >/dev/null
fi

if [ $# -eq 0 ] && [ ! -t 0 ]; then
  set -- sh -c 'set -x; pdc short "$PMU_HOST" 0 && pdc floodme "$PMU_HOST" && pdc echo -6 "$PMU_HOST" hello PMU &&
                 pdc tls "$PMU_HOST" CMD_time && pdc console "$PMU_HOST" uptime'
fi
exec build/sim/sim/pmu-netns --pki build/sim/pki "${launcher_args[@]}" -- "$@"
