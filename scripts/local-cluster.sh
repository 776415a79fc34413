#!/usr/bin/env bash
# The docker-compose topology as plain processes, for machines without Docker: two nodes of
# every kind (gateway, realtime, data, application) over NATS, sharing one PostgreSQL database and Redis
# for the cache and the rate limits. Every node's log streams here line by line, prefixed with
# its name. Ctrl-C or SIGTERM stops every node (gracefully: in-flight requests finish).
#
# Needs NATS on $TRANSPORTER, Redis on $CACHER and PostgreSQL on $DATABASE_URL; the defaults are
# the local ones. GATEWAY_PORTS (default "3001 3002"), REALTIME_PORTS (default "3301 3302") and
# NAMESPACE choose where it listens; PUBLIC_URL (default the first gateway) is where mailed links point.
# --no-build starts the nodes from the dist/ that is there (npm run build first).
set -euo pipefail
cd "$(dirname "$0")/.."

export TRANSPORTER="${TRANSPORTER:-nats://127.0.0.1:4222}"
export CACHER="${CACHER:-redis://127.0.0.1:6379}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/roster}"
export NAMESPACE="${NAMESPACE:-roster-local}"
export SERVICEDIR=dist/services
# Every node must verify the tokens any other node signs.
export JWT_SECRET="${JWT_SECRET:-local-cluster-secret-change-me-0123456789}"
# Each node runs with the image's Node.js flags (the Dockerfile's NODE_OPTIONS), then the caller's.
image_node_options=$(sed -n 's/^ENV .*NODE_OPTIONS=\([^ ]*\).*/\1/p' Dockerfile)
export NODE_OPTIONS="$image_node_options${NODE_OPTIONS:+ $NODE_OPTIONS}"
read -r -a gateway_ports <<< "${GATEWAY_PORTS:-3001 3002}"
read -r -a realtime_ports <<< "${REALTIME_PORTS:-3301 3302}"
# The links in mail and short links point at the first gateway: PUBLIC_URL's own default,
# http://localhost:$PORT, would be 3000 on the data nodes, where no gateway of this cluster listens.
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:${gateway_ports[0]}}"

# The database named in DATABASE_URL must exist; create it when the server lets us.
database=$(node -e 'const u = new URL(process.argv[1]); process.stdout.write(decodeURIComponent(u.pathname.slice(1)))' "$DATABASE_URL")
node -e '
const { Client } = require("pg");
const url = new URL(process.argv[1]); const name = process.argv[2]; url.pathname = "/postgres"; url.searchParams.delete("schema");
const client = new Client({ connectionString: url.toString() });
client.connect()
	.then(() => client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]))
	.then(found => found.rowCount === 0 && client.query(`CREATE DATABASE "${name.replace(/"/g, "\"\"")}"`))
	.catch(err => { console.error(`cluster: cannot reach PostgreSQL at ${process.argv[1]}: ${err.message}`); process.exitCode = 1; })
	.finally(() => client.end());
' "$DATABASE_URL" "$database"

[ "${1:-}" = "--no-build" ] || npm run --silent build

pids=()
stopping=""
stop_all() {
	[ -n "$stopping" ] && return
	stopping=1
	echo "cluster: stopping ${#pids[@]} nodes"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

node_up() {
	local name=$1 services=$2; shift 2
	# The node is the background job itself (its output goes through a line-buffered prefixer),
	# so $! is the node's pid and a signal reaches it.
	env NODE_ID="$name" SERVICES="$services" "$@" node node_modules/moleculer/bin/moleculer-runner.js \
		--config dist/moleculer.config.js > >(sed -u "s/^/[$name] /") 2>&1 &
	pids+=($!)
}

node_up data-1 data
node_up data-2 data
node_up app-1 app
node_up app-2 app
i=0
for port in "${gateway_ports[@]}"; do
	i=$((i + 1))
	node_up "gateway-$i" gateway/api PORT="$port"
done
i=0
for port in "${realtime_ports[@]}"; do
	i=$((i + 1))
	node_up "realtime-$i" gateway/realtime REALTIME_PORT="$port"
done

for port in "${gateway_ports[@]}"; do echo "cluster: gateway on http://127.0.0.1:$port (ready: /health/ready)"; done
for port in "${realtime_ports[@]}"; do echo "cluster: realtime on ws://127.0.0.1:$port/realtime (ready: http://127.0.0.1:$port/health/ready)"; done
echo "cluster: namespace $NAMESPACE, database $DATABASE_URL, cache $CACHER"
echo "cluster: join with a REPL: TRANSPORTER=$TRANSPORTER NAMESPACE=$NAMESPACE npm run repl"
# Any node that exits ends the wait; the others keep running until Ctrl-C or SIGTERM.
while [ -z "$stopping" ]; do
	wait -n "${pids[@]}" 2>/dev/null || true
	alive=0
	for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -eq 0 ] && break
	sleep 1
done
