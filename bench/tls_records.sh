#!/usr/bin/env bash
# The TLS records clients send the device, and what they ask of its record size
# (docs/BENCHMARKS.md, "TLS records: what clients send"). The device's input buffer must
# hold the largest record a client sends for the protocol's messages, and a client that
# offers the max_fragment_length extension (RFC 6066) asks the device for smaller ones.
#
# One simulated device in a private namespace, its frames recorded; one connection per
# case below, one after another; then, per connection, each record the client sent (the
# handshake messages in it, or application data) with its length field, the largest,
# and the max_fragment_length the client offered, if any.
#
#   bench/tls_records.sh [BUILD_DIR]       (default build/sim)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
command -v tshark >/dev/null || { echo "tls_records: tshark not found (scripts/setup.sh installs it)" >&2; exit 1; }

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
"$here/../certs/make-dev-pki.sh" "$work/pki" >/dev/null
# The cases, in the order of their connections (their TCP stream numbers).
cases=("pdc tls CMD_short:0 (5007)"
       "pdc console uptime (5008, client certificate)"
       "pdc console cert install (5008, a certificate pasted)"
       "python ssl CMD_short:0 (5007)"
       "python ssl console uptime (5008, client certificate)"
       "openssl s_client (5007)"
       "openssl s_client -maxfraglen 512 (5007)"
       "openssl s_client -maxfraglen 512 (5008, client certificate)")

"$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --pki "$work/pki" \
  --pcap "$work/tls.pcap" -- bash -s <<'INSIDE'
set -uo pipefail
pki=$PMU_PKI
PMU_TLS_CERT= PMU_TLS_KEY= pdc tls -4 "$PMU_HOST" CMD_short:0 >/dev/null
pdc console -4 "$PMU_HOST" uptime >/dev/null
pdc console -4 "$PMU_HOST" cert install <"$pki/device/device.crt" >/dev/null 2>&1  # refused: no pending key
python3 - "$PMU_IPV4" "$pki" <<'PY'
import socket, ssl, sys
host, pki = sys.argv[1:]
def session(port, text, cert):
    ctx = ssl.create_default_context(cafile=f"{pki}/ca/ca.crt")
    if cert:
        ctx.load_cert_chain(f"{pki}/operator/operator.crt", f"{pki}/operator/operator.key")
    with ctx.wrap_socket(socket.create_connection((host, port)), server_hostname="pmu1") as s:
        s.sendall(text)
        while s.recv(4096):
            if port == 5008:
                break
session(5007, b"CMD_short:0\n", False)
session(5008, b"uptime\n", True)
PY
s_client() {
  echo "$1" | timeout 20 openssl s_client -connect "$PMU_IPV4:$2" -CAfile "$pki/ca/ca.crt" -quiet "${@:3}" >/dev/null 2>&1
}
s_client CMD_short:0 5007
s_client CMD_short:0 5007 -maxfraglen 512
s_client uptime 5008 -maxfraglen 512 -cert "$pki/operator/operator.crt" -key "$pki/operator/operator.key"
sleep 1
INSIDE

tshark -r "$work/tls.pcap" -d tcp.port==5007,tls -d tcp.port==5008,tls -Y "tcp.port == 5007 || tcp.port == 5008" \
  -T fields -E separator='|' -e tcp.stream -e tcp.dstport -e tls.record.content_type -e tls.record.length \
  -e tls.handshake.type -e tls.handshake.max_fragment_length -e tls.alert_message.desc \
  2>/dev/null >"$work/records.txt"
python3 - "$work/records.txt" "${cases[@]}" <<'PY'
import collections, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
cases = sys.argv[2:]
names = {1: "client_hello", 2: "server_hello", 11: "certificate", 12: "server_key_exchange", 13: "certificate_request",
         14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange"}
kinds = {"20": "change_cipher_spec", "21": "alert", "22": "handshake", "23": "application_data"}
streams = collections.OrderedDict()
for stream, dport, ctype, length, hs, mfl, alert in rows:
    s = streams.setdefault(int(stream), {"sent": [], "received": [], "mfl": None, "alerts": []})
    if mfl and dport in ("5007", "5008"):
        s["mfl"] = mfl.split(",")[0]
    if alert:
        s["alerts"].append(alert)
    if not length:
        continue
    side = "sent" if dport in ("5007", "5008") else "received"
    # The handshake types tshark could read (not the encrypted Finished), in the order of
    # the packet's handshake records.
    types = [h for h in hs.split(",") if h]
    for t, n in zip(ctype.split(","), length.split(",")):
        what = kinds.get(t, t)
        if t == "22" and types:
            what = names.get(int(types.pop(0)), "handshake")
        elif t == "22":
            what = "finished (encrypted)"
        s[side].append((what, int(n)))
mfl_names = {"1": "512", "2": "1024", "3": "2048", "4": "4096"}
for (stream, s), case in zip(streams.items(), cases):
    sent = s["sent"]
    largest = max(sent, key=lambda r: r[1]) if sent else ("none", 0)
    print(f"{case}:")
    print(f"  client's records: " + ", ".join(f"{w} {n}" for w, n in sent))
    print(f"  largest: {largest[1]} bytes ({largest[0]}); the device's largest: "
          f"{max((n for _, n in s['received']), default=0)} bytes")
    print(f"  max_fragment_length offered: {mfl_names.get(s['mfl'], 'no') if s['mfl'] else 'no'}"
          + (f"; alerts: {', '.join(s['alerts'])}" if s["alerts"] else ""))
PY
