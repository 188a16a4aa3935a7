#!/usr/bin/env python3
"""Client certificates, for one mode of the TLS command service (argv[2]: required or
optional; the launcher sets tls.client_auth) and always for the console: every bad
client certificate is refused (with its TLS alert), a missing one where one is needed
too, the allowed operator gets in, and the device keeps serving everyone else."""
import ssl
import sys

from pmutest import *

WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()
BAD = {  # fixture -> what the device says to the client (alert) and in its log
    "client-otherca": ("unknown ca", r"client certificate 'operator1' refused"),
    "client-notallowed": ("access denied", r"client certificate 'intruder' refused: not on the allow list"),
    "client-expired": ("certificate expired", r"client certificate 'operator1' refused"),
}


def refused(fam, port, client, expect_alert=None):
    """A Python ssl client with `client`'s certificate must not get an answer."""
    try:
        with tls_connect(fam, port, client) as s:
            s.sendall(b"CMD_short:0\n" if port == PORT_TLS else b"uptime\n")
            data, _ = recv_until_close(s, 10)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        if expect_alert:
            check(expect_alert.replace(" ", "_").upper() in str(e).upper().replace(" ", "_") or
                  expect_alert in str(e).lower(), f"{client} on {port}: refused with '{e}', expected '{expect_alert}'")
        return
    check(data.startswith(b"ERROR client certificate not accepted"), f"{client} on {port} got {data[:80]!r}")


def main():
    fam = family_from_argv()
    mode = sys.argv[2]
    flag = f"-{fam}"

    # The operator is let in everywhere, by pdc (OpenSSL) and by Python's ssl.
    since = log_size()
    check(tls_command(fam, b"CMD_short:0", client="operator") == WIRE, "operator on 5007")
    wait_log(r'tls-cmd: .* \(operator1\) "CMD_short:0"', since)
    check(tls_command(fam, b"CMD_time", client="operator").endswith(b"Z\n"), "operator CMD_time")
    r = console(flag, "uptime", client="operator")
    check(r.returncode == 0 and r.stdout.startswith(b"up "), f"operator on the console: {r.stderr}")

    # No certificate.
    if mode == "required":
        r = pdc("tls", flag, HOST, "CMD_short:0", "--cert", "", "--key", "")
        check(r.returncode == 3 and b"handshake" in r.stderr and b"alert handshake failure" in r.stderr,
              f"no certificate on 5007 (required): {r.returncode} {r.stderr}")
    else:
        check(tls_command(fam, b"CMD_short:0") == WIRE, "anonymous client in optional mode")
    r = pdc("console", flag, HOST, "uptime", "--cert", "", "--key", "")
    check(r.returncode == 3 and b"alert handshake failure" in r.stderr, f"console without a certificate: {r.stderr}")

    # Every bad certificate, on both services; after each, the device still serves.
    for fixture, (alert, log_line) in BAD.items():
        since = log_size()
        refused(fam, PORT_TLS, fixture, expect_alert=alert if mode == "required" else None)
        refused(fam, PORT_CONSOLE, fixture, expect_alert=alert)
        wait_log(log_line, since)
        cert, key = client_cert(fixture)
        r = pdc("console", flag, HOST, "uptime", "--cert", cert, "--key", key)
        check(r.returncode == 3 and alert.encode() in r.stderr, f"pdc console with {fixture}: {r.stderr}")
        check(command(fam, b"CMD_short:0") == WIRE, f"plain service after {fixture}")
        check(tls_command(fam, b"CMD_short:0", client="operator") == WIRE, f"TLS service after {fixture}")
    check_pools_drained("tls client authentication")


run(main)
