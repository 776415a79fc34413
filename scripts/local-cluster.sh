#!/usr/bin/env bash
# The docker-compose topology as plain processes, for machines without Docker: two gateway
# nodes, two data nodes and two application nodes over NATS, sharing Redis for the cache and
# the rate limits.
# Needs NATS (with JetStream) on 127.0.0.1:4222 and Redis on 127.0.0.1:6379. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."

export TRANSPORTER="${TRANSPORTER:-nats://127.0.0.1:4222}"
export CACHER="${CACHER:-redis://127.0.0.1:6379}"
export NAMESPACE="${NAMESPACE:-roster-local}"
export SERVICEDIR=dist/services
# Every node must verify the tokens any other node signs.
export JWT_SECRET="${JWT_SECRET:-local-cluster-secret-change-me-0123456789}"

npm run --silent build

pids=()
node_up() {
	local name=$1 services=$2; shift 2
	env NODE_ID="$name" SERVICES="$services" "$@" node node_modules/moleculer/bin/moleculer-runner.js \
		--config dist/moleculer.config.js 2>&1 | sed "s/^/[$name] /" &
	pids+=($!)
}

node_up data-1 data
node_up data-2 data
node_up app-1 app
node_up app-2 app
node_up gateway-1 gateway/api PORT=3001
node_up gateway-2 gateway/api PORT=3002

trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
echo "Gateways on http://127.0.0.1:3001 and http://127.0.0.1:3002 (namespace $NAMESPACE)."
echo "Join with a REPL: TRANSPORTER=$TRANSPORTER NAMESPACE=$NAMESPACE npm run repl"
wait
