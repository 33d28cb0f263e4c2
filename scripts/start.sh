#!/usr/bin/env bash
# `npm start`: everything a fresh machine needs, then serve portal + relay on $PORT (default 3000).
# Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
t0=$(date +%s)

# 1. Dependencies (installed only when the lockfile changed since the last install).
if [ ! -f node_modules/.metergate-installed ] || [ package-lock.json -nt node_modules/.metergate-installed ]; then
  echo "[start] installing dependencies"
  # `npm ci` rejects the lockfiles npm 11 writes here (optional platform packages), so install from the lock.
  npm install --no-audit --no-fund
  touch node_modules/.metergate-installed
fi

# 2. Configuration: .env with fresh secrets on first run; variables already set win.
. scripts/load-env.sh
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/metergate}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

# 3. Services, database, migrations.
bash scripts/services.sh
npx tsx scripts/create-db.ts
npx prisma migrate deploy
npx prisma generate >/dev/null

# 4. Build when sources changed since the last build.
if [ ! -f .next/BUILD_ID ] || [ -n "$(find src prisma public next.config.mjs package-lock.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]; then
  echo "[start] building"
  npx next build
fi

echo "[start] ready to serve after $(( $(date +%s) - t0 ))s; flush job runs every ${FLUSH_INTERVAL_MS:-2000} ms in a child process of the server"
# scripts/serve.mjs is `next start` that also lets the relay answer WebSocket upgrades (426).
exec node scripts/serve.mjs -p "${PORT:-3000}"
