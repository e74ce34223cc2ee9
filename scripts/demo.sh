#!/usr/bin/env bash
# The demo: check the installation, run pipelines/quickstart.yaml, then the vendor's
# story: deliver fingerprinted copies, trace a leaked one, audit the customer and write
# the run's HTML report. Everything goes to build/demo-*; running it again reuses every
# completed step.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin

echo "== securemark doctor"
"$bin/securemark" doctor || echo "(doctor found problems: see above; the demo goes on)"
echo
echo "== securemark run pipelines/quickstart.yaml"
"$bin/securemark" run pipelines/quickstart.yaml --store build/demo-store --jobs 2 "$@"
echo
echo "== lineage of owner 3's validation split"
"$bin/securemark" lineage 'local@3.shards[1]' --upstream --store build/demo-store
echo
echo "== a vendor fingerprints and delivers 31 copies (DeepMarks on Fashion-MNIST, small)"
"$bin/securemark" run pipelines/deepmarks-fmnist.yaml --store build/demo-store --jobs 2 \
  --set examples=6000 test_examples=1000 epochs=2 embed_batches=20 \
  export_dir=build/demo-delivered \
  'coalitions=[{name: k1, k: 1, seed: 1}, {name: k2, k: 2, seed: 2}, {name: k3, k: 3, seed: 3}]'
echo
echo "== customer 5's copy leaks: who leaked it?"
"$bin/securemark" trace build/demo-delivered/customer-5.pt --store build/demo-store \
  --deployment deepmarks-fmnist
echo
echo "== what customer 5 received, and which investigations named them"
"$bin/securemark" audit customer 5 --store build/demo-store
echo
echo "== the run as a report"
"$bin/securemark" report deepmarks-fmnist --store build/demo-store --out build/demo-report
echo "open build/demo-report/index.html in a browser"
