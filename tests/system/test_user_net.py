#!/usr/bin/env python3
"""The README's rootless quick start: the board image under QEMU user networking, its
ports forwarded on 127.0.0.1 (IPv4 only), driven by pdc with -p: the command service,
echo, the sink, the clock reset service. Runs on the host, no namespace."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pmutest import *  # noqa: E402,F403

OFFSET = int(os.environ["PMU_PORT_OFFSET"])


def main():
    check(HOST == "127.0.0.1" and TARGET in ("mps2-an385", "lm3s6965evb"),
          f"not the launcher's user-net mode: {HOST} {TARGET}")
    summary, lines = pdc_json("short", "-4", "-p", 5003 + OFFSET, HOST, "0")
    check(summary["messages"] == 10 and lines[-1] == "This is PMU data 10", f"short: {summary}")
    summary, _ = pdc_json("floodme", "-4", "-p", 5003 + OFFSET, HOST)
    check(summary["bytes"] == 1048576 and summary["content_ok"], f"floodme: {summary}")
    summary, out = pdc_json("echo", "-4", "-p", 5002 + OFFSET, HOST, "through", "slirp")
    check(out == ["through slirp"] and summary["match"], f"echo: {out} {summary}")
    since = log_size()
    pdc_json("send", "-4", "-p", 5001 + OFFSET, HOST, "hello from user networking")
    wait_log(r'sink: 26 bytes from .*: "hello from user networking"', since)
    summary, _ = pdc_json("reset", "-4", "-p", 5004 + OFFSET, HOST, "10", "--wait", "100ms")
    check(0 <= summary["offsets_sum"] <= 10, f"reset: {summary}")


run(main)
