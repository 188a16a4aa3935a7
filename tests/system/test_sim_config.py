#!/usr/bin/env python3
"""pmu-sim refuses an invalid configuration with a message that names the field and
says why, from flags and from a file; a valid one is accepted and shown."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from pmutest import check, run  # noqa: E402

SIM = sys.argv[1]


def sim(*args):
    return subprocess.run([SIM, *args], capture_output=True, text=True, timeout=30)


def main():
    r = sim("--check-config")
    check(r.returncode == 0, f"defaults rejected: {r.stderr}")
    r = sim("--print-config", "--set", "hostname=feeder9")
    check(r.returncode == 0 and "hostname = feeder9\n" in r.stdout, f"print-config: {r.stdout}")
    check("ipv6.address = 2001:db8::2\n" in r.stdout, "default IPv6 address not shown")
    # What the launcher gives a board: only the keys that differ from the defaults.
    r = sim("--print-changed-config", "--set", "hostname=feeder9", "--set", "c37.rate=60")
    check(r.returncode == 0 and r.stdout == "hostname = feeder9\nc37.rate = 60\n",
          f"print-changed-config: {r.stdout!r}")
    r = sim("--print-changed-config")
    check(r.returncode == 0 and r.stdout == "", f"print-changed-config of the defaults: {r.stdout!r}")

    bad = [
        (["--set", "ipv4.prefix=40"], ["ipv4.prefix", "'40'", "out of range", "1 to 30"]),
        (["--set", "ipv6.address=fe80::1"], ["ipv6.address", "global unicast"]),
        (["--set", "mac=01:00:5e:00:00:01"], ["mac", "unicast"]),
        (["--set", "command.port=5002"], ["command.port", "echo.port"]),
        (["--set", "ipv4.enabled=false", "--set", "ipv6.enabled=false"], ["ipv4.enabled", "both disabled"]),
        (["--set", "ipv4.gateway=198.51.100.1"], ["ipv4.gateway", "subnet"]),
        (["--set", "colour=blue"], ["unknown key", "colour"]),
        (["--set", "noequals"], ["key=value"]),
    ]
    for args, words in bad:
        r = sim(*args, "--check-config")
        check(r.returncode == 2, f"{args}: exit {r.returncode}, expected 2")
        for w in words:
            check(w in r.stderr, f"{args}: message lacks '{w}': {r.stderr.strip()}")

    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("# test\nhostname = ok\n\nlog.level = loud\n")
        path = f.name
    try:
        r = sim("--config", path, "--check-config")
        check(r.returncode == 2, "bad log level in a file accepted")
        for w in (path, "line 4", "log.level", "'loud'", "error, warn, info or debug"):
            check(w in r.stderr, f"file error lacks '{w}': {r.stderr.strip()}")
    finally:
        os.unlink(path)

    # docs/CONFIGURATION.md documents every key the device has, with its default.
    docs = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "CONFIGURATION.md")).read()
    for line in sim("--print-config").stdout.splitlines():
        key, value = line.split(" = ", 1)
        check(f"| `{key}` | `{value}` |" in docs, f"docs/CONFIGURATION.md lacks the row for {key} = {value}")

    r = sim()
    check(r.returncode == 2 and "--tap" in r.stderr, "missing --tap not reported")
    r = sim("--help")
    check(r.returncode == 0 and "--pcap" in r.stdout, "--help")


run(main)
