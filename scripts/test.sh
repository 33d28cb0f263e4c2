#!/usr/bin/env bash
# `npm test`: every test. Type-check, unit + integration (real Postgres and Redis), then the
# Playwright journeys against a production build. Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
mkdir -p .test-results && rm -f .test-results/*.json
status=0

if [ ! -f node_modules/.metergate-installed ] || [ package-lock.json -nt node_modules/.metergate-installed ]; then
  npm install --no-audit --no-fund && touch node_modules/.metergate-installed || exit 1
fi
bash scripts/services.sh || exit 1
npx prisma generate >/dev/null || exit 1

echo "== typecheck"
npx tsc --noEmit -p . || status=1

echo "== unit + integration"
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || status=1

echo "== browser journeys"
PLAYWRIGHT_JSON_OUTPUT_NAME=.test-results/playwright.json bash scripts/e2e.sh --reporter=list,json || status=1

npx tsx scripts/test-summary.ts .test-results/vitest.json .test-results/playwright.json || status=1
exit $status
