#!/usr/bin/env python3
"""pmu-netns (targets/sim/pmu-netns): the command runs inside a private namespace with the documented
addresses and no default route, its exit status comes back, and the namespace, the
device and the name files are gone afterwards: after success, failure and Ctrl-C."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pmutest import check, run  # noqa: E402

LAUNCHER, SIM, PDC_DIR = sys.argv[1:4]
# Any further arguments choose the device (--target mps2-an385 --image ...): the same
# guarantees hold for the board under QEMU.
BASE = [LAUNCHER, "-q", "--sim", SIM, "--pdc-dir", PDC_DIR, *sys.argv[4:]]


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def gone(ns, sim_pid):
    check(ns not in namespaces(), f"namespace {ns} left behind")
    check(not os.path.exists(f"/etc/netns/{ns}"), f"/etc/netns/{ns} left behind")
    try:
        os.kill(sim_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    check(not alive, f"the device process {sim_pid} is still running")


def main():
    inner = ('echo "$PMU_NETNS $PMU_SIM_PID"; ip route; ip -6 route; getent hosts "$PMU_HOST"; '
             'pdc short "$PMU_HOST" 0 -q; exit 7')
    r = subprocess.run(BASE + ["--", "sh", "-c", inner], capture_output=True, text=True, timeout=120)
    check(r.returncode == 7, f"exit status not passed through: {r.returncode} {r.stderr}")
    lines = r.stdout.splitlines()
    ns, pid = lines[0].split()
    routes = "\n".join(lines[1:])
    check("default" not in routes, f"a default route inside the namespace:\n{routes}")
    check("192.0.2.0/24 dev pmu0" in routes and "2001:db8::/64 dev pmu0" in routes, f"routes:\n{routes}")
    check("192.0.2.2" in r.stdout or "2001:db8::2" in r.stdout, "device name does not resolve")
    check("10 messages" in r.stderr, f"pdc inside the namespace failed: {r.stderr}")
    gone(ns, int(pid))

    # A configuration the device refuses: a clear error, status 125, nothing left.
    # (Other tests may make and remove namespaces meanwhile: only this launcher's
    # own, named pmu-<its pid>-..., count.)
    p = subprocess.Popen(BASE + ["--set", "ipv4.prefix=99", "--", "true"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=60)
    check(p.returncode == 125 and "ipv4.prefix" in err, f"bad config: {p.returncode} {err}")
    left = {n for n in namespaces() if n.startswith(f"pmu-{p.pid}-")}
    check(not left, f"a namespace was left after a refused configuration: {left}")

    # Ctrl-C while the command runs: everything is torn down.
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "up")
        p = subprocess.Popen(BASE + ["--", "sh", "-c", f'echo "$PMU_NETNS $PMU_SIM_PID" > {marker}; sleep 60'],
                             start_new_session=True)
        deadline = time.monotonic() + 30
        while not (os.path.exists(marker) and os.path.getsize(marker) > 0):
            check(time.monotonic() < deadline and p.poll() is None, "launcher did not bring the device up")
            time.sleep(0.1)
        ns, pid = open(marker).read().split()
        os.killpg(p.pid, signal.SIGINT)
        rc = p.wait(30)
        check(rc == 130, f"Ctrl-C exit status {rc}, expected 130")
        gone(ns, int(pid))


run(main)
