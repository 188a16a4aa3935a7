#!/bin/sh
# run-smoke.sh FUZZER SEED_CORPUS_DIR RUNS
# A bounded libFuzzer run for ctest: new inputs go to a temporary directory, never
# into the seed corpus in the repository.
set -eu
fuzzer=$1 seeds=$2 runs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec "$fuzzer" -runs="$runs" -max_total_time=120 -seed=1 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work" "$seeds"
