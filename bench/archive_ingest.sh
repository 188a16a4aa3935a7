#!/usr/bin/env bash
# archive_ingest.sh [BUILD_DIR] [PMUS] [RATE] [SECONDS] [RUNS] [LIVE_SECONDS]
#
# The archive's ingest into SQLite and PostgreSQL against each database's own bulk load
# of the same rows from a file, interleaved, medians; then a live run of PMUS x RATE
# synthetic PMU streams through `pdc c37 concentrate --archive` on each backend
# (bench/archive_ingest.py says what each part measures). In a private network
# namespace over its loopback; the PostgreSQL cluster is made for the run in a
# temporary directory and removed. Defaults: 1000 PMUs, 60 frames/s, 10 s of reports,
# 3 runs, a 20 s live run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-$here/../build/sim}" && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=PATH "$0" "$@"
for f in pdc/pdc bench/c37_fleet bench/archive_ingest; do
  [ -x "$build/$f" ] || { echo "archive_ingest: $build/$f missing; build the sim preset first" >&2; exit 2; }
done
ns="pmu-archive-$$"
cleanup() { ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" /usr/bin/python3 "$here/archive_ingest.py" "$build" "${2:-1000}" "${3:-60}" "${4:-10}" "${5:-3}" "${6:-20}"
