"""Helpers for the system tests.

Every test runs inside the private network namespace that pmu-netns (targets/sim/pmu-netns) makes, next
to a real device (pmu-sim, or the MPS2 AN385 board image under QEMU: PMU_TARGET), and
drives it with the real pdc binary and with raw sockets written only from
docs/PROTOCOL.md. Waits are on conditions (a log line, a socket event) with a deadline,
never bare sleeps.
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = os.environ.get("PMU_HOST", "pmu1")
IPV4 = os.environ.get("PMU_IPV4", "")
IPV6 = os.environ.get("PMU_IPV6", "")
LOG = os.environ.get("PMU_LOG", "")
PCAP = os.environ.get("PMU_PCAP", "")
SIM_PID = int(os.environ.get("PMU_SIM_PID", "0") or 0)
TARGET = os.environ.get("PMU_TARGET", "sim")
CONSOLE = os.environ.get("PMU_CONSOLE", "")
PDC = shutil.which("pdc")
SKIP = 77  # the exit status ctest reports as "skipped" (SKIP_RETURN_CODE)

PORT_SINK, PORT_ECHO, PORT_CMD = 5001, 5002, 5003


class TestFailure(Exception):
    pass


class TestSkipped(Exception):
    pass


def skip_unless(condition, reason):
    """Ends the test as skipped, saying why, when `condition` does not hold."""
    if not condition:
        raise TestSkipped(reason)


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def family_from_argv():
    fam = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    check(fam in (4, 6), "family must be 4 or 6")
    return fam


def address(fam):
    addr = IPV4 if fam == 4 else IPV6
    check(addr, f"the device has no IPv{fam} address in this run")
    return addr


def af(fam):
    return socket.AF_INET if fam == 4 else socket.AF_INET6


# ---- pdc ------------------------------------------------------------------------------

def pdc(*args, stdin=None, timeout=120):
    """Runs pdc; returns CompletedProcess with text stdout/stderr."""
    check(PDC, "pdc is not on PATH")
    return subprocess.run([PDC, *map(str, args)], input=stdin, capture_output=True, timeout=timeout)


def pdc_json(*args, expect_rc=0, **kw):
    """Runs pdc with --json; returns (summary dict, other stdout lines)."""
    r = pdc(*args, "--json", **kw)
    out = r.stdout.decode(errors="replace").splitlines()
    check(r.returncode == expect_rc,
          f"pdc {' '.join(map(str, args))}: exit {r.returncode}, expected {expect_rc}\n"
          f"stdout: {out[-5:]}\nstderr: {r.stderr.decode(errors='replace')}")
    check(out and out[-1].startswith("{"), f"pdc printed no JSON summary: {out[-3:]}")
    return json.loads(out[-1]), out[:-1]


# ---- raw sockets -------------------------------------------------------------------------

def connect(fam, port, timeout=10):
    s = socket.socket(af(fam), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((address(fam), port))
    return s


def recv_until_close(s, timeout=30):
    """Reads until the peer closes. Returns (data, number of recv calls that returned data)."""
    s.settimeout(timeout)
    chunks, calls = [], 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
        calls += 1
    return b"".join(chunks), calls


def command(fam, text, newline=True, timeout=30):
    """One command on the command service with a raw socket; returns the whole answer."""
    with connect(fam, PORT_CMD) as s:
        s.sendall(text + (b"\n" if newline else b""))
        data, _ = recv_until_close(s, timeout)
        return data


# ---- the device log ----------------------------------------------------------------------

def log_size():
    return os.path.getsize(LOG)


def wait_log(pattern, since=0, timeout=15):
    """Waits until a log line after byte offset `since` matches `pattern`; returns the match."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        with open(LOG, "rb") as f:
            f.seek(since)
            for line in f.read().decode(errors="replace").splitlines():
                m = rx.search(line)
                if m:
                    return m
        if time.monotonic() > deadline:
            raise TestFailure(f"no device log line matching /{pattern}/ within {timeout}s")
        time.sleep(0.05)


def log_lines(pattern, since=0):
    rx = re.compile(pattern)
    with open(LOG, "rb") as f:
        f.seek(since)
        return [m for m in (rx.search(l) for l in f.read().decode(errors="replace").splitlines()) if m]


def session_limit(tag):
    """The most sessions the service `tag` (cmd, echo, ws, tls-cmd, console) serves at
    once, as the device said when it started listening: the simulator's 8, a board
    profile's own (docs/BOARD.md, "Profiles")."""
    m = wait_log(rf" {re.escape(tag)}: listening on TCP port \d+ \((?:mutual TLS, )?up to (\d+) sessions")
    return int(m.group(1))


def request_stats():
    """Makes the device log its statistics report: SIGUSR1 to the simulator; on the
    board (no process to signal), the serial console's 'stats' command on UART0."""
    if TARGET == "sim":
        os.kill(SIM_PID, signal.SIGUSR1)
        return
    check(CONSOLE, "the launcher gave no console (PMU_CONSOLE) for the board")
    fd = os.open(CONSOLE, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, b"stats\n")
    finally:
        os.close(fd)


def device_stats():
    """Asks the device for a statistics report and returns
    {pool name: (used, peak, size, failures)} plus 'heap'."""
    since = log_size()
    request_stats()
    wait_log(r"stats: end of report", since)
    stats = {}
    for m in log_lines(r"stats: pool (\S+) used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", since):
        stats[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    m = log_lines(r"stats: heap used=(\d+) peak=(\d+) size=(\d+) failures=(\d+) resting=(\d+)", since)[0]
    stats["heap"] = tuple(int(x) for x in m.groups()[:4])
    stats["heap_resting"] = int(m.group(5))
    return stats


def check_pools_drained(context, expected_failures=()):
    """After a scenario, everything transient is back: no received frame held, no
    queued segment, no heap in use beyond what the device held when it became ready
    (the TLS servers' configurations), no allocation failure anywhere but in the pools
    `expected_failures` names (where a full pool is how a limit works)."""
    deadline = time.monotonic() + 10
    while True:
        st = device_stats()
        resting = {"heap": st["heap_resting"]}
        busy = {k: v for k, v in st.items()
                if k in ("PBUF_POOL", "TCP_SEG", "PBUF", "heap") and v[0] != resting.get(k, 0)}
        if not busy:
            break
        check(time.monotonic() < deadline, f"{context}: pools still in use after the scenario: {busy}")
        time.sleep(0.2)
    failures = {k: v[3] for k, v in st.items()
                if isinstance(v, tuple) and v[3] != 0 and k not in expected_failures}
    check(not failures, f"{context}: allocation failures: {failures}")


# ---- captures ------------------------------------------------------------------------------

def tshark_fields(pcap, display_filter, fields):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    check(r.returncode == 0, f"tshark failed: {r.stderr.decode(errors='replace')}")
    return [line.split("\t") for line in r.stdout.decode().splitlines() if line]


def print_log_tail(lines=40):
    """The end of the device log, so that a failure seen only in CI's output can be
    understood from it."""
    if not LOG or not os.path.exists(LOG):
        return
    with open(LOG, "rb") as f:
        f.seek(max(0, os.path.getsize(LOG) - 16384))
        tail = f.read().decode(errors="replace").splitlines()[-lines:]
    print(f"--- the last {len(tail)} lines of the device log {LOG}:", file=sys.stderr)
    for line in tail:
        print(f"  {line}", file=sys.stderr)


def run(main):
    """Runs a test body; prints PASS/FAIL and exits with a meaningful status."""
    name = os.path.basename(sys.argv[0])
    try:
        main()
    except TestSkipped as e:
        print(f"SKIP {name} {' '.join(sys.argv[1:])} on {TARGET}: {e}")
        sys.exit(SKIP)
    except TestFailure as e:
        print(f"FAIL {name} {' '.join(sys.argv[1:])} on {TARGET}: {e}", file=sys.stderr)
        print_log_tail()
        sys.exit(1)
    print(f"PASS {name} {' '.join(sys.argv[1:])} on {TARGET}")


# ---- TLS (the launcher's --pki sets these) ------------------------------------------------

PKI = os.environ.get("PMU_PKI", "")
PORT_TLS, PORT_CONSOLE = 5007, 5008


def pki_path(*parts):
    check(PKI, "this test needs pmu-netns --pki")
    return os.path.join(PKI, *parts)


def client_cert(name):
    """(certificate, key) files: 'operator' or one of the fixtures (client-otherca, ...)."""
    if name == "operator":
        return pki_path("operator", "operator.crt"), pki_path("operator", "operator.key")
    return pki_path("fixtures", name, "client.crt"), pki_path("fixtures", name, "client.key")


def tls_connect(fam, port, client=None, server_hostname=None):
    """A Python ssl client (CERT_REQUIRED, hostname checking) to the device."""
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki_path("ca", "ca.crt"))
    check(ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname, "python ssl defaults changed")
    if client:
        ctx.load_cert_chain(*client_cert(client))
    raw = connect(fam, port)
    return ctx.wrap_socket(raw, server_hostname=server_hostname or HOST)


def tls_command(fam, text, client=None, server_hostname=None, timeout=30):
    with tls_connect(fam, PORT_TLS, client, server_hostname) as s:
        s.sendall(text + b"\n")
        data, _ = recv_until_close(s, timeout)
        return data


def console(fam_flag, *words, stdin=None, client=None):
    """pdc console one-shot; returns CompletedProcess."""
    args = ["console", fam_flag, HOST, *words]
    if client:
        cert, key = client_cert(client)
        args += ["--cert", cert, "--key", key]
    return pdc(*args, stdin=stdin)


def tls_arena():
    """(used, peak, size) of the device's TLS arena, from its statistics report."""
    since = log_size()
    request_stats()
    wait_log(r"stats: end of report", since)
    m = log_lines(r"stats: tls arena size=(\d+) used=(\d+) peak=(\d+)", since)[-1]
    return int(m.group(2)), int(m.group(3)), int(m.group(1))


# ---- a board's boot test ---------------------------------------------------------------------

def wait_rebooted(fam, since, timeout=60):
    """After a reboot (the console's, or a power cut's): the device logs its next boot
    and that it is ready, then answers a command again."""
    wait_log(r"boot: boot number \d+", since, timeout=timeout)
    wait_log(r"boot: ready", since, timeout=timeout)
    deadline = time.monotonic() + 30
    while True:
        try:
            if command(fam, b"CMD_short:0", timeout=5):
                return
        except OSError:
            pass
        check(time.monotonic() < deadline, "the device did not come back after the reboot")
        time.sleep(0.2)


def serial_console(line):
    """Writes `line` to a board's serial console (UART0's receiver, PMU_CONSOLE)."""
    fd = os.open(CONSOLE, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, line.encode() + b"\n")
    finally:
        os.close(fd)


def ping(target, count=3):
    r = subprocess.run(["ping", "-c", str(count), "-i", "0.2", "-W", "2", target], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, f"ping {target}: {r.stdout[-200:]} {r.stderr}")
    return r.stdout


SHORT_WIRE = "".join(f"This is PMU data {i}" for i in range(1, 11)).encode()  # CMD_short:0's answer


def served(where):
    """The command service answers over both families."""
    for fam in (4, 6):
        check(command(fam, b"CMD_short:0") == SHORT_WIRE, f"{where}: CMD_short:0 over IPv{fam}")


def clock_check(when):
    """The board's UTC, stamped on a log record it writes while we watch, is the host's
    within semihosting's start-up rounding (half a second) and some slack."""
    since = log_size()
    before = datetime.datetime.utcnow()
    pdc("send", HOST, "clock check")
    line = wait_log(r"^(\S+)Z INFO  sink: .*clock check", since)
    after = datetime.datetime.utcnow()
    board = datetime.datetime.fromisoformat(line.group(1))
    slack = datetime.timedelta(seconds=0.75)
    check(before - slack <= board <= after + slack,
          f"{when}: the board's UTC {board.time()} is off the host's {before.time()}..{after.time()}")


def banner(since):
    """The banner lines printed after byte offset `since`, as one text."""
    wait_log(r"^  console  UART0 115200 8N1", since, timeout=60)
    with open(LOG, "rb") as f:
        f.seek(since)
        return f.read().decode(errors="replace")


def run_board_boot(target, scenarios):
    """The driver of a board's boot test (test_board_boot.py, test_lm3s_boot.py), which
    runs the board three times, each under its own launcher run: as configured
    ("normal"), with a configuration it must refuse ("bad_config"), and without a
    semihosting host ("no_semihosting"). Outside, the script's arguments are the launcher,
    pmu-sim, the pdc directory, the image and qemu-system-arm; each launcher run calls the
    script again with --inside SCENARIO, which runs that scenario's function."""
    if len(sys.argv) > 2 and sys.argv[1] == "--inside":
        run(scenarios[sys.argv[2]])
        return
    script = os.path.abspath(sys.argv[0])

    def launch(extra, scenario):
        launcher, sim, pdc_dir, image, qemu = sys.argv[1:6]
        cmd = [launcher, "-q", "--target", target, "--image", image, "--qemu", qemu, "--sim", sim,
               "--pdc-dir", pdc_dir, *extra, "--", sys.executable, script, "--inside", scenario]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        sys.stdout.write(r.stdout)
        check(r.returncode == 0, f"{scenario}: the launcher exited with {r.returncode}\n{r.stderr[-3000:]}")

    def outside():
        launch([], "normal")
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("# a configuration the board must refuse\nhostname = feeder9\nlog.level = loud\n")
            path = f.name
        try:
            launch(["--raw-config", path], "bad_config")
        finally:
            os.unlink(path)
        launch(["--no-semihosting"], "no_semihosting")

    run(outside)
