#!/usr/bin/env python3
"""The operator console (5008) with the operator's certificate: every command answers,
an unknown command keeps the session, the device log carries every command with the
client's name, a saved configuration survives a reboot, and the CSR flow installs a
new device certificate that new connections (and the rebooted device) present."""
import json
import ssl
import subprocess
import tempfile

from pmutest import *


def session(fam, lines):
    """One console session (pdc console reading commands from standard input)."""
    cert, key = client_cert("operator")
    r = pdc("console", f"-{fam}", HOST, "--cert", cert, "--key", key, stdin="".join(l + "\n" for l in lines).encode())
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def one(fam, *words, stdin=None, expect_ok=True):
    r = console(f"-{fam}", *words, stdin=stdin, client="operator")
    out = r.stdout.decode()
    check((r.returncode == 0) == expect_ok, f"console {' '.join(words)}: exit {r.returncode}\n{out}\n{r.stderr}")
    return out, r.stderr.decode()


def device_serial(fam):
    ctx = ssl.create_default_context(cafile=pki_path("ca", "ca.crt"))
    with ctx.wrap_socket(connect(fam, PORT_TLS), server_hostname=HOST) as s:
        return s.getpeercert()["serialNumber"]


def c37_summary(fam):
    """The PMU's identity as a PDC sees it: pdc c37 stream's summary."""
    r = pdc("c37", "stream", f"-{fam}", HOST, "--format", "none", "-n", "3", "-q", "--json")
    check(r.returncode == 0, f"pdc c37 stream: {r.stderr.decode()}")
    return json.loads(r.stdout.decode().splitlines()[-1])


def main():
    fam = family_from_argv()

    # Every command in one session; the unknown one does not end it.
    since = log_size()
    rc, out, err = session(fam, ["help", "version", "uptime", "date", "interfaces", "stats", "log 5", "config show",
                                 "frobnicate now", "cert info", "uptime"])
    check(rc == 4, f"a session with an unknown command should end with status 4, got {rc}: {err}")
    check("ERROR unknown command 'frobnicate'; try 'help'" in err, f"unknown command answer: {err}")
    for expected in ("config set KEY VALUE", "cert install", "reboot",                 # help
                     f"PMU firmware 0.1.0 on {'linux-tap' if TARGET == 'sim' else TARGET}", "lwIP 2.1.3", "mbed TLS 2.28.3",  # version
                     "IPv4 192.0.2.2/24", "2001:db8::2 (valid)", "MAC 02:50:4d:55:00:01",  # interfaces
                     "pool TCP_PCB used=", "tls arena size=", "end of report",           # stats
                     "hostname = pmu1", "reset.fernet_key = none",                       # config show
                     "subject: CN=pmu1, O=PMU lab", "trusted CA:"):                      # cert info
        check(expected in out, f"console output lacks '{expected}'")
    check(len(re.findall(r"^up \d+ s, boot \d+$", out, re.M)) == 2, "uptime twice (the session went on)")
    check(re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \(clock offset \+0 s\)$", out, re.M), "date")
    log_part = [l for l in out.splitlines() if re.match(r"^\d{4}-\d\d-\d\dT.*Z (INFO |WARN |ERROR|DEBUG) ", l)]
    check(len(log_part) == 5, f"log 5 gave {len(log_part)} records")
    # The audit trail: each command with the client's name.
    for cmd in ("help", "stats", "frobnicate now", "cert info"):
        wait_log(r"console: operator1 \S+> " + re.escape(cmd) + "$", since)

    # Bad configuration values are refused, naming the key.
    _, err = one(fam, "config", "set", "ipv4.prefix", "40", expect_ok=False)
    check("ipv4.prefix: out of range" in err, f"bad config set: {err}")
    _, err = one(fam, "config", "set", "no.such.key", "1", expect_ok=False)
    check("unknown key 'no.such.key'" in err, err)
    # The secret stays out of the log.
    since = log_size()
    one(fam, "config", "set", "reset.fernet_key", "pmuTestKey0123456789abcdefghijklmnopqrstuvw=")
    wait_log(r"config set reset.fernet_key \(value hidden\)", since)
    check(not log_lines("pmuTestKey", since), "the Fernet key reached the log")
    one(fam, "config", "set", "reset.fernet_key", "none")

    # A change is marked, saved, and in effect after a reboot.
    one(fam, "config", "set", "command.short_count", "3")
    out, _ = one(fam, "config", "show")
    check("*command.short_count = 3   (running: 10)" in out, f"pending change not shown:\n{out}")
    out, _ = one(fam, "config", "save")
    check(out.startswith("saved "), out)

    # 'config apply': the measurement keys take effect now (CFGCNT up, the new station
    # name in the PMU's configuration), the other edits stay pending.
    before = c37_summary(fam)
    one(fam, "config", "set", "c37.station", "consoled")
    since = log_size()
    out, _ = one(fam, "config", "apply")
    check(f"applied (CFGCNT {before['cfgcnt'] + 1})" in out, f"config apply: {out}")
    wait_log(r"console: operator1 applied the measurement configuration", since)
    after = c37_summary(fam)
    check(after["station"] == "consoled" and after["cfgcnt"] == before["cfgcnt"] + 1, f"after apply: {after}")
    out, _ = one(fam, "config", "show")
    check("*command.short_count = 3" in out and "\nc37.station = consoled\n" in out, f"after apply:\n{out}")
    _, err = one(fam, "config", "set", "c37.port", "4800")
    _, err = one(fam, "config", "apply", expect_ok=False)
    check("C37.118.2 ports change only at a restart" in err, f"port change applied: {err}")
    one(fam, "config", "set", "c37.port", "4712")

    # The CSR flow: a new key pair on the device, signed by the CA, installed.
    old_serial = device_serial(fam)
    with tempfile.TemporaryDirectory() as tmp:
        csr_out, _ = one(fam, "cert", "csr")
        check("-----BEGIN CERTIFICATE REQUEST-----" in csr_out, f"cert csr:\n{csr_out}")
        csr = os.path.join(tmp, "device.csr")
        with open(csr, "w") as f:
            f.write(csr_out)
        signed = subprocess.run([os.path.join(os.path.dirname(__file__), "..", "..", "certs", "sign-csr.sh"),
                                 "--device", csr, PKI], capture_output=True, text=True, timeout=30)
        check(signed.returncode == 0, f"sign-csr.sh: {signed.stderr}")
        new_serial_hex = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=signed.stdout,
                                        capture_output=True, text=True).stdout.split("=")[1].strip()
        # A certificate that is not for the pending key is refused ...
        _, err = one(fam, "cert", "install", stdin=open(pki_path("device", "device.crt"), "rb").read(),
                     expect_ok=False)
        check("not for the key made by 'cert csr'" in err, f"wrong certificate: {err}")
        _, err = one(fam, "cert", "install", stdin=b"garbage\n-----END CERTIFICATE-----\n", expect_ok=False)
        check("not a PEM certificate" in err, f"garbage certificate: {err}")
        # ... the signed one is installed, and new connections see it.
        since = log_size()
        out, _ = one(fam, "cert", "install", stdin=signed.stdout.encode())
        check("installed" in out, out)
        wait_log(r"console: operator1 installed a new device certificate", since)
    check(device_serial(fam) == new_serial_hex.upper() != old_serial, "new connections do not show the new certificate")
    check(tls_command(fam, b"CMD_short:0").startswith(b"This is PMU data 1"), "TLS service with the new certificate")

    # Reboot: the saved configuration and the installed certificate persist.
    since = log_size()
    out, _ = one(fam, "reboot")
    check("rebooting" in out, out)
    wait_rebooted(fam, since)
    check(command(fam, b"CMD_short:0") == b"".join(f"This is PMU data {i}".encode() for i in (1, 2, 3)),
          "command.short_count = 3 not in effect after the reboot")
    check(device_serial(fam) == new_serial_hex.upper(), "the installed certificate did not survive the reboot")
    out, _ = one(fam, "config", "show")
    check("\ncommand.short_count = 3\n" in "\n" + out, "the saved value is not the running one after the reboot")
    out, _ = one(fam, "uptime")
    check(re.match(r"up \d+ s, boot 2", out), f"boot count after the reboot: {out}")


run(main)
