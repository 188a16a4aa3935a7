#!/usr/bin/env python3
"""Power cut during a save (docs/PROTOCOL.md, "Storage"): the operator's `config save`
is cut at chosen bytes, by the power cut rehearsal (the simulator: SIGUSR2 with the
byte count, after which it restarts in place on its storage file; a board: the serial
console's 'cut N', after which it resets with its storage area as it was). Each boot
must find the configuration saved before, or the one being saved once every byte of it
and of its commit record was written, never a mix, an empty store or a lost identity
(the console's own TLS certificate lives in the same storage), and the next save must
work. The cut points are placed from the byte count of one whole save, which the
device's statistics give: inside the text, the record header and the commit record,
and at their edges."""
import ctypes
import signal

from pmutest import *

KEY = "command.short_count"
HEADER = 20   # a record copy's header (firmware/src/storage_records.cc)
COMMIT = 12   # a commit record

libc = ctypes.CDLL(None, use_errno=True)


class Sigval(ctypes.Union):
    _fields_ = [("sival_int", ctypes.c_int), ("sival_ptr", ctypes.c_void_p)]


def arm_cut(after):
    since = log_size()
    if TARGET == "sim":
        if libc.sigqueue(SIM_PID, signal.SIGUSR2, Sigval(sival_int=after)) != 0:
            check(False, f"sigqueue: {os.strerror(ctypes.get_errno())}")
    else:
        serial_console(f"cut {after}")
    wait_log(rf"storage: power cut rehearsal: power fails after {after} more bytes", since)


def storage_bytes():
    since = log_size()
    request_stats()
    return int(wait_log(r"stats: storage writes=\d+ bytes=(\d+)", since).group(1))


def one(fam, *words, expect_ok=True):
    r = console(f"-{fam}", *words, client="operator")
    check((r.returncode == 0) == expect_ok,
          f"console {' '.join(words)}: exit {r.returncode}\n{r.stdout.decode()}\n{r.stderr.decode()}")
    return r.stdout.decode()


def running_value(fam):
    out = one(fam, "config", "show")
    m = re.search(rf"^\*?{re.escape(KEY)} = (\d+)", out, re.M)
    check(m, f"{KEY} not in config show:\n{out}")
    return m.group(1)


def boot_number(fam):
    m = re.match(r"up \d+ s, boot (\d+)", one(fam, "uptime"))
    check(m, "uptime")
    return int(m.group(1))


def main():
    fam = family_from_argv()
    # A whole save from a clean store: its byte count places the cuts. Values are single
    # digits so that every save of the key writes the same number of bytes.
    one(fam, "config", "set", KEY, "2")
    before = storage_bytes()
    check(one(fam, "config", "save").startswith("saved "), "the first save")
    save = storage_bytes() - before
    text = save - HEADER - COMMIT
    check(text > 0, f"a save wrote {save} bytes")
    print(f"a save writes {save} bytes: {text} of text, a {HEADER}-byte header, a {COMMIT}-byte commit record")
    saved = "2"
    points = [0, 1, text // 2, text + HEADER - 1, text + HEADER, save - 1, save]
    outcomes = []
    for i, cut in enumerate(points):
        new = str(3 + i)
        boot = boot_number(fam)
        one(fam, "config", "set", KEY, new)
        arm_cut(cut)
        since = log_size()
        # The device goes down part-way: the console loses its connection, no answer.
        one(fam, "config", "save", expect_ok=False)
        wait_log(rf"storage: power cut \(rehearsal\) after {cut} bytes", since)
        wait_rebooted(fam, since)
        check(boot_number(fam) == boot + 1, "the device did not boot again after the cut")
        got = running_value(fam)
        expected = new if cut >= save else saved
        check(got in (saved, new), f"cut after {cut} of {save} bytes: {KEY} = {got}, neither {saved} nor {new}")
        check(got == expected, f"cut after {cut} of {save} bytes: the boot found {got}, expected {expected} "
                               f"({'every byte and the commit were written' if cut >= save else 'no commit'})")
        outcomes.append(f"{cut}:{'new' if got == new else 'old'}")
        saved = got
        # The store takes a whole save after the cut (clearing what the cut left).
        check(one(fam, "config", "save").startswith("saved "), f"a save after the cut at {cut}")
    # The identity survived every cut: a fresh TLS session verifies the device's
    # certificate against the CA, and the reboot counted.
    check(tls_command(fam, b"CMD_short:0").startswith(b"This is PMU data 1"), "the TLS service after the cuts")
    check(not log_lines(r"storage unreadable|storage write failed|TLS identity in storage unusable"),
          "the device found its storage damaged after a cut")
    print(f"{len(points)} cuts (bytes:outcome): {' '.join(outcomes)}")


run(main)
