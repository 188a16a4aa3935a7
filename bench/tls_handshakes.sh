#!/usr/bin/env bash
# tls_handshakes.sh [BUILD_DIR] [SECONDS]
#
# Full TLS handshakes per second against the simulated device (5007) and against
# `openssl s_server` with the same certificate, key and suite, both measured by
# `openssl s_time -new` (one handshake after another, no session reuse) in this one
# invocation, inside one private namespace; then the device's TLS arena peak.
# Bounded: SECONDS (default 5) per side; the namespace is removed at exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-5}
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"

pki=$build/pki
"$here/../certs/make-dev-pki.sh" "$pki" >/dev/null 2>&1 || true
suite=ECDHE-ECDSA-AES128-GCM-SHA256

"$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --pki "$pki" -- bash -s "$seconds" "$suite" <<'INSIDE'
set -euo pipefail
seconds=$1 suite=$2
rate() {  # rate HOST:PORT -> handshakes per second
  openssl s_time -connect "$1" -new -time "$seconds" -CAfile "$PMU_TLS_CA" -cipher "$suite" 2>/dev/null |
    sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\1 \2/p' | awk '{printf "%.1f", $1 / $2}'
}
device=$(rate "$PMU_IPV4:5007")
openssl s_server -quiet -accept "$PMU_HOST_IPV4:5507" -cert "$PMU_PKI/device/device.crt" \
  -key "$PMU_PKI/device/device.key" -tls1_2 -cipher "$suite" -naccept 1000000 </dev/null >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/$PMU_HOST_IPV4/5507") 2>/dev/null && break; sleep 0.1; done
reference=$(rate "$PMU_HOST_IPV4:5507")
since=$(stat -c %s "$PMU_LOG")
kill -USR1 "$PMU_SIM_PID"
for _ in $(seq 50); do tail -c +"$since" "$PMU_LOG" | grep -q "end of report" && break; sleep 0.1; done
arena=$(tail -c +"$since" "$PMU_LOG" | sed -n 's/.*tls arena size=\([0-9]*\) used=\([0-9]*\) peak=\([0-9]*\).*/\1 \3/p' | tail -1)
awk -v d="$device" -v r="$reference" -v a="$arena" -v suite="$suite" -v s="$seconds" 'BEGIN {
  split(a, x, " ")
  printf "suite %s, %s s each, one handshake after another\n", suite, s
  printf "device (mbedTLS on pmu-sim):  %.1f handshakes/s\n", d
  printf "openssl s_server (reference): %.1f handshakes/s\n", r
  printf "ratio device/reference:       %.3f\n", d / r
  printf "device TLS arena peak:        %d of %d bytes\n", x[2], x[1]
}'
INSIDE
