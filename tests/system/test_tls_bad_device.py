#!/usr/bin/env python3
"""Each bad device certificate as the PDC sees it: a device provisioned with an expired,
not yet valid, wrong-name, self-signed or other-CA certificate is refused by pdc tls
(exit status 3, the reason named) and by Python's ssl, and keeps serving its other
services. Runs the launcher once per fixture.

argv: LAUNCHER SIM PDC_DIR PKI_DIR"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from pmutest import check, run  # noqa: E402

LAUNCHER, SIM, PDC_DIR, PKI = sys.argv[1:5]

CASES = {
    "expired": "certificate has expired",
    "notyet": "certificate is not yet valid",
    "wrongname": "hostname mismatch",
    "selfsigned": "self-signed certificate",
    "otherca": "unable to get local issuer certificate",
}

INSIDE = r'''
import json, os, socket, ssl, subprocess, sys
reason = sys.argv[1]
host = os.environ["PMU_HOST"]
r = subprocess.run(["pdc", "tls", host, "CMD_time"], capture_output=True, text=True)
assert r.returncode == 3, f"pdc tls exit {r.returncode}: {r.stdout} {r.stderr}"
assert reason in r.stderr, f"pdc tls did not name '{reason}': {r.stderr}"
ctx = ssl.create_default_context(cafile=os.environ["PMU_TLS_CA"])
try:
    with ctx.wrap_socket(socket.create_connection((os.environ["PMU_IPV4"], 5007), 10), server_hostname=host) as s:
        raise AssertionError("python ssl accepted the device")
except ssl.SSLCertVerificationError as e:
    pass
r = subprocess.run(["pdc", "short", host, "0", "--json"], capture_output=True, text=True)
assert r.returncode == 0 and json.loads(r.stdout.splitlines()[-1])["messages"] == 10, f"plain service: {r.stderr}"
r = subprocess.run(["pdc", "tls", host, "CMD_time"], capture_output=True, text=True)
assert r.returncode == 3 and reason in r.stderr, "second attempt"
print("refused as expected:", reason)
'''


def main():
    for fixture, reason in CASES.items():
        r = subprocess.run([LAUNCHER, "-q", "--sim", SIM, "--pdc-dir", PDC_DIR, "--pki", PKI, "--provision",
                            os.path.join(PKI, "fixtures", f"device-{fixture}"), "--",
                            "/usr/bin/python3", "-c", INSIDE, reason], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"device-{fixture}: {r.stdout[-500:]} {r.stderr[-1500:]}")


run(main)
