# One image for the whole workspace; which program a container runs is chosen by the SERVICE build arg (the
# default command) or by the container's command:
#
#   docker build -t harness .                                   # default command: the gateway
#   docker build --build-arg SERVICE=chat -t harness-chat .     # default command: node services/chat/dist/main.js
#   docker run --rm harness node services/auth/dist/main.js     # any program of the image
#
# SERVICE: gateway | chat | mcp-broker | auth (services/<SERVICE>/dist/main.js), llm-simulator
# (tools/llm-simulator/dist/main.js) or migrate (scripts/migrate.mjs: applies prisma/migrations to DATABASE_URL).
# Configuration is environment only (see docs/operations.md); docker-compose.yml wires it all.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, generate the Prisma client, compile every package ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false CI=true CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
# npm ci needs every workspace's package.json, so the package folders come in whole (sources included); host
# build output and generated files they may carry are dropped.
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY services ./services
COPY tools ./tools
# package.json's postinstall hook runs during npm ci.
COPY scripts/postinstall.mjs ./scripts/postinstall.mjs
RUN find apps libs services tools -mindepth 2 -maxdepth 2 \( -name dist -o -name node_modules \) -prune -exec rm -rf {} + \
 && rm -rf libs/db/src/generated
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json .swcrc nx.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .nx node_modules/.cache

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000 4010
# exec: the program is PID 1's only child (with `init: true`) and gets SIGTERM directly; it exits 0 after closing.
CMD ["sh", "-c", "case \"$SERVICE\" in migrate) exec node scripts/migrate.mjs ;; llm-simulator) exec node tools/llm-simulator/dist/main.js ;; *) exec node \"services/$SERVICE/dist/main.js\" ;; esac"]
