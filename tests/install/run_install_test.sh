#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a tiny C consumer
# twice: through CMake's find_package(mistralrs) and through pkg-config.
set -euo pipefail
build_dir=$1 work=$2 consumer_src=$3
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null

cmake -S "$consumer_src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$work/cmake-build/consumer"

libdir=$(find "$prefix" -name mistralrs.pc -printf '%h\n' | head -n1)
export PKG_CONFIG_PATH=$libdir
cc -std=c99 -Wall -Werror "$consumer_src/main.c" -o "$work/pc-consumer" $(pkg-config --cflags --libs mistralrs)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir mistralrs)" "$work/pc-consumer"
echo "install test: find_package and pkg-config consumers both ran"
