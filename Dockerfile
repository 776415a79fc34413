# One image for every node; SERVICES chooses what a container runs.
# test/integration/image.spec.ts rebuilds the build stage from exactly the files copied here.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Fixes to dependencies, applied by npm's postinstall (patch-package): patches/README.md.
COPY patches patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json moleculer.config.ts ./
COPY lib lib
COPY mixins mixins
COPY middlewares middlewares
COPY services services
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# A young generation of 32 MB a half instead of V8's 16: a gateway node allocates some 55 KB a
# request, and scavenging half as often took its CPU a request down by a seventh and the
# cluster's throughput up by a sixth, for some 35 MB more under load (docs/operations.md,
# "The young generation"). scripts/local-cluster.sh and the benches' cluster nodes
# (bench/support.ts) read it from here.
ENV NODE_ENV=production SERVICEDIR=dist/services NODE_OPTIONS=--max-semi-space-size=32
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
# The REST API (PORT) and real-time push (REALTIME_PORT).
EXPOSE 3000 3300
CMD ["node", "node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"]
