#!/usr/bin/env bash
# Browser journeys: a production build served by scripts/serve.mjs (`next start` + upgrades) on :3100 against a fresh database,
# its own Redis prefix and the stub upstream on :4010; then Playwright with Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export E2E_PORT="${E2E_PORT:-3100}" STUB_PORT="${STUB_PORT:-4010}"
# Database and Redis prefix per port, so two runs on one machine never share data.
E2E_DB="metergate_e2e_${E2E_PORT}"
export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/${E2E_DB}"
export REDIS_URL="redis://127.0.0.1:6379" REDIS_PREFIX="mge2e${E2E_PORT}:"
export NEXTAUTH_SECRET="e2e-secret-e2e-secret-e2e-secret-012345" ENCRYPTION_KEY="$(printf '1%.0s' $(seq 1 64))"
export NEXTAUTH_URL="http://localhost:${E2E_PORT}" E2E_BASE_URL="http://localhost:${E2E_PORT}"
export UPSTREAM_ANTHROPIC_BASE_URL="http://127.0.0.1:${STUB_PORT}" UPSTREAM_ANTHROPIC_API_KEY="stub-anthropic-credential"
export UPSTREAM_OPENAI_BASE_URL="http://127.0.0.1:${STUB_PORT}" UPSTREAM_OPENAI_API_KEY="stub-openai-credential"
export FLUSH_IN_PROCESS=false LOG_LEVEL=warn

if [ ! -x /usr/bin/chromium ]; then
  echo "[e2e] installing Debian chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# A CJK font, so the Chinese-locale journey renders (and screenshots) real glyphs, not boxes.
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  echo "[e2e] installing a CJK font (fonts-wqy-zenhei)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null || true
fi

psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ${E2E_DB} WITH (FORCE)" -c "CREATE DATABASE ${E2E_DB}"
npx prisma migrate deploy >/dev/null
redis-cli -h 127.0.0.1 --scan --pattern "${REDIS_PREFIX}*" | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null

if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then npx next build >"/tmp/metergate-e2e-build-${E2E_PORT}.log" 2>&1 || { tail -50 "/tmp/metergate-e2e-build-${E2E_PORT}.log"; exit 1; }; fi

# Each server runs in its own process group so the trap can stop it with all its children.
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for port in "$STUB_PORT" "$E2E_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:${port}/"; then echo "[e2e] port ${port} is busy: stop what runs there first" >&2; exit 1; fi
done
setsid node --import tsx scripts/stub-upstream.ts --port "$STUB_PORT" >"/tmp/metergate-e2e-stub-${E2E_PORT}.log" 2>&1 & pids+=($!)
setsid node scripts/serve.mjs -p "$E2E_PORT" >"/tmp/metergate-e2e-server-${E2E_PORT}.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:${E2E_PORT}/" >/dev/null && break; sleep 0.5; done

npx playwright test "$@"
