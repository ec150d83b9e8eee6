#!/usr/bin/env bash
# Installs the Debian 12 packages libmistralrs builds with. Idempotent: does nothing when
# all are present. Needs root (or sudo). The CUDA Toolkit is optional and not installed
# here: the build uses it when nvcc is on the PATH or under CUDA_HOME.
set -euo pipefail
packages=(build-essential cmake pkg-config git python3
          libsentencepiece-dev nlohmann-json3-dev libspdlog-dev libgtest-dev libbenchmark-dev
          libonig-dev libutf8proc-dev  # tokenizer.json regexes and Unicode normalization
          abigail-tools)  # abidw/abidiff: the ABI check against the previous release
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
