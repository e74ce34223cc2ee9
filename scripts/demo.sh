#!/usr/bin/env bash
# The demo: checks the installation, lists the plugins, then reads Fashion-MNIST and
# splits it among 8 data owners (non-IID), each plugin in its own host process.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=build/demo
rm -rf "$out"

echo "== securemark doctor"
"$bin/securemark" doctor
echo
echo "== securemark plugins"
"$bin/securemark" plugins
echo
echo "== read Fashion-MNIST (training split)"
"$bin/securemark" exec dataset.idx --with split=train --out "$out/fmnist"
echo
echo "== split it among 8 data owners, Dirichlet(0.5) non-IID"
"$bin/securemark" exec dataset.partition --with count=8 --with scheme=dirichlet \
  --with alpha=0.5 --with seed=1 --in data="$out/fmnist/dataset.0.Dataset" --out "$out/shards"
