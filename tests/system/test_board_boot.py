#!/usr/bin/env python3
"""The board image boots under QEMU (mps2-an385): it prints its banner with the version,
its memory map and its network addresses on UART0, answers ping over IPv4 and IPv6,
serves the command service, and answers on its serial console. A deliberate fault is
reported (exception, PC, registers) before the board resets and comes back with its
storage and a renewed entropy seed; a console reboot does the same cleanly. A bad
configuration in the config area is reported with its line and the defaults run.
Without a semihosting host the board says where its UTC starts.

    test_board_boot.py LAUNCHER PMU_SIM PDC_DIR IMAGE QEMU       (runs the launcher)
    test_board_boot.py --inside SCENARIO                          (next to the board)
"""
import datetime
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pmutest import *  # noqa: E402,F403

def check_banner(text, boot):
    for pattern in (r"PMU firmware \d+\.\d+\.\d+ for the ARM MPS2\+ AN385 \(Cortex-M3 at 25 MHz\), gcc ",
                    r"  image    0x00000000-0x[0-9a-f]{8} \(\d+ KiB of code and constants\)",
                    r"  RAM      0x20000000-0x[0-9a-f]{8} \(\d+ KiB: stack 8 KiB, data, bss; no heap\)",
                    r"  config   0x003f0000 \(16 KiB\)   certs 0x003f4000 \(16 KiB\)",
                    r"  storage  0x003f8000 \(24 KiB\)   seed  0x003fe000 \(4 KiB\)",
                    r"  UART0    0x40004000   LAN9118 0x40200000 IRQ 13",
                    r"  Ethernet LAN9118 rev 1, MAC 02:50:4d:55:00:01",
                    rf"  IPv4     {re.escape(IPV4)}/24",
                    rf"  IPv6     {re.escape(IPV6)}/64 and fe80::50:4dff:fe55:1/64",
                    rf"boot: boot number {boot}\r?$"):
        check(re.search(pattern, text, re.M), f"boot {boot}: no banner line /{pattern}/ in:\n{text[:1500]}")


def normal():
    check_banner(banner(0), 1)
    check(re.search(r"reset    power-on \(warm reset 0\)", banner(0)), "first boot is not a power-on")
    wait_log(r"clock: UTC \S+ from the host \(semihosting SYS_TIME\)")
    wait_log(r"config: configuration from the config area at 0x003f0000 \(\d+ bytes\)")
    wait_log(r"entropy: DRBG seeded from the provisioned seed, no previous boot seed \(first boot\)")
    wait_log(r"IPv6 address 2001:db8::2 is valid")
    ping(IPV4)
    ping(IPV6)
    ping(f"fe80::50:4dff:fe55:1%{os.environ['PMU_TAP']}")
    served("first boot")

    # The device's UTC follows the host's: semihosting's whole second at start-up, then
    # Timer0's count. It keeps doing so while the host is too busy to give QEMU's vCPU
    # every millisecond: a clock that counted SysTick interrupts lost a fifth of the
    # time here under load (8 s of load put it 1.5 s behind).
    clock_check("after boot")
    burners = [subprocess.Popen(["timeout", "8", "sh", "-c", "while :; do :; done"])
               for _ in range((os.cpu_count() or 1) * 2)]
    for b in burners:
        b.wait(timeout=30)
    clock_check("after 8 s of host load")

    # The serial console.
    since = log_size()
    serial_console("help")
    wait_log(r"console: commands: help, stats, reboot, fault", since)
    serial_console("dance")
    wait_log(r"console: unknown command 'dance'; try help", since)
    serial_console("stats")
    wait_log(r"stats: board stack_peak=\d+ stack_size=8192 ram_used=\d+ irqs=\d+ mac rx=[1-9]", since)
    wait_log(r"stats: cmd accepted=", since)

    # A fault: reported with its registers, then the board resets and comes back. The
    # storage area survives a warm reset (boot number 2), and the entropy seed the
    # first boot left is used and renewed.
    since = log_size()
    serial_console("fault")
    wait_log(r"console: fault requested", since)
    wait_log(r"^\*\*\* FAULT: UsageFault \(exception 6\) at PC=0x[0-9a-f]{8} LR=0x[0-9a-f]{8}", since)
    wait_log(r"^\*\*\* R0=0x[0-9a-f]{8} R1=.* xPSR=0x[0-9a-f]{8}", since)
    wait_log(r"^\*\*\* CFSR=0x00010000 ", since)  # UNDEFINSTR
    wait_log(r"^\*\*\* rebooting", since)
    text = banner(since)
    check_banner(text, 2)
    check(re.search(r"reset    fault \(warm reset 1\): exception 6 at PC 0x[0-9a-f]{8}", text), "reset cause not shown")
    wait_log(r"entropy: DRBG seeded from the provisioned seed, the previous boot's seed", since)
    wait_log(r"IPv6 address 2001:db8::2 is valid", since, timeout=30)
    ping(IPV4)
    ping(IPV6)
    served("after the fault")

    # A clean reboot from the console.
    since = log_size()
    serial_console("reboot")
    wait_log(r"^\*\*\* reboot: console command", since)
    text = banner(since)
    check_banner(text, 3)
    check(re.search(r"reset    reboot requested \(warm reset 2\)", text), "reboot cause not shown")
    wait_log(r"IPv6 address 2001:db8::2 is valid", since, timeout=30)
    served("after the reboot")


def bad_config():
    text = banner(0)
    check_banner(text, 1)
    wait_log(r"config: invalid configuration in the config area at 0x003f0000 line 3: log.level = 'loud': "
             r"must be error, warn, info or debug; ignored")
    wait_log(r"config: running with the built-in defaults")
    ping(IPV4)
    served("with the default configuration")


def no_semihosting():
    check_banner(banner(0), 1)
    wait_log(r"clock: no semihosting host: UTC starts at \S+ \(the image's build time\)")
    ping(IPV4)
    served("without semihosting")


run_board_boot("mps2-an385", {"normal": normal, "bad_config": bad_config, "no_semihosting": no_semihosting})
