#!/bin/sh
# Container entry point (see Dockerfile). Commands:
#   serve         apply pending migrations (MIGRATE_ON_START=false skips), then scripts/serve.mjs
#                 (`next start` that lets the relay refuse WebSocket upgrades with a 426)
#   migrate       apply pending migrations and exit
#   relay         the dedicated relay tier (`npm run relay`: RELAY_PORT, default 3001), compiled
#                 into the image by scripts/build-relay.mjs
#   flush-worker  dedicated flush runner (pair with FLUSH_IN_PROCESS=false on the web tier)
#   cli ARGS...   operator CLI, e.g. `cli tenant create --name Acme`
#   anything else is executed as given
# `prisma migrate deploy` takes a Postgres advisory lock, so several instances starting at once
# is safe: one applies, the others wait and find nothing to do.
set -eu
cd "$(dirname "$0")/.."
cmd="${1:-serve}"
[ "$#" -gt 0 ] && shift
case "$cmd" in
  serve)
    if [ "${MIGRATE_ON_START:-true}" != "false" ]; then
      node node_modules/prisma/build/index.js migrate deploy
    fi
    exec node scripts/serve.mjs -p "${PORT:-3000}" -H "${HOSTNAME:-0.0.0.0}"
    ;;
  migrate)
    exec node node_modules/prisma/build/index.js migrate deploy
    ;;
  relay)
    exec node .relay-build/relay-server.mjs
    ;;
  flush-worker)
    exec node node_modules/tsx/dist/cli.mjs --tsconfig tsconfig.json scripts/flush-worker.ts
    ;;
  cli)
    exec node node_modules/tsx/dist/cli.mjs --tsconfig tsconfig.json scripts/cli.ts "$@"
    ;;
  *)
    exec "$cmd" "$@"
    ;;
esac
