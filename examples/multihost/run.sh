#!/bin/bash
# Split training across Linux network namespaces: the orchestrator on a bridge in the
# root namespace (10.77.0.1), the split server in one namespace (10.77.0.2) and each data
# owner in its own (10.77.0.10, .11, ...), joined by veth pairs. Every party host joins
# the orchestrator with its own CURVE key; the server announces the address its peers
# can reach, so nothing may assume that the parties share localhost.
#
# Needs root (CAP_NET_ADMIN) and a build. Usage:
#   sudo examples/multihost/run.sh [OWNERS] [STORE]
set -euo pipefail

OWNERS=${1:-3}
STORE=${2:-runs/multihost}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${SECUREMARK_BIN:-$HERE/../../build/bin}
NET=${MULTIHOST_PREFIX:-smx}       # prefix of namespaces and links (15-char link names)
SUBNET=${MULTIHOST_SUBNET:-10.77.0}
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NET-" || true); do ip netns del "$ns"; done
  ip link del "$NET-br" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! ip netns add "$NET-probe" 2>/dev/null; then
  echo "multihost: cannot create network namespaces (run as root / with CAP_NET_ADMIN)" >&2
  exit 77
fi
ip netns del "$NET-probe"

ip link add "$NET-br" type bridge
ip addr add "$SUBNET.1/24" dev "$NET-br"
ip link set "$NET-br" up

# add_host NAME ADDRESS: a namespace NET-NAME whose only way out is a veth on the bridge.
add_host() {
  local ns="$NET-$1"
  ip netns add "$ns"
  ip link add "$ns-v" type veth peer name "$ns-p"
  ip link set "$ns-p" netns "$ns"
  ip link set "$ns-v" master "$NET-br" up
  ip netns exec "$ns" ip addr add "$2/24" dev "$ns-p"
  ip netns exec "$ns" ip link set "$ns-p" up
  ip netns exec "$ns" ip link set lo up
}

"$BIN/securemark" keys new "$WORK/orchestrator" >/dev/null
ALLOW=()
# serve NAME PLUGIN: a plugin host inside namespace NET-NAME.
serve() {
  "$BIN/securemark" keys new "$WORK/$1" >/dev/null
  ALLOW+=(--allow-key "$WORK/$1.pub")
  ip netns exec "$NET-$1" "$BIN/securemark-host" serve --connect "tcp://$SUBNET.1:5555" \
    --server-key "$WORK/orchestrator.pub" --key "$WORK/$1.key" --plugin "$2" --id "$1" \
    --orchestrator-timeout-ms 600000 &
  PIDS+=($!)
}

add_host data "$SUBNET.3"
serve data dataset.idx
add_host defender "$SUBNET.4"
serve defender defender.mlp
add_host server "$SUBNET.2"
serve server server_trainer.split
for ((i = 0; i < OWNERS; i++)); do
  add_host "owner$i" "$SUBNET.$((10 + i))"
  serve "owner$i" data_owner.node
done

"$BIN/securemark" run "$HERE/pipeline.yaml" --store "$STORE" --set "owners=$OWNERS" \
  --listen "tcp://$SUBNET.1:5555" --server-key "$WORK/orchestrator.key" "${ALLOW[@]}" \
  --no-local-hosts --plain "${@:3}"
