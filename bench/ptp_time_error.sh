#!/usr/bin/env bash
# ptp_time_error.sh [BUILD_DIR] [SECONDS] [ROUNDS]
#
# The device's time error after it locks to a PTP grandmaster, against the anchor of
# linuxptp itself on the same kind of link, interleaved A B A B:
#   A  the simulated device (pmu-netns --ptp, oscillator off by a random offset up to
#      1 s and a random frequency error up to 100 ppm, seeded per round): once locked
#      and 10 s settled, its true error against the host's UTC (the simulator's
#      "sim clock true_error_ns" stats line) twice a second for SECONDS;
#   B  ptp4l as a free_running slave (software time stamps, UDP/IPv4, same grandmaster
#      settings) over a veth pair between two private namespaces: both ends run on the
#      host's one clock, so every "master offset" it reports is measurement error; its
#      |offset| for SECONDS is what linuxptp's own software stamps see on such a link.
# Prints p50, p99 and max of |error| per round and the medians over the rounds, and
# the device's claimed bound (p50, min). Bounded: SECONDS (default 60) per side per
# round, ROUNDS (default 2); every namespace is removed at exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
seconds=${2:-60}
rounds=${3:-2}
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
command -v ptp4l >/dev/null || { echo "ptp_time_error.sh: needs ptp4l (linuxptp)" >&2; exit 1; }
work=$(mktemp -d)
ns_a=ptpbench-gm-$$ ns_b=ptpbench-sl-$$
cleanup() {
  ip netns pids "$ns_a" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$ns_b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  [ -n "${PTP_BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

device_round() {  # device_round SEED -> |true error| and claimed bound samples in $work/device-SEED.txt
  "$build/sim/pmu-netns" -q --sim "$build/sim/pmu-sim" --pdc-dir "$build/pdc" --ptp --seed "$1" \
    --set sim.clock_offset_us=random --set sim.clock_drift_ppb=random -- bash -s "$seconds" <<'INSIDE' >"$work/device-$1.txt"
set -euo pipefail
for _ in $(seq 300); do grep -q "ptp: locked to" "$PMU_LOG" && break; sleep 0.1; done
grep -q "ptp: locked to" "$PMU_LOG" || { echo "never locked" >&2; exit 1; }
sleep 10
end=$((SECONDS + $1))
while [ "$SECONDS" -lt "$end" ]; do kill -USR1 "$PMU_SIM_PID"; sleep 0.5; done
sleep 0.2
sed -n 's/.*sim clock true_error_ns=\(-\{0,1\}[0-9]*\) claimed_bound_ns=\([0-9]*\) state=locked.*/\1 \2/p' "$PMU_LOG" |
  tail -n "$(($1 * 2))"
INSIDE
}

anchor_round() {  # anchor_round N -> ptp4l free_running slave's |offset| samples in $work/anchor-N.txt
  ip netns add "$ns_a"
  ip netns add "$ns_b"
  ip -n "$ns_a" link add pa type veth peer name pb
  ip -n "$ns_a" link set pb netns "$ns_b"
  ip -n "$ns_a" addr add 192.0.2.1/24 dev pa
  ip -n "$ns_b" addr add 192.0.2.2/24 dev pb
  ip -n "$ns_a" link set pa up
  ip -n "$ns_b" link set pb up
  printf '[global]\npriority1 1\nlogSyncInterval -2\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\nlogMinDelayReqInterval -2\n' >"$work/gm.conf"
  printf '[global]\nslaveOnly 1\nfree_running 1\nlogMinDelayReqInterval -2\nsummary_interval -2\n' >"$work/slave.conf"
  ip netns exec "$ns_a" ptp4l -f "$work/gm.conf" -S -4 -i pa -m >"$work/gm.log" 2>&1 &
  ip netns exec "$ns_b" ptp4l -f "$work/slave.conf" -S -4 -i pb -m >"$work/slave.log" 2>&1 &
  sleep $((10 + seconds))
  ip netns pids "$ns_a" | xargs -r kill
  ip netns pids "$ns_b" | xargs -r kill
  sleep 0.5
  ip netns del "$ns_a"
  ip netns del "$ns_b"
  # "master offset N s2 freq F path delay D" at 4/s: the last SECONDS worth.
  sed -n 's/.*master offset *\(-\{0,1\}[0-9]*\) s[0-9] .*/\1/p' "$work/slave.log" | tail -n "$((seconds * 4))" \
    >"$work/anchor-$1.txt"
}

for r in $(seq "$rounds"); do
  device_round "$((40 + r))"
  anchor_round "$r"
done

python3 - "$work" "$rounds" "$seconds" <<'PY'
import statistics, sys
work, rounds, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
dev, anc = [], []
print(f"|time error| after lock, {seconds} s per side per round, software time stamps, 4 Sync/s")
for r in range(1, rounds + 1):
    rows = [tuple(int(x) for x in l.split()) for l in open(f"{work}/device-{40 + r}.txt") if l.strip()]
    e = [abs(a) for a, _ in rows]
    b = [b for _, b in rows]
    a = [abs(int(l)) for l in open(f"{work}/anchor-{r}.txt") if l.strip()]
    dev.append((pct(e, 50), pct(e, 99), max(e), pct(b, 50), min(b)))
    anc.append((pct(a, 50), pct(a, 99), max(a)))
    print(f"round {r}: device (true error, {len(e)} samples) p50 {dev[-1][0] / 1e3:.1f} us p99 {dev[-1][1] / 1e3:.1f} us "
          f"max {dev[-1][2] / 1e3:.1f} us, claimed bound p50 {dev[-1][3] / 1e3:.1f} us min {dev[-1][4] / 1e3:.1f} us; "
          f"ptp4l free_running ({len(a)} offsets) p50 {anc[-1][0] / 1e3:.1f} us p99 {anc[-1][1] / 1e3:.1f} us "
          f"max {anc[-1][2] / 1e3:.1f} us")
med = lambda rows, i: statistics.median(x[i] for x in rows) / 1e3
print(f"median over {rounds} rounds: device p50 {med(dev, 0):.1f} us p99 {med(dev, 1):.1f} us; "
      f"ptp4l p50 {med(anc, 0):.1f} us p99 {med(anc, 1):.1f} us; device p99 / ptp4l p99 = "
      f"{med(dev, 1) / max(med(anc, 1), 1e-3):.1f}")
PY
