#!/usr/bin/env bash
# board_estimator_cost.sh [--rounds N] [--seconds S] [--set KEY=VALUE]... [IMAGE...]
#
# Instructions the Cortex-M3 executes per report in the phasor estimator and in the
# synthetic front end (the window's new samples), for P class (60 Hz, 60/s) and M
# class (60 Hz, 10/s: the longest window), on the board image under QEMU. --set
# passes a configuration key to the device (repeatable): with
# analog.source=scenario and scenario.file=FILE the front end is a fleet scenario's.
#
# QEMU's mps2-an385 has no DWT cycle counter (it reads zero), so the count comes from
# `-icount shift=0`: virtual time advances exactly 1 ns per guest instruction, and the
# board's monotonic clock (CMSDK Timer0 at 25 MHz, 40 ns steps) runs on virtual time.
# The device's own counters (the statistics' estimator_mean_ns, acquisition_mean_ns,
# measured around each report on that clock) are then instructions, to 40 per
# report, averaged over every report of the run. A Cortex-M3 takes at least one cycle
# per instruction (loads, taken branches and long multiplies take more), so at 25 MHz
# a report costs at least instructions / 25 microseconds.
#
# With several images (say the image before a change and after it), the runs
# interleave (A B A B ...) and the table gives medians and each image's ratio to
# the first. Default image: build/mps2-an385/pmu-mps2-an385.elf. Needs the sim preset
# built (the launcher) and root for the namespace (sudo).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rounds=3 seconds=10 images=() sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "board_estimator_cost: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) images+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=("$root/build/mps2-an385/pmu-mps2-an385.elf")
launcher=$root/build/sim/sim/pmu-netns
[ -x "$launcher" ] || { echo "board_estimator_cost: build the sim preset first (cmake --build --preset sim)" >&2; exit 1; }
for image in "${images[@]}"; do
  [ -f "$image" ] || { echo "board_estimator_cost: no image $image (cmake --build --preset mps2-an385)" >&2; exit 1; }
done
qemu_bin=$(command -v qemu-system-arm) || { echo "board_estimator_cost: qemu-system-arm not found (scripts/setup.sh)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" --rounds "$rounds" --seconds "$seconds" "${sets[@]}" "${images[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The launcher takes a QEMU binary; this one adds instruction counting.
cat >"$work/qemu-icount" <<SH
#!/bin/sh
exec "$qemu_bin" -icount shift=0 "\$@"
SH
chmod +x "$work/qemu-icount"

# The waveform of the host benchmark (build/sim/bench/estimator_bench): off nominal,
# a 3rd harmonic and noise, so every branch of the synthesiser runs.
waveform=(--set waveform.freq_offset_hz=0.7 --set waveform.harmonics=3:0.05 --set waveform.noise=0.001)
declare -A classes=([P]="--set c37.class=P --set c37.rate=60" [M]="--set c37.class=M --set c37.rate=10")

results=$work/results
for round in $(seq "$rounds"); do
  for cls in P M; do
    for i in "${!images[@]}"; do
      log=$work/device-$round-$cls-$i.log
      # shellcheck disable=SC2086
      "$launcher" -q --target mps2-an385 --image "${images[$i]}" --qemu "$work/qemu-icount" --log "$log" \
        "${waveform[@]}" ${classes[$cls]} "${sets[@]}" -- bash -c "
          sleep $seconds
          since=\$(stat -c %s \"\$PMU_LOG\")
          echo stats >\"\$PMU_CONSOLE\"
          for _ in \$(seq 100); do tail -c +\"\$since\" \"\$PMU_LOG\" | grep -q 'stats: end of report' && break; sleep 0.1; done"
      line=$(grep -a 'stats: measurement ' "$log" | tail -1)
      [ -n "$line" ] || { echo "board_estimator_cost: no measurement statistics in $log" >&2; exit 1; }
      echo "$cls $i $line" >>"$results"
      echo "round $round, class $cls, image $((i + 1)): ${line#*stats: }" >&2
    done
  done
done

python3 - "$results" "${images[@]}" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    cls, i, rest = line.split(" ", 2)
    v = {k: int(x) for k, x in re.findall(r"(\w+)=(\d+)", rest)}
    rows.setdefault((cls, int(i)), []).append(v)
images = sys.argv[2:]
for n, path in enumerate(images):
    print(f"image {n + 1}: {path}")
print()
print("| class | image | reports (per run) | estimator, instructions per report | front end (Read of the window), per report | ratio to image 1 (estimator, front end) |")
print("|---|---|---:|---:|---:|---|")
for cls, label in (("P", "P, 60 Hz, 60/s"), ("M", "M, 60 Hz, 10/s")):
    base = None
    for n in range(len(images)):
        runs = rows[(cls, n)]
        est = statistics.median(r["estimator_mean_ns"] for r in runs)
        acq = statistics.median(r["acquisition_mean_ns"] for r in runs)
        reports = statistics.median(r["reports"] for r in runs)
        if base is None:
            base = (est, acq)
        ratio = f"{est / base[0]:.2f}, {acq / base[1]:.2f}" if n else "1, 1"
        print(f"| {label} | {n + 1} | {reports:.0f} | {est:,.0f} | {acq:,.0f} | {ratio} |")
PY
