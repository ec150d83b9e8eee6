#!/usr/bin/env bash
# Prepares .devkit/: the Debian 12 packages the build needs (headers, libraries, pkgconf),
# to carry to a GPU machine that has CUDA and CMake but none of them and no network
# (docs/gpu.md). Run here, then pass carry=[".devkit"] to the device run with
# scripts/device-check.sh. About 3 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .devkit
cd .devkit
apt-get download -q libsentencepiece-dev libsentencepiece0 libprotobuf-lite32 nlohmann-json3-dev \
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libgtest-dev libgmock-dev libbenchmark-dev \
  libbenchmark1debian libonig-dev libonig5 libutf8proc-dev libutf8proc2 pkgconf pkgconf-bin \
  libpkgconf3 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
ls -1 *.deb | wc -l
