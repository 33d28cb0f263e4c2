# syntax=docker/dockerfile:1
# Metergate: one image for the web tier (portal + relay), the flush worker and the operator CLI.
#
#   docker build -t metergate .
#   docker run --env-file .env -p 3000:3000 metergate            # migrate, then serve
#   docker run --env-file .env metergate flush-worker             # dedicated flush runner
#   docker run --env-file .env metergate cli tenant list          # operator CLI
#
# Required at run time: DATABASE_URL, REDIS_URL (or REDIS_CLUSTER_NODES), NEXTAUTH_SECRET,
# ENCRYPTION_KEY, NEXTAUTH_URL. See docker-compose.yml for a complete local stack.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- base: OS packages shared by every stage -------------------------------------------------
FROM ${NODE_IMAGE} AS base
ENV NEXT_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# openssl: Prisma probes it at start (no native query engine is used, but it warns without it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# ---- deps: node_modules from the lockfile only (cached until package*.json change) -----------
FROM base AS deps
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: nothing we use needs an install script (prebuilt binaries come as optional
# dependencies; the Prisma client is generated explicitly below), and this mirrors npm 11's
# allowScripts policy of the repository on the image's npm 10.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund

# ---- build: Prisma client + Next production build, then drop dev dependencies ----------------
FROM deps AS build
COPY . .
# public/ may be absent in a fresh clone (git keeps no empty folders); the runtime copies it.
RUN mkdir -p public && npx prisma generate
# env.ts validates on first use; the build may import server modules, so give it throw-away
# values that exist only in this RUN step (never in an image layer's ENV).
RUN NEXTAUTH_SECRET=build-time-placeholder-not-a-real-secret-000 \
    ENCRYPTION_KEY=0000000000000000000000000000000000000000000000000000000000000000 \
    npx next build
RUN node scripts/build-relay.mjs
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    LOG_FORMAT=json
RUN chown node:node /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json /app/next.config.mjs /app/prisma.config.ts /app/tsconfig.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/.next ./.next
COPY --from=build --chown=node:node /app/public ./public
# prisma/: migrations for `migrate deploy` and for the /api/ready migrations check.
COPY --from=build --chown=node:node /app/prisma ./prisma
# src/ + scripts/: the CLI and the flush worker run from source with tsx (a runtime dependency).
COPY --from=build --chown=node:node /app/src ./src
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/.relay-build ./.relay-build
USER node
EXPOSE 3000
# Readiness (Postgres, Redis, migrations). Liveness without the stores is GET /api/health.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["sh", "/app/scripts/docker-entrypoint.sh"]
CMD ["serve"]
