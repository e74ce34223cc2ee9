#!/usr/bin/env bash
# The demo: check the installation, then run pipelines/quickstart.yaml into
# build/demo-store. Running it again reuses every completed step.
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
