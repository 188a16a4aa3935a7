#!/usr/bin/env python3
"""The multicast bulletin channel over one family: listeners receive the device's
bulletins; a 301-character text draws the device's answer in the group and a
300-character one does not; two subscribers at once; short, non-UTF-8 and oversized
datagrams are dropped and logged. The launcher sets bulletin.period_s=1."""
import json
import socket
import subprocess
import time

from pmutest import *

GROUP = {4: "224.1.1.1", 6: "ff15::1:5005"}


class Listener:
    """A running `pdc mcast listen --json`, read line by line."""

    def __init__(self, fam):
        self.proc = subprocess.Popen([PDC, "mcast", "listen", f"-{fam}", "--json", "-d", "60"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.seen = []

    def wait_for(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise TestFailure(f"the listener stopped: {self.proc.stderr.read()}")
            d = json.loads(line)
            self.seen.append(d)
            if predicate(d):
                return d
        raise TestFailure(f"no {what} within {timeout}s; saw {[x['id'] + x['text'][:30] for x in self.seen][-5:]}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def is_device_bulletin(d):
    return d["id"] == "PMU001" and d["text"].startswith(f"{HOST} up ")


def main():
    fam = family_from_argv()
    a, b = Listener(fam), Listener(fam)
    try:
        # Both subscribers hear the device's periodic bulletin, from its address.
        for listener in (a, b):
            d = listener.wait_for(is_device_bulletin, "device bulletin")
            check(d["family"] == f"ipv{fam}", f"bulletin over {d['family']}")
            check(address(fam) in d["from"], f"bulletin from {d['from']}")

        # 300 characters: no answer; 301: an answer naming the sender, the length and
        # the limit. The device handles them in order, so an answer to the first
        # would arrive before the answer to the second.
        since = log_size()
        for ident, n in (("A300", 300), ("A301", 301)):
            r = pdc("mcast", "send", f"-{fam}", "--id", ident, stdin=("é" * n + "\n").encode())
            check(r.returncode == 0, f"pdc mcast send: {r.stderr}")
        for listener in (a, b):
            answer = listener.wait_for(lambda d: d["id"] == "PMU001" and "[A301]" in d["text"], "answer to A301")
            check("301 characters" in answer["text"] and "300" in answer["text"], f"answer: {answer['text']}")
            early = [d for d in listener.seen if d["id"] == "PMU001" and "[A300]" in d["text"]]
            check(not early, f"the 300-character text was answered: {early}")
            # Each subscriber also saw the other subscriber's texts in the group.
            check(any(d["id"] == "  A301" and d["characters"] == 301 for d in listener.seen),
                  "a subscriber did not see the other's datagram")
        wait_log(r"mcast: answered \[A301\] in the IPv%d group: 301 characters > 300" % fam, since)
        check(not log_lines(r"answered \[A300\]", since), "the device answered the 300-character text")

        # Malformed datagrams are dropped and logged; the channel goes on.
        since = log_size()
        with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
            if fam == 4:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(os.environ["PMU_HOST_IPV4"]))
                dest = (GROUP[4], 5005)
            else:
                idx = socket.if_nametoindex(os.environ["PMU_TAP"])
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
                dest = (GROUP[6], 5005, 0, idx)
            for data, reason in ((b"abc", "shorter than the 6-byte identifier"),
                                 (b"BADUTF\xff\xfe", "text is not valid UTF-8"),
                                 (b"      blank id", "identifier is blank"),
                                 # over the 2048-byte limit in two fragments: as much as
                                 # reassembly takes on the smallest board (PROTOCOL.md)
                                 (b"X" * 2500, "oversized datagram of 2500 bytes")):
                s.sendto(data, dest)
                wait_log(re.escape(reason), since)
        a.wait_for(is_device_bulletin, "device bulletin after malformed datagrams")
    finally:
        a.stop()
        b.stop()


run(main)
