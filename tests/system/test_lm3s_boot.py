#!/usr/bin/env python3
"""The LM3S6965 image boots under QEMU (lm3s6965evb): it prints its banner with the
version, its memory map (flash areas at the top of the 256 KiB, 64 KiB of SRAM) and its
network addresses on UART0, answers ping over IPv4 and IPv6 (link-local too), serves
the command service over both, and answers on its serial console. Its clock keeps the
host's time while the host is loaded (the count is SysTick's, not its interrupts').
Flash writes fail under QEMU (no flash controller): the board says so and runs on. A
deliberate fault is reported before the board resets and comes back; a console reboot
does the same cleanly. A bad configuration in the config area is reported with its line
and the defaults run; without a semihosting host the board says where its UTC starts.

    test_lm3s_boot.py LAUNCHER PMU_SIM PDC_DIR IMAGE QEMU       (runs the launcher)
    test_lm3s_boot.py --inside SCENARIO                          (next to the board)
"""
import datetime
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pmutest import *  # noqa: E402,F403

CONFIG_AREA = "0x0003b000"


def check_banner(text):
    for pattern in (r"PMU firmware \d+\.\d+\.\d+ for the TI Stellaris LM3S6965 \(Cortex-M3 at 50 MHz\), gcc .*"
                    r"profile plain",
                    r"  image    0x00000000-0x000[0-3][0-9a-f]{4} \(\d+ KiB of code and constants\)",
                    r"  RAM      0x20000000-0x2000[0-9a-f]{4} \(\d+ KiB: stack \d+ KiB, data, bss; no heap\)",
                    rf"  config   {CONFIG_AREA} \(4 KiB\)   storage 0x0003c000 \(15 KiB\)",
                    r"  seed     0x0003fc00 \(1 KiB\)",
                    r"  UART0    0x4000c000 IRQ 5   Ethernet 0x40048000 IRQ 42",
                    r"  Ethernet MAC 02:50:4d:55:00:01, no PHY on the MII \(QEMU\): link taken as up",
                    rf"  IPv4     {re.escape(IPV4)}/24",
                    rf"  IPv6     {re.escape(IPV6)}/64 and fe80::50:4dff:fe55:1/64"):
        check(re.search(pattern, text, re.M), f"no banner line /{pattern}/ in:\n{text[:1500]}")
    check("PLL did not lock" not in text, "the PLL did not lock")


def normal():
    text = banner(0)
    check_banner(text)
    check(re.search(r"reset    power-on \(warm reset 0\)", text), "first boot is not a power-on")
    wait_log(r"clock: UTC \S+ from the host \(semihosting SYS_TIME\)")
    wait_log(rf"config: configuration from the config area at {CONFIG_AREA} \(\d+ bytes\)")
    # The launcher loaded a formatted storage area and the seeds; QEMU's flash takes no
    # write, and the board says so instead of pretending.
    wait_log(r"entropy: DRBG seeded from the provisioned seed, no previous boot seed \(first boot\) and timer "
             r"jitter; boot seed NOT renewed")
    wait_log(r"entropy: the boot seed could not be saved: flash .* \(QEMU does not emulate the flash controller\)")
    wait_log(r"IPv6 address 2001:db8::2 is valid")
    ping(IPV4)
    ping(IPV6)
    ping(f"fe80::50:4dff:fe55:1%{os.environ['PMU_TAP']}")
    served("first boot")

    clock_check("after boot")
    burners = [subprocess.Popen(["timeout", "8", "sh", "-c", "while :; do :; done"])
               for _ in range((os.cpu_count() or 1) * 2)]
    for b in burners:
        b.wait(timeout=30)
    clock_check("after 8 s of host load")

    since = log_size()
    serial_console("help")
    wait_log(r"console: commands: help, stats, reboot, fault", since)
    serial_console("stats")
    m = wait_log(r"stats: board stack_peak=(\d+) stack_size=(\d+) ram_used=(\d+) irqs=\d+ mac rx=[1-9]\d* "
                 r"rx_errors=0 rx_oversized=0 rx_overruns=\d+ tx=[1-9]\d* tx_busy=0 flash_write_failures=[1-9]", since)
    peak, size, ram = (int(x) for x in m.groups())
    check(peak < size, f"stack peak {peak} reached the stack's {size} bytes")
    check(ram <= 64 * 1024, f"ram_used {ram} is more than the part's 64 KiB")
    wait_log(r"stats: cmd accepted=", since)

    since = log_size()
    serial_console("fault")
    wait_log(r"^\*\*\* FAULT: UsageFault \(exception 6\) at PC=0x[0-9a-f]{8} LR=0x[0-9a-f]{8}", since)
    wait_log(r"^\*\*\* CFSR=0x00010000 ", since)
    wait_log(r"^\*\*\* rebooting", since)
    text = banner(since)
    check_banner(text)
    check(re.search(r"reset    fault \(warm reset 1\): exception 6 at PC 0x[0-9a-f]{8}", text), "reset cause not shown")
    wait_log(r"IPv6 address 2001:db8::2 is valid", since, timeout=30)
    ping(IPV4)
    ping(IPV6)
    served("after the fault")

    since = log_size()
    serial_console("reboot")
    wait_log(r"^\*\*\* reboot: console command", since)
    text = banner(since)
    check_banner(text)
    check(re.search(r"reset    reboot requested \(warm reset 2\)", text), "reboot cause not shown")
    wait_log(r"IPv6 address 2001:db8::2 is valid", since, timeout=30)
    served("after the reboot")


def bad_config():
    check_banner(banner(0))
    wait_log(rf"config: invalid configuration in the config area at {CONFIG_AREA} line 3: log.level = 'loud': "
             r"must be error, warn, info or debug; ignored")
    wait_log(r"config: running with the built-in defaults")
    ping(IPV4)
    served("with the default configuration")


def no_semihosting():
    check_banner(banner(0))
    wait_log(r"clock: no semihosting host: UTC starts at \S+ \(the image's build time\)")
    ping(IPV4)
    served("without semihosting")


run_board_boot("lm3s6965evb", {"normal": normal, "bad_config": bad_config, "no_semihosting": no_semihosting})
