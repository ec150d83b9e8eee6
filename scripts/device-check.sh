#!/usr/bin/env bash
# On a GPU machine (docs/gpu.md): unpacks .devkit/ (scripts/device-kit.sh) into a private
# root, builds the tests and benchmarks for the local GPU, then runs, writing logs to $OUT:
#   tests.txt      every CUDA test (and the whole suite's CPU part as a control)
#   memcheck.txt   compute-sanitizer memcheck over the CUDA kernel tests
#   racecheck.txt  compute-sanitizer racecheck over the attention tests
#   bench.json     the CUDA benchmarks (figures beside their measured ceilings)
#   model7b.txt    (model7b only, not in all) a 7B-shaped random Llama written by
#                  tools/gen_bench_model.py (numpy) as Q4_0 and F16 GGUF, then
#                  `mistralrs bench --device cuda:0`: decode at 512 and 4096 context, prefill 2048
# Usage: scripts/device-check.sh [tests|sanitize|bench|all|model7b] (default all). Steps that fail
# are reported and the next ones still run; the exit status is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
out=${OUT:-out/device}
mkdir -p "$out"
root=/tmp/devroot
if [ -d .devkit ] && [ ! -d "$root/usr" ]; then
  mkdir -p "$root"
  for f in .devkit/*.deb; do dpkg-deb -x "$f" "$root" || dpkg -x "$f" "$root"; done
fi
lib=$root/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$PATH:$root/usr/bin
export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$root/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$root
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d .)
arch=${cap:-90}
jobs=$(nproc)
status=0
step() { echo "== $*"; }
step "configure for sm_$arch"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMISTRALRS_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCMAKE_PREFIX_PATH="$root/usr" \
  >"$out/build.txt" 2>&1 || { tail -40 "$out/build.txt"; exit 1; }
step "build"
cmake --build build-gpu -j"$jobs" --target mistralrs_tests mistralrs_bench mistralrs_cli >>"$out/build.txt" 2>&1 \
  || { grep -m20 -B2 -A8 'error' "$out/build.txt"; exit 1; }
tests=build-gpu/tests/mistralrs_tests
cuda_filter='*Cuda*:*CUDA*'
if [ "$what" = all ] || [ "$what" = tests ]; then
  step "CUDA tests"
  $tests --gtest_filter="$cuda_filter" >"$out/tests.txt" 2>&1 || status=1
  grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/tests.txt" | head -40
fi
if [ "$what" = all ] || [ "$what" = sanitize ]; then
  step "compute-sanitizer memcheck"
  compute-sanitizer --tool memcheck --error-exitcode 9 $tests --gtest_filter="$cuda_filter" \
    >"$out/memcheck.txt" 2>&1 || status=1
  tail -3 "$out/memcheck.txt"
  step "compute-sanitizer racecheck (attention)"
  compute-sanitizer --tool racecheck --error-exitcode 9 $tests --gtest_filter='*CudaAttention*' \
    >"$out/racecheck.txt" 2>&1 || status=1
  tail -3 "$out/racecheck.txt"
fi
if [ "$what" = all ] || [ "$what" = bench ]; then
  step "CUDA benchmarks"
  build-gpu/bench/mistralrs_bench --benchmark_filter=Cuda --benchmark_format=json \
    --benchmark_out="$out/bench.json" --benchmark_out_format=json >"$out/bench.txt" 2>&1 || status=1
  grep -v '^\s*$' "$out/bench.txt" | tail -60
fi
if [ "$what" = model7b ]; then
  step "7B-shaped models on cuda:0"
  models=${MODELS_DIR:-/tmp/bench7b}
  python3 tools/gen_bench_model.py "$models" --preset 7b --types "${TYPES:-q4_0,f16}" \
    >"$out/model7b.txt" 2>&1 || { tail -5 "$out/model7b.txt"; exit 1; }
  for f in "$models"/bench-7b-*.gguf; do
    for args in "-p 512 -n 128" "-p 4096 -n 128" "-p 2048 -n 8"; do
      echo "== $f $args" >>"$out/model7b.txt"
      build-gpu/examples/mistralrs bench -m "$f" --device cuda:0 $args -r 3 >>"$out/model7b.txt" 2>&1 || status=1
    done
  done
  grep -v '^\s*$' "$out/model7b.txt" | tail -60
fi
exit $status
