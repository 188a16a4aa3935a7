#!/usr/bin/env bash
# The whole test suite: set-up (packages and third-party sources), the board images
# (the mps2-an385 presets of every profile and the lm3s6965evb preset, cross-compiled),
# then build and ctest in the simulator preset (which also runs the board- and
# lm3s-labelled system tests on those images under QEMU, and the footprint check
# against the goal) and in the
# AddressSanitizer+UBSan preset. CI runs this (.ci/run). The output ends with
# ctest's own summary of the last preset.
#
#   scripts/test.sh                 both presets, every test
#   scripts/test.sh --preset sim    one preset
#   scripts/test.sh -- -L unit      extra ctest arguments after --
#   scripts/test.sh -- -L board     only the MPS2 board image's tests
#   scripts/test.sh -- -L lm3s      only the LM3S6965 image's tests
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
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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

# The board images first: the host presets find them (PMU_BOARD_IMAGE and the other
# profiles' beside it) when they are configured, and add the board tests and the
# footprint check. complete is the default profile; lab adds playback, compact leaves
# services out (docs/BOARD.md, "Profiles"); lm3s6965evb is the second board (the lm3s
# tests, PMU_LM3S_IMAGE).
for board in mps2-an385 mps2-an385-lab mps2-an385-compact lm3s6965evb; do
  echo "== preset $board: configure and build the board image" >&2
  cmake --preset "$board" >/dev/null
  cmake --build --preset "$board"
done

for preset in "${presets[@]}"; do
  echo "== preset $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== preset $preset: test" >&2
  ctest --preset "$preset" "${ctest_args[@]}"
done
