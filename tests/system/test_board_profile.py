#!/usr/bin/env python3
"""A board image whose profile leaves services out (docs/BOARD.md, "Profiles"): the
banner and the boot log name the profile and each service it left out; a configuration
that sets a key of a left-out service is refused as a whole, naming the key, the service
and the profile, and the board runs on its defaults; what was left out is absent from
the network (the WebSocket port refuses connections), what was not still answers.

    test_board_profile.py FAMILY PROFILE KEY
The launcher runs it with --set KEY=... (its config area then holds that key).
"""
import socket
import sys

from pmutest import *

# What the firmware calls each service a profile may leave out (firmware/src/profile.cc),
# by the prefix of its keys.
SERVICES = {"ws.": "the WebSocket service", "bulletin.": "the bulletin channel",
            "comtrade.": "COMTRADE and scenario playback", "scenario.": "COMTRADE and scenario playback",
            "analog.source": "COMTRADE and scenario playback"}
WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()


def main():
    fam = family_from_argv()
    profile, key = sys.argv[2], sys.argv[3]
    service = next(name for prefix, name in SERVICES.items() if key.startswith(prefix))
    wait_log(rf"PMU firmware .*, profile {profile}$")
    wait_log(rf"boot: profile {profile} leaves {service} out of this image")
    refusal = wait_log(r"config: invalid configuration in the config area at 0x[0-9a-f]+ line \d+: (.*); ignored")
    check(refusal.group(1).startswith(f"{key} = '"), f"the refusal names another key: {refusal.group(1)}")
    check(f"is for {service}, which profile '{profile}' leaves out of this image" in refusal.group(1),
          f"the refusal does not say why: {refusal.group(1)}")
    wait_log(r"config: running with the built-in defaults")
    # The rest of the device is there, on its defaults.
    wait_log(r"pmu: synthetic front end")
    check(command(fam, b"CMD_short:0") == WIRE, "the command service did not answer")
    r = pdc("c37", "stream", f"-{fam}", HOST, "-n", 3, "--format", "none", "-q", "-t", "5", timeout=30)
    check(r.returncode == 0, f"pdc c37 stream: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    if service == "the WebSocket service":
        try:
            connect(fam, 5006, timeout=5).close()
            check(False, "the WebSocket port accepted a connection in an image without the service")
        except ConnectionRefusedError:
            pass
    else:
        check(log_lines(r" ws: listening on TCP port"), "the WebSocket service did not start")


run(main)
