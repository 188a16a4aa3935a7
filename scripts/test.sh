#!/usr/bin/env bash
# The whole test suite: set-up (packages and third-party sources), the board image
# (mps2-an385 preset, cross-compiled), then build and ctest in the simulator preset
# (which also runs the board-labelled system tests on that image under QEMU) and in
# the AddressSanitizer+UBSan preset. CI runs this (.ci/run). The output ends with
# ctest's own summary of the last preset.
#
#   scripts/test.sh                 both presets, every test
#   scripts/test.sh --preset sim    one preset
#   scripts/test.sh -- -L unit      extra ctest arguments after --
#   scripts/test.sh -- -L board     only the board image's tests
#
# System tests make private network namespaces, so they need root (sudo is used
# when available).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

presets=(sim asan)
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) presets=("$2"); shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

deps=$(scripts/setup.sh)
export PMU_DEPS_DIR=$deps

# Before building, because a clone has nothing beside it: a reference outside the
# repository would pass on this machine and fail for everyone else.
python3 scripts/check-self-contained.py .
# And because a wrong include builds fine: the layers are checked before the build too.
python3 scripts/check-layers.py .

# The board image first: the host presets find it (PMU_BOARD_IMAGE) when they are
# configured, and add the board tests.
echo "== preset mps2-an385: configure and build the board image" >&2
cmake --preset mps2-an385 >/dev/null
cmake --build --preset mps2-an385

for preset in "${presets[@]}"; do
  echo "== preset $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== preset $preset: test" >&2
  ctest --preset "$preset" "${ctest_args[@]}"
done
