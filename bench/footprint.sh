#!/usr/bin/env bash
# Footprint of the board image (docs/BENCHMARKS.md, "Board footprint"):
#   1. static flash and RAM per module, from the map file (bench/footprint.py), with
#      lwIP's pools and heap by name;
#   2. the sizes of the firmware's largest objects (a probe compiled with the image's
#      own flags: the Device is one object, so the map shows it as main.cc's RAM);
#   3. measured peaks of lwIP's pools, heap, the mbedTLS arena and the main stack on
#      the board under QEMU (provisioned with a development PKI made for the run),
#      after a short bounded load over both families (8 CMD_short clients, two
#      CMD_floodme, a 2 MB echo, reset requests, sink datagrams, two TLS command
#      sessions, a console session, a WebSocket command and a C37.118.2 stream at once).
#
#   bench/footprint.sh [--markdown]
# Needs the mps2-an385 and sim presets built, and root for the namespace (sudo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

md=()
[ "${1:-}" = "--markdown" ] && md=(--markdown)
board=build/mps2-an385
image=$board/pmu-mps2-an385.elf
launcher=build/sim/sim/pmu-netns
[ -f "$image" ] || { echo "footprint: build the board image first (cmake --build --preset mps2-an385)" >&2; exit 1; }
[ -x "$launcher" ] || { echo "footprint: build the sim preset first (cmake --build --preset sim)" >&2; exit 1; }

echo "## Static (map file: $board/pmu-mps2-an385.map)"
echo
python3 bench/footprint.py --map "$board/pmu-mps2-an385.map" --elf "$image" --detail 15 "${md[@]}"

# ---- object sizes: a probe built with main.cc's exact compile command -----------------
echo
echo "## Largest firmware objects (sizeof on the Cortex-M3)"
echo
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat >"$probe/probe.cc" <<'CC'
#include "pmu/firmware/device.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/port/drbg_entropy.h"
#define SIZE(name, type) extern "C" { extern char name[sizeof(type)]; char name[sizeof(type)]; }
SIZE(Device, pmu::firmware::Device)
SIZE(Device_Logger_ring_and_state, pmu::firmware::Logger)
SIZE(Device_CommandService_8_sessions, pmu::firmware::CommandService)
SIZE(Device_EchoService_8_sessions, pmu::firmware::EchoService)
SIZE(Device_ResetService_id_cache, pmu::firmware::ResetService)
SIZE(Device_BulletinService, pmu::firmware::BulletinService)
SIZE(Device_WebSocketService_sessions, pmu::firmware::WebSocketService)
SIZE(Device_ConsoleService_sessions, pmu::firmware::ConsoleService)
SIZE(Device_TlsServer, pmu::port::TlsServer)
SIZE(Device_C37Service_sessions, pmu::firmware::C37Service)
SIZE(Device_C37Pmu_frames, pmu::firmware::C37Pmu)
SIZE(Device_Measurement_estimator, pmu::firmware::Measurement)
SIZE(Device_SyntheticFrontEnd, pmu::firmware::SyntheticFrontEnd)
SIZE(Device_LinkNetif_tx_buffer, pmu::port::LinkNetif)
SIZE(Device_DeviceConfig, pmu::firmware::DeviceConfig)
SIZE(DrbgEntropy, pmu::port::DrbgEntropy)
SIZE(Lan9118Link, pmu::hal::mps2::Lan9118Link)
CC
compile=$(python3 - "$board/compile_commands.json" "$probe" <<'PY'
import json, re, sys
entries = json.load(open(sys.argv[1]))
e = next(e for e in entries if e["file"].endswith("targets/mps2-an385/main.cc"))
cmd = re.sub(r"-o \S+", f"-o {sys.argv[2]}/probe.o", e["command"])
cmd = re.sub(r"-c \S+", f"-c {sys.argv[2]}/probe.cc", cmd)
cmd = re.sub(r"-M[DF]? \S*|-MT \S+|-MF \S+|-MD", "", cmd)
print(cmd)
PY
)
(cd "$board" && eval "$compile")
[ ${#md[@]} -gt 0 ] && { echo "| object | bytes |"; echo "|---|---:|"; }
arm-none-eabi-nm -S --size-sort -r "$probe/probe.o" | while read -r _ size _ name; do
  if [ ${#md[@]} -gt 0 ]; then printf '| %s | %d |\n' "${name//_/ }" "0x$size"; else printf '  %-40s %6d\n' "$name" "0x$size"; fi
done

# ---- measured peaks under load ------------------------------------------------------------
echo
echo "## Measured on the board under QEMU after a short load"
echo
out="$probe/device.log"
certs/make-dev-pki.sh "$probe/pki" >/dev/null
"$launcher" -q --target mps2-an385 --image "$image" --log "$out" --pki "$probe/pki" -- bash -c '
  set -e
  for i in 1 2 3 4 5 6 7 8; do pdc short -4 "$PMU_HOST" 0.2 >/dev/null 2>&1 & done
  pdc floodme -4 "$PMU_HOST" >/dev/null 2>&1 &
  pdc floodme -6 "$PMU_HOST" >/dev/null 2>&1 &
  head -c 2000000 /dev/urandom | pdc echo -6 "$PMU_HOST" >/dev/null 2>&1 &
  pdc reset -4 "$PMU_HOST" 10 --runs 5 --wait 100ms >/dev/null 2>&1 &
  pdc tls -4 "$PMU_HOST" CMD_short:0.2 >/dev/null 2>&1 &
  pdc tls -6 "$PMU_HOST" CMD_short:0.2 >/dev/null 2>&1 &
  pdc console "$PMU_HOST" stats >/dev/null 2>&1 &
  pdc ws "$PMU_HOST" CMD_short:0.2 >/dev/null 2>&1 &
  pdc c37 stream -6 "$PMU_HOST" -n 60 --format none -q >/dev/null 2>&1 &
  for i in 1 2 3 4 5; do pdc send "$PMU_HOST" "footprint $i" >/dev/null 2>&1; done
  wait
  since=$(stat -c %s "$PMU_LOG")
  echo stats >"$PMU_CONSOLE"
  for _ in $(seq 50); do tail -c +"$since" "$PMU_LOG" | grep -q "stats: end of report" && break; sleep 0.1; done'
python3 - "$out" "${md[@]}" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
text = text[text.rfind("console: stats"):]
md = "--markdown" in sys.argv
rows = []
m = re.search(r"stats: heap used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", text)
rows.append(("heap (MEM_SIZE)", *m.groups()))
for m in re.finditer(r"stats: pool (\S+) used=(\d+) peak=(\d+) size=(\d+) failures=(\d+)", text):
    rows.append(m.groups())
b = re.search(r"stats: board stack_peak=(\d+) stack_size=(\d+)", text)
a = re.search(r"stats: tls arena size=(\d+) used=(\d+) peak=(\d+)", text)
if md:
    print("| pool | in use after | peak | capacity | failures |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if a:
        print(f"| mbedTLS arena (bytes) | {a.group(2)} | {a.group(3)} | {a.group(1)} | |")
    print(f"| main stack (bytes) | | {b.group(1)} | {b.group(2)} | |")
else:
    print(f"  {'pool':20} {'used':>6} {'peak':>6} {'size':>6} {'fail':>5}")
    for r in rows:
        print(f"  {r[0]:20} {r[1]:>6} {r[2]:>6} {r[3]:>6} {r[4]:>5}")
    if a:
        print(f"  mbedTLS arena {a.group(2)} in use after, peak {a.group(3)} of {a.group(1)} bytes")
    print(f"  main stack peak {b.group(1)} of {b.group(2)} bytes")
PY
