#!/usr/bin/env bash
# TLS on the board (docs/BENCHMARKS.md, "TLS on the board"): what one full handshake
# costs the Cortex-M3, and the TLS arena's peaks up to the worst case the limits allow.
#
# The board image runs under `qemu-system-arm -icount shift=0`: QEMU's virtual clock
# then advances one nanosecond per instruction executed, so the device's own account of
# a handshake's computation (the time inside mbedTLS's handshake calls, in the `tls
# handshakes` lines of its statistics, port/src/tls.cc) is its instruction count.
#
#   1. N handshakes one after another on the TLS command service (5007, server
#      authentication, `pdc tls`) and N on the console (5008, mutual TLS, `pdc
#      console`); the arena's peak after each kind; and the cost of sending, from a
#      CMD_floodme of 200,000 bytes over TLS (the time inside mbedTLS's write calls);
#   2. the worst case the limits allow, on a second boot with tls.client_auth=required:
#      tls.max_sessions (3) sessions in their handshakes at once, every client with a
#      certificate (two on 5007, one console session, the most 5007 may hold with one
#      slot kept for the console), held, while the console makes a key pair and a CSR
#      and installs the signed certificate (so both servers hold two identities); ROUNDS
#      rounds. The arena's peak against its size.
#
#   bench/tls_board.sh [N] [ROUNDS]        (defaults 5 and 3)
# Needs the mps2-an385 and sim presets built, and root for the namespace.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-5}
rounds=${2:-3}
image=build/mps2-an385/pmu-mps2-an385.elf
launcher=build/sim/sim/pmu-netns
[ -f "$image" ] || { echo "tls_board: build the board image first (cmake --build --preset mps2-an385)" >&2; exit 1; }
[ -x "$launcher" ] || { echo "tls_board: build the sim preset first (cmake --build --preset sim)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
qemu=$(command -v qemu-system-arm) || { echo "tls_board: qemu-system-arm not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
certs/make-dev-pki.sh "$work/pki" >/dev/null
printf '#!/bin/sh\nexec %s -icount shift=0 "$@"\n' "$qemu" >"$work/qemu"
chmod +x "$work/qemu"
board() { "$launcher" -q --target mps2-an385 --image "$image" --qemu "$work/qemu" --pki "$work/pki" "$@"; }

# The statistics report through the serial console; prints the lines this script reads.
cat >"$work/stats.sh" <<'SH'
since=$(stat -c %s "$PMU_LOG")
echo stats >"$PMU_CONSOLE"
for _ in $(seq 100); do tail -c +"$since" "$PMU_LOG" | grep -q "stats: end of report" && break; sleep 0.1; done
tail -c +"$since" "$PMU_LOG" | grep -o "stats: tls .*"
SH

echo "## One handshake at a time ($n each)"
board -- bash -s "$n" "$work/stats.sh" <<'INSIDE' | tee "$work/sequential.txt"
set -euo pipefail
n=$1 stats=$2
echo "[idle]"; bash "$stats" | grep arena
for _ in $(seq "$n"); do PMU_TLS_CERT= PMU_TLS_KEY= pdc tls -4 "$PMU_HOST" CMD_time >/dev/null; done
echo "[after $n server-authenticated handshakes]"; bash "$stats"
PMU_TLS_CERT= PMU_TLS_KEY= pdc tls -4 "$PMU_HOST" CMD_floodme:200000 >/dev/null
echo "[after CMD_floodme:200000]"; bash "$stats"
for _ in $(seq "$n"); do pdc console -4 "$PMU_HOST" uptime >/dev/null; done
echo "[after $n mutual handshakes]"; bash "$stats"
INSIDE

echo
echo "## Worst case: $rounds rounds of 3 handshakes at once, held, with the console's CSR flow"
board --set tls.client_auth=required -- bash -s "$rounds" "$work/stats.sh" <<'INSIDE' | tee "$work/worst.txt"
set -euo pipefail
rounds=$1 stats=$2
python3 - "$rounds" <<'PY'
import os, socket, ssl, subprocess, sys, tempfile, threading

host, pki = os.environ["PMU_IPV4"], os.environ["PMU_PKI"]
ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=f"{pki}/ca/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(f"{pki}/operator/operator.crt", f"{pki}/operator/operator.key")

def session(port, out, i):
    raw = socket.create_connection((host, port), timeout=60)
    out[i] = ctx.wrap_socket(raw, do_handshake_on_connect=True)

def until_ok(s):
    data = b""
    while not (data.endswith(b"OK\n") or b"\nERROR" in data or data.startswith(b"ERROR")):
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit(f"console closed: {data!r}")
        data += chunk
    if b"ERROR" in data:
        raise SystemExit(f"console: {data!r}")
    return data[: -len(b"OK\n")].decode()

for r in range(int(sys.argv[1])):
    held = [None] * 3
    threads = [threading.Thread(target=session, args=(port, held, i)) for i, port in enumerate((5007, 5007, 5008))]
    for t in threads: t.start()
    for t in threads: t.join()
    if None in held:
        raise SystemExit("a session did not complete its handshake")
    console = held[2]
    console.sendall(b"cert csr\n")
    csr = until_ok(console)
    with tempfile.NamedTemporaryFile("w", suffix=".csr") as f:
        f.write(csr)
        f.flush()
        pem = subprocess.run(["certs/sign-csr.sh", "--device", f.name, pki], check=True, capture_output=True,
                             text=True).stdout
    console.sendall(b"cert install\n" + pem.encode())
    until_ok(console)
    for s in held[:2]:
        s.sendall(b"CMD_time\n")
        if not s.recv(100).endswith(b"Z\n"):
            raise SystemExit("CMD_time not answered on a held session")
    for s in held:
        s.close()
    print(f"round {r + 1}: 3 sessions at once, CSR made, certificate installed")
PY
sleep 1
bash "$stats"
INSIDE

python3 - "$work/sequential.txt" "$work/worst.txt" <<'PY'
import re, sys
seq, worst = (open(p).read() for p in sys.argv[1:])
def arena(text):
    return [tuple(map(int, m)) for m in re.findall(r"tls arena size=(\d+) used=(\d+) peak=(\d+)", text)]
def cost(text, tag):
    m = re.findall(rf"tls server {tag} handshakes=(\d+) handshake_cpu_ns last=\d+ min=(\d+) mean=(\d+) max=(\d+)", text)
    return tuple(map(int, m[-1])) if m else None
print("\n## Summary")
a_idle, a_server, a_mutual = arena(seq)[0], arena(seq)[1], arena(seq)[-1]
for tag, what in (("tls-cmd", "server authentication (5007)"), ("console", "mutual TLS (5008)")):
    c = cost(seq, tag)
    print(f"handshake, {what}: {c[2]:,} instructions (min {c[1]:,}, max {c[3]:,}, {c[0]} handshakes),"
          f" {c[2] / 25e6:.2f} s at 25 MHz and one instruction per cycle")
def sent(text):
    m = re.findall(r"tls server tls-cmd .* sent_bytes=(\d+) send_cpu_ns=(\d+)", text)
    return [tuple(map(int, x)) for x in m]
(b0, t0), (b1, t1) = sent(seq)[0], sent(seq)[1]
print(f"records sent, CMD_floodme:200000 over TLS: {(t1 - t0) / (b1 - b0):.1f} instructions per byte"
      f" (encryption and handing the records to TCP), {(b1 - b0) / ((t1 - t0) / 25e6) / 1024:.0f} KiB/s at 25 MHz")
size, used, peak = arena(worst)[-1]
print(f"arena: idle {a_idle[1]:,} B; peak {a_server[2]:,} B after one server-authenticated handshake at a time,"
      f" {a_mutual[2]:,} B with the mutual ones")
print(f"arena worst case: peak {peak:,} of {size:,} B ({100 * peak / size:.0f}%), headroom {size - peak:,} B;"
      f" {used:,} B in use after")
PY
