#!/usr/bin/env bash
# Installs the Debian packages securemark needs, only those that are missing.
# Works as root, or through sudo for anyone else. Safe to run any number of times.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build ccache g++ pkg-config clang-format
  # fuzzing (make fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libtorch-dev libyaml-cpp-dev libboost-dev libboost-filesystem-dev cppzmq-dev libzmq3-dev
  libsqlite3-dev libeigen3-dev libcli11-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  libpng-dev libjpeg-dev libsodium-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev sqlite3
  # a foreign ZeroMQ peer for the authentication tests; PyTorch loads delivered models
  python3-zmq
  python3-torch
  # the SSIM reference the image-metric test compares against
  python3-skimage
  # an optimised BLAS: Debian's LibTorch otherwise runs on the reference BLAS (~30x slower)
  libopenblas0-pthread
  # reports: plots, lineage graphs, and the browser the report test renders them in
  gnuplot-nox graphviz fonts-dejavu-core chromium
  # the Slurm executor's tests start a private single-node cluster
  slurm-wlm munge iproute2
  # data
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
