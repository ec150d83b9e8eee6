#!/usr/bin/env bash
# Writes tests/abi/libmistralrs.abi, the ABI baseline that abi.abidiff_against_baseline
# compares the built library with: abidw's description of libmistralrs.so as released at
# COMMIT (default aab692e, the previous release), built in a scratch directory from
# `git archive` (the work tree is not touched).
#
#   tests/abi/make_baseline.sh [COMMIT]
#
# The baseline is built with -g so that abidw sees types, not only symbols; the current
# library compiles its C API sources with -g for the same reason (CMakeLists.txt).
# --headers-dir with --drop-private-types and --exported-interfaces-only keeps the exported
# functions and the types include/ defines: the opaque handles become declaration-only, so
# their private members (src/capi/handles.h) are not part of the ABI. Locations and the
# scratch path are dropped so that the file does not depend on where it was built.
set -euo pipefail
commit=${1:-aab692e}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/src"
git -C "$root" archive "$commit" | tar -x -C "$scratch/src"
cmake -S "$scratch/src" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release -DMISTRALRS_CUDA=OFF \
  -DMISTRALRS_BUILD_TESTS=OFF -DMISTRALRS_BUILD_EXAMPLES=OFF -DMISTRALRS_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS=-g >/dev/null
cmake --build "$scratch/build" -j"$(nproc)" --target mistralrs >/dev/null
lib=$(find "$scratch/build" -maxdepth 1 -name 'libmistralrs.so.*.*' | head -n 1)
out="$root/tests/abi/libmistralrs.abi"
abidw --headers-dir "$scratch/src/include" --drop-private-types --exported-interfaces-only \
  --no-corpus-path --no-show-locs --no-comp-dir-path --out-file "$out" "$lib"
sed -i "s|$scratch/src/||g" "$out"
echo "wrote $out from $commit ($(basename "$lib"))"
