#!/usr/bin/env python3
"""The TLS command service (5007) with independent peers: pdc (OpenSSL), Python's ssl
(CERT_REQUIRED, hostname checking), openssl s_client. TLS 1.2 with its one suite,
ECDHE-ECDSA-AES128-GCM-SHA256 on P-256; no other suite or group, no TLS 1.0/1.1, no
renegotiation, no compression; CMD_time; and a
capture shows the handshake and none of the plaintext. Run with --pki and --pcap."""
import datetime
import ssl
import subprocess
import time

from pmutest import *

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def s_client(fam, *args, stdin=b""):
    addr = f"[{address(fam)}]" if fam == 6 else address(fam)
    r = subprocess.run(["openssl", "s_client", "-connect", f"{addr}:{PORT_TLS}", "-CAfile", pki_path("ca", "ca.crt"),
                        "-verify_return_error", *args], input=stdin, capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def main():
    fam = family_from_argv()
    flag = f"-{fam}"
    arena_idle, _, arena_size = tls_arena()

    # pdc: the TLS summary and exactly the ten messages, by name and by address.
    summary, lines = pdc_json("tls", flag, HOST, "CMD_short:0")
    check(lines == [f"This is PMU data {i}" for i in range(1, 11)], f"pdc tls CMD_short:0 printed {lines}")
    check(summary["tls_version"] == "TLSv1.2", f"negotiated {summary['tls_version']}")
    check(summary["cipher"] == "ECDHE-ECDSA-AES128-GCM-SHA256", f"cipher {summary['cipher']}")
    check("CN=pmu1" in summary["device_subject"] and summary["device_not_after"] > "2027",
          f"device certificate {summary['device_subject']} until {summary['device_not_after']}")
    pdc_json("tls", flag, address(fam), "CMD_short:0")  # the IP address is in the certificate too
    since = log_size()
    summary, _ = pdc_json("tls", flag, HOST, "CMD_floodme:100000")
    logged = wait_log(r"tls-cmd: .* floodme sent 100000 bytes sha256=([0-9a-f]{64})", since)
    check(summary["content_ok"] and summary["sha256"] == logged.group(1), "floodme over TLS differs")

    # Python's ssl module: an independent client with hostname checking.
    check(tls_command(fam, b"CMD_short:0") == WIRE, "python ssl CMD_short:0")
    answer = tls_command(fam, b"CMD_time").decode()
    device_time = datetime.datetime.fromisoformat(answer.strip().rstrip("Z"))
    skew = abs((device_time - datetime.datetime.utcnow()).total_seconds())
    check(answer.endswith("Z\n") and skew < 5, f"CMD_time answered {answer!r} ({skew:.1f} s from ours)")
    check(tls_command(fam, b"CMD_short:0", server_hostname=address(fam)) == WIRE, "python ssl by IP address")
    # CMD_time is TLS-only: the plain service refuses it.
    check(command(fam, b"CMD_time").startswith(b"ERROR CMD_time is served over TLS only"), "plain CMD_time")

    # openssl s_client: TLS 1.2 with an AEAD suite, certificate verified, no compression.
    rc, out = s_client(fam, "-tls1_2")
    check(rc == 0 and "Verification: OK" in out and re.search(r"Protocol\s*:\s*TLSv1\.2", out),
          f"s_client handshake:\n{out[-800:]}")
    check("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in out and "Server Temp Key: ECDH, prime256v1" in out,
          f"s_client cipher and group:\n{out[-800:]}")
    check("Compression: NONE" in out, "compression offered")
    # ... and cannot get anything weaker.
    rc, out = s_client(fam, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:AES128-SHA")
    check(rc != 0 and "alert handshake failure" in out, f"a CBC suite was negotiated:\n{out[-600:]}")
    # One suite, one group (docs/PROTOCOL.md, "TLS policy"): the other AEAD suites and
    # the other curves are not in the device.
    rc, out = s_client(fam, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305")
    check(rc != 0 and "alert handshake failure" in out, f"a suite outside the policy was negotiated:\n{out[-600:]}")
    rc, out = s_client(fam, "-tls1_2", "-curves", "X25519:P-384")
    check(rc != 0 and "alert handshake failure" in out, f"a group other than P-256 was used:\n{out[-600:]}")
    for proto in ("-tls1", "-tls1_1"):
        rc, out = s_client(fam, proto, "-cipher", "DEFAULT:@SECLEVEL=0")
        check(rc != 0 and "alert protocol version" in out, f"{proto} was negotiated:\n{out[-600:]}")
    # Renegotiation: the client asks ('R' with standard input still open), the device
    # refuses, and s_client ends on that error by itself.
    with subprocess.Popen(["openssl", "s_client", "-connect",
                           (f"[{address(fam)}]" if fam == 6 else address(fam)) + f":{PORT_TLS}",
                           "-CAfile", pki_path("ca", "ca.crt"), "-tls1_2"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as p:
        p.stdin.write(b"R\n")
        p.stdin.flush()
        rc = p.wait(20)
        out = p.stdout.read().decode(errors="replace")
    check(rc != 0 and "RENEGOTIATING" in out and "no renegotiation" in out, f"renegotiation not refused:\n{out[-600:]}")

    # The device keeps serving after all of this.
    check(tls_command(fam, b"CMD_short:0") == WIRE, "service after the refusals")

    # The session limit (tls.max_sessions, 3 by default, one of them kept for the
    # console): with two TLS command sessions held, a third is refused at once, the
    # held ones go on, the operator still gets the console, and afterwards there is
    # room again and the arena is back where it started.
    held = [tls_connect(fam, PORT_TLS), tls_connect(fam, PORT_TLS)]
    since = log_size()
    try:
        with tls_connect(fam, PORT_TLS) as extra:
            extra.sendall(b"CMD_time\n")
            check(extra.recv(100) == b"", "a third TLS command session was served")
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
        pass
    wait_log(r"tls-cmd: .* refused: all sessions busy \(2 of 2\)", since)
    held.append(tls_connect(fam, PORT_CONSOLE, client="operator"))
    _, peak, _ = tls_arena()
    held[0].sendall(b"CMD_short:0\n")
    data, _ = recv_until_close(held[0])
    check(data == WIRE, "a held session was disturbed by the refusal")
    held[2].sendall(b"uptime\n")
    check(held[2].recv(100).startswith(b"up "), "the console, in its own slot, was not served")
    for s in held:
        s.close()
    check(tls_command(fam, b"CMD_short:0") == WIRE, "no room again after the held sessions closed")
    deadline = time.monotonic() + 10
    while tls_arena()[0] != arena_idle:
        check(time.monotonic() < deadline, f"TLS arena not back to {arena_idle} bytes after the sessions")
        time.sleep(0.2)
    check(peak < arena_size, f"arena peak {peak} of {arena_size}")
    print(f"TLS arena: {arena_idle} bytes idle, peak {peak} of {arena_size} with three sessions")

    # Each completed handshake's computation is counted, per server: the console's
    # (mutual TLS) costs more than a command session's (server authentication only);
    # and so is the sending of application data (CMD_floodme:100000 above, and more).
    since = log_size()
    request_stats()
    wait_log(r"stats: end of report", since)
    cost = {m.group(1): [int(x) for x in m.groups()[1:]] for m in log_lines(
        r"stats: tls server (\S+) handshakes=(\d+) handshake_cpu_ns last=(\d+) min=(\d+) mean=(\d+) max=(\d+)"
        r" sent_bytes=(\d+) send_cpu_ns=(\d+)", since)}
    check(set(cost) == {"tls-cmd", "console"}, f"TLS server cost lines: {cost}")
    count, _, low, mean, high, sent, send_ns = cost["tls-cmd"]
    check(count >= 8 and 0 < low <= mean <= high, f"tls-cmd handshake cost {cost['tls-cmd']}")
    check(sent > 100000 and send_ns > 0, f"tls-cmd sending cost {cost['tls-cmd']}")
    check(cost["console"][0] == 1 and cost["console"][3] > low, f"console handshake cost {cost['console']}")

    # The capture: TLS 1.2 handshake on 5007, application data, and no plaintext.
    deadline = time.monotonic() + 10
    while True:
        hello = tshark_fields(PCAP, f"tcp.port == {PORT_TLS} && tls.handshake.type == 2", ["tls.handshake.version"])
        if hello or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    check(hello and all(v[0] == "0x0303" for v in hello), f"ServerHello versions in the capture: {hello[:3]}")
    appdata = tshark_fields(PCAP, f"tcp.port == {PORT_TLS} && tls.record.content_type == 23", ["frame.number"])
    check(len(appdata) > 0, "no TLS application data in the capture")
    tls_payload = b"".join(bytes.fromhex(row[0].replace(":", "")) for row in
                           tshark_fields(PCAP, f"tcp.port == {PORT_TLS} && tcp.len > 0", ["tcp.payload"]))
    check(len(tls_payload) > 1000, "no TLS payload captured")
    for secret in (b"This is PMU data", b"CMD_short", b"CMD_time", b"floodme 000"):
        check(secret not in tls_payload, f"plaintext {secret!r} visible on port {PORT_TLS}")
    check_pools_drained("tls")


run(main)
