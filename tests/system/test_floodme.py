#!/usr/bin/env python3
"""CMD_floodme: the bytes a client receives match the length and SHA-256 the device
logs, and the documented deterministic text; CMD_floodme:N for awkward sizes."""
import hashlib
import os
import subprocess
import tempfile

from pmutest import *


def main():
    fam = family_from_argv()
    flag = f"-{fam}"

    # pdc writes the stream to a file; sha256sum digests it independently.
    since = log_size()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "floodme.bin")
        summary, _ = pdc_json("floodme", flag, HOST, "-o", out)
        sha256sum = subprocess.run(["sha256sum", out], capture_output=True, check=True).stdout.split()[0].decode()
        size = os.path.getsize(out)
    check(summary["bytes"] == 1048576 and size == 1048576, f"pdc got {summary['bytes']} bytes, file has {size}")
    check(summary["content_ok"], "pdc found bytes that differ from the floodme text")
    logged = wait_log(r"floodme sent (\d+) bytes sha256=([0-9a-f]{64})", since)
    check(int(logged.group(1)) == 1048576, f"device logged {logged.group(1)} bytes")
    check(summary["sha256"] == logged.group(2), "pdc digest differs from the device's")
    check(sha256sum == logged.group(2), "sha256sum of the received bytes differs from the device's digest")

    # A raw client: the text follows the documented format line by line.
    raw = command(fam, b"CMD_floodme")
    check(len(raw) == 1048576, f"raw floodme gave {len(raw)} bytes")
    lines = raw.split(b"\n")
    check(lines[0] == b"floodme 0000000000 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr", f"line 0: {lines[0]!r}")
    check(all(len(l) == 63 for l in lines[:-1]) and lines[-1] == b"", "lines are not 64 bytes each")
    check(lines[12345][8:18] == b"0000012345", f"line 12345: {lines[12345]!r}")
    check(hashlib.sha256(raw).hexdigest() == logged.group(2), "raw digest differs from the device's")

    # Awkward sizes: every one checked against the device's own report.
    for n in (1, 63, 64, 65, 1459, 1460, 1461, 100_003):
        since = log_size()
        got = command(fam, f"CMD_floodme:{n}".encode())
        m = wait_log(rf"floodme sent {n} bytes sha256=([0-9a-f]{{64}})", since)
        check(len(got) == n, f"CMD_floodme:{n} gave {len(got)} bytes")
        check(hashlib.sha256(got).hexdigest() == m.group(1), f"CMD_floodme:{n} digest differs")

    # A size over the device's limit is an error, not a stream.
    check(command(fam, b"CMD_floodme:99999999999") ==
          b"ERROR bad size: larger than this device's CMD_floodme limit\n", "over-limit size not refused")
    check_pools_drained("floodme")


run(main)
