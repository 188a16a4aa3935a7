#!/usr/bin/env bash
# Footprint of the board images (docs/BENCHMARKS.md, "Board footprint"):
#   1. static flash and RAM per module and per profile, against the goal of 256 KiB of
#      flash and 128 KiB of RAM (bench/footprint.py on every profile built:
#      build/mps2-an385 is the default profile, complete; build/mps2-an385-lab and
#      build/mps2-an385-compact the others, when their presets were built);
#   2. the sizes of the default image's largest objects (a probe compiled with its own
#      flags: the Device is one object, so the map shows it as main.cc's RAM);
#   1 and 2 also for the Stellaris LM3S6965 image when it was built (build/lm3s6965evb,
#      the lm3s6965evb preset), against its part: the flash its linker script gives the
#      image (236 KiB; the top 20 KiB hold the storage areas) and its 64 KiB of SRAM;
#   3. measured peaks of lwIP's pools and heap, the TLS arena and the main stack on the
#      default image under QEMU (provisioned with a development PKI made for the run),
#      under the worst case its limits allow, all at once for about ten seconds: every
#      session slot of every service in use (the command, echo, WebSocket and TLS
#      command services with a bulk answer or a bulk echo in some of them, the
#      console in the TLS session it keeps: tls.max_sessions in all), a C37.118.2
#      stream at the highest rate (120/s, every phasor and analog) to every TCP and UDP
#      PDC slot and the multicast group, reset requests, sink datagrams and a bulletin
#      a second. The limits are the ones the device says it has.
#
#   bench/footprint.sh [--static] [--markdown] [--board DIR] [--budget FLASH,RAM]
#
# --static: parts 1 and 2 only (no QEMU, no root): what CI runs (ctest -L footprint).
# --budget: bytes the default profile may use instead of the goal (256 KiB, 128 KiB);
#           CI holds the image to what it measures today so it cannot grow while the
#           goal is not reached yet.
# --board: the default profile's build directory (default build/mps2-an385); the other
# profiles are looked for beside it, in DIR-lab and DIR-compact.
# --lm3s: the LM3S6965 image's build directory (default build/lm3s6965evb; skipped
#         when it holds no image). Its budget is the part's, never relaxed.
# Exit status: 0 the default profile is within the goal and, measured, every peak is
# below its capacity with no allocation failure and every slot was filled; 1 otherwise;
# 2 usage. Needs the mps2-an385 preset built, and for part 3 the sim preset and root
# for the namespace (sudo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

md=() static=0 board=build/mps2-an385 budget=() lm3s=build/lm3s6965evb
while [ $# -gt 0 ]; do
  case "$1" in
    --markdown) md=(--markdown); shift ;;
    --static) static=1; shift ;;
    --board) board=${2:?--board needs a directory}; shift 2 ;;
    --lm3s) lm3s=${2:?--lm3s needs a directory}; shift 2 ;;
    --budget) IFS=, read -r bf br <<<"${2:?--budget needs FLASH,RAM}"
              budget=(--flash-budget "$bf" --ram-budget "$br"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "footprint: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
image=$board/pmu-mps2-an385.elf
launcher=build/sim/sim/pmu-netns
[ -f "$image" ] || { echo "footprint: build the board image first (cmake --build --preset mps2-an385)" >&2; exit 1; }
status=0

# ---- 1. static, per module and profile ---------------------------------------------------
echo "## Static: flash and RAM per profile and module"
echo
builds=(--build "complete=$board")
for profile in lab compact; do
  [ -f "$board-$profile/pmu-mps2-an385.elf" ] && builds+=(--build "$profile=$board-$profile")
done
python3 bench/footprint.py "${builds[@]}" --check --detail 15 "${budget[@]}" "${md[@]}" || status=1

# ---- 2. object sizes: a probe built with main.cc's exact compile command -----------------
echo
echo "## Largest firmware objects in the default profile (sizeof on the Cortex-M3)"
echo
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
# probe_sizes BUILD_DIR MAIN_CC LINK_HEADER LINK_TYPE: sizeof of the firmware's objects
# and the board's link, compiled with the board's main.cc's own command.
probe_sizes() {
  local build=$1 main=$2 link_header=$3 link_type=$4
  cat >"$probe/probe.cc" <<CC
#include "pmu/firmware/boot.h"
#include "pmu/firmware/device.h"
#include "$link_header"
#include "pmu/port/drbg_entropy.h"
#define SIZE(name, type) extern "C" { extern char name[sizeof(type)]; char name[sizeof(type)]; }
SIZE(Device, pmu::firmware::Device)
SIZE(Device_Measurement_window, pmu::firmware::Measurement)
SIZE(Device_C37Service_sessions, pmu::firmware::C37Service)
SIZE(Device_TcpCommandService_sessions, pmu::firmware::TcpCommandService)
SIZE(Device_Logger_ring, pmu::firmware::Logger)
SIZE(Device_ResetService_id_cache, pmu::firmware::ResetService)
SIZE(Device_C37Pmu_configuration, pmu::firmware::C37Pmu)
SIZE(Device_DeviceConfig, pmu::firmware::DeviceConfig)
SIZE(Device_EchoService_sessions, pmu::firmware::EchoService)
SIZE(Device_SyntheticFrontEnd, pmu::firmware::SyntheticFrontEnd)
#if PMU_WITH_TLS
SIZE(Device_ConsoleService_sessions, pmu::firmware::ConsoleService)
SIZE(Device_TlsCommandService_sessions, pmu::firmware::TlsCommandService)
SIZE(Device_ConfigEditor_candidate, pmu::firmware::ConfigEditor)
#endif
#if PMU_WITH_WEBSOCKET
SIZE(Device_WebSocketService_sessions, pmu::firmware::WebSocketService)
#endif
#if PMU_WITH_BULLETIN
SIZE(Device_BulletinService, pmu::firmware::BulletinService)
#endif
SIZE(Boot, pmu::firmware::Boot)
SIZE(DrbgEntropy, pmu::port::DrbgEntropy)
SIZE(Link, $link_type)
CC
  local compile
  compile=$(python3 - "$build/compile_commands.json" "$probe" "$main" <<'PY'
import json, re, sys
entries = json.load(open(sys.argv[1]))
e = next(e for e in entries if e["file"].endswith(sys.argv[3]))
cmd = re.sub(r"-o \S+", f"-o {sys.argv[2]}/probe.o", e["command"])
cmd = re.sub(r"-c \S+", f"-c {sys.argv[2]}/probe.cc", cmd)
cmd = re.sub(r"-flto\S*", "-fno-lto", cmd)  # an object file whose symbols nm can read
cmd = re.sub(r"-M[DF]? \S*|-MT \S+|-MF \S+|-MD", "", cmd)
print(cmd)
PY
)
  (cd "$build" && eval "$compile")
  [ ${#md[@]} -gt 0 ] && { echo "| object | bytes |"; echo "|---|---:|"; }
  arm-none-eabi-nm -S --size-sort -r "$probe/probe.o" | while read -r _ size _ name; do
    if [ ${#md[@]} -gt 0 ]; then printf '| %s | %d |\n' "${name//_/ }" "0x$size"; else printf '  %-40s %6d\n' "$name" "0x$size"; fi
  done
}
probe_sizes "$board" targets/mps2-an385/main.cc pmu/hal/mps2/lan9118_link.h pmu::hal::mps2::Lan9118Link

lm3s_image=$lm3s/pmu-lm3s6965evb.elf
if [ -f "$lm3s_image" ]; then
  echo
  echo "## The Stellaris LM3S6965 image (profile plain) against its part: 236 KiB of flash for the image, 64 KiB of SRAM"
  echo
  python3 bench/footprint.py --build "plain=$lm3s" --check --detail 15 --flash-budget 241664 --ram-budget 65536 \
    "${md[@]}" || status=1
  echo
  echo "## Largest firmware objects in the LM3S6965 image (sizeof on the Cortex-M3)"
  echo
  probe_sizes "$lm3s" targets/lm3s6965evb/main.cc pmu/hal/lm3s6965/stellaris_ethernet_link.h \
    pmu::hal::lm3s6965::StellarisEthernetLink
fi
[ "$static" = 1 ] && exit "$status"

# ---- 3. measured peaks under the worst case the limits allow -------------------------------
[ -x "$launcher" ] || { echo "footprint: build the sim preset first (cmake --build --preset sim)" >&2; exit 1; }
echo
echo "## Measured on the default image under QEMU, every slot in use at once"
echo
out="$probe/device.log"
certs/make-dev-pki.sh "$probe/pki" >/dev/null
"$launcher" -q --target mps2-an385 --image "$image" --log "$out" --pki "$probe/pki" \
  --set c37.rate=120 --set c37.analogs=P,Q,S --set c37.multicast=true --set bulletin.period_s=1 -- bash -c '
  set -u
  # The limits, as the device said when its services started.
  limit() { sed -n "s/.* $1: listening on TCP port [0-9]* (\(mutual TLS, \)\{0,1\}up to \([0-9]*\) sessions.*/\2/p" "$PMU_LOG" | head -1; }
  n_cmd=$(limit cmd) n_echo=$(limit echo) n_ws=$(limit ws) n_tls=$(limit tls-cmd)
  n_c37=$(sed -n "s/.*TCP port [0-9]* (up to \([0-9]*\) PDCs), UDP.*/\1/p" "$PMU_LOG" | head -1)
  n_udp=$(sed -n "s/.*UDP port [0-9]* (up to \([0-9]*\) PDCs).*/\1/p" "$PMU_LOG" | head -1)
  echo "limits cmd=${n_cmd:-0} echo=${n_echo:-0} ws=${n_ws:-0} tls-cmd=${n_tls:-0} console=1 c37=${n_c37:-0} udp=${n_udp:-0}" >>"$PMU_LOG.load"
  pids=() names=()
  run() { "$@" >/dev/null 2>>"$PMU_LOG.errors" & pids+=($!); names+=("$*"); }
  fam() { [ $(($1 % 2)) = 0 ] && echo -4 || echo -6; }
  # Every slot: odd ones with a bulk answer (or a bulk echo), the others holding theirs
  # for ~5 s (CMD_short:0.5), so they overlap whatever the bulk throughput.
  for i in $(seq "${n_cmd:-0}"); do
    if [ $((i % 2)) = 1 ]; then run pdc floodme $(fam $i) "$PMU_HOST" -n 4000000; else run pdc short $(fam $i) "$PMU_HOST" 0.5; fi
  done
  for i in $(seq "${n_echo:-0}"); do
    run bash -c "{ head -c 300000 /dev/urandom; sleep 4; head -c 300000 /dev/urandom; } | pdc echo $(fam $i) $PMU_HOST"
  done
  for i in $(seq "${n_ws:-0}"); do
    if [ $((i % 2)) = 1 ]; then run pdc ws $(fam $i) "$PMU_HOST" CMD_floodme:2000000; else run pdc ws $(fam $i) "$PMU_HOST" CMD_short:0.5; fi
  done
  for i in $(seq "${n_tls:-0}"); do
    if [ $((i % 2)) = 1 ]; then run pdc tls $(fam $i) "$PMU_HOST" CMD_floodme:1000000; else run pdc tls $(fam $i) "$PMU_HOST" CMD_short:0.5; fi
  done
  run bash -c "{ echo version; sleep 6; echo uptime; echo exit; } | pdc console $PMU_HOST"
  for i in $(seq "${n_c37:-0}"); do run pdc c37 stream $(fam $i) "$PMU_HOST" -d 8 --format none -q; done
  for i in $(seq "${n_udp:-0}"); do run pdc c37 stream --udp $(fam $i) "$PMU_HOST" -d 8 --format none -q; done
  run pdc reset -4 "$PMU_HOST" 10 --runs 5 --wait 100ms
  for i in 1 2 3 4 5; do pdc send "$PMU_HOST" "footprint $i" >/dev/null 2>&1 || true; done
  failed=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { failed=$((failed + 1)); echo "failed: ${names[$i]}" >>"$PMU_LOG.load"; }
  done
  echo "clients ${#pids[@]} failed=$failed" >>"$PMU_LOG.load"
  since=$(stat -c %s "$PMU_LOG")
  echo stats >"$PMU_CONSOLE"
  for _ in $(seq 100); do tail -c +"$since" "$PMU_LOG" | grep -q "stats: end of report" && break; sleep 0.1; done'
python3 - "$out" "${md[@]}" <<'PY' || status=1
import re, sys
path = sys.argv[1]
text = open(path, errors="replace").read()
load = open(path + ".load").read()
text = text[text.rfind("console: stats"):]
md = "--markdown" in sys.argv
problems = []
rows = []  # (name, in use after, peak, capacity, failures)
m = re.search(r"stats: heap used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", text)
if not m:
    sys.exit("footprint: the device gave no statistics report")
rows.append(("heap (MEM_SIZE, bytes)", *map(int, m.groups())))
for m in re.finditer(r"stats: pool (\S+) used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", text):
    rows.append((m.group(1), *map(int, m.groups()[1:])))
# The arena is "tls arena" in an image with TLS, "crypto arena" (Fernet's alone) without.
a = re.search(r"stats: (?:tls|crypto) arena size=(\d+) used=(\d+) peak=(\d+)", text)
if a:
    rows.append(("mbedTLS arena (bytes)", int(a.group(2)), int(a.group(3)), int(a.group(1)), 0))
b = re.search(r"stats: board stack_peak=(\d+) stack_size=(\d+)", text)
if b:
    rows.append(("main stack (bytes)", 0, int(b.group(1)), int(b.group(2)), 0))

def headroom(peak, size):
    return f"{size - peak} ({100 * (size - peak) / size:.0f}%)" if size else ""

if md:
    print("| pool | in use after | peak | capacity | headroom | failures |")
    print("|---|---:|---:|---:|---:|---:|")
else:
    print(f"  {'pool':24} {'after':>7} {'peak':>7} {'size':>7} {'headroom':>13} {'fail':>5}")
for name, used, peak, size, fail in rows:
    if md:
        print(f"| {name} | {used} | {peak} | {size} | {headroom(peak, size)} | {fail} |")
    else:
        print(f"  {name:24} {used:7} {peak:7} {size:7} {headroom(peak, size):>13} {fail:5}")
    if fail:
        problems.append(f"{name}: {fail} allocation failures")
    if size and peak >= size:
        problems.append(f"{name}: the peak reached the capacity ({peak} of {size})")

# Every slot was in use at once: each service's peak against the limit it said it has.
limits = dict(kv.split("=") for kv in re.search(r"limits (.*)", load).group(1).split())
print()
print("Sessions at once (the service's peak against its limit):")
print()
if md:
    print("| service | peak | limit |")
    print("|---|---:|---:|")
for tag, key in (("cmd", "cmd"), ("echo", "echo"), ("ws", "ws"), ("tls-cmd", "tls-cmd"), ("console", "console"),
                 ("c37", "c37")):
    if int(limits.get(key, 0)) == 0:
        continue
    p = re.search(rf"stats: {re.escape(tag)} accepted=\d+ refused=\d+ active=\d+ peak=(\d+)", text)
    peak = int(p.group(1)) if p else 0
    print(f"| {tag} | {peak} | {limits[key]} |" if md else f"  {tag:10} {peak:3} of {limits[key]}")
    if peak < int(limits[key]):
        problems.append(f"{tag}: only {peak} of its {limits[key]} sessions were in use at once")
u = re.search(r"udp_peak=(\d+)", text)
if int(limits.get("udp", 0)):
    peak = int(u.group(1)) if u else 0
    print(f"| c37 UDP | {peak} | {limits['udp']} |" if md else f"  {'c37 UDP':10} {peak:3} of {limits['udp']}")
    if peak < int(limits["udp"]):
        problems.append(f"c37 UDP: only {peak} of its {limits['udp']} subscribers at once")
c = re.search(r"clients (\d+) failed=(\d+)", load)
print()
print(f"{c.group(1)} clients, {c.group(2)} failed.")
for line in re.findall(r"^failed: (.*)$", load, re.M):
    print(f"  failed: {line}")
if int(c.group(2)):
    try:
        errors = open(path + ".errors", errors="replace").read().splitlines()
    except OSError:
        errors = []
    for line in errors[:20]:
        print(f"  {line}", file=sys.stderr)
if int(c.group(2)):
    problems.append(f"{c.group(2)} of the load's {c.group(1)} clients failed")
for p in problems:
    print(f"footprint: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
exit "$status"
