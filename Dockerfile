# syntax=docker/dockerfile:1
# cnpg-mcp container image: the MCP server over HTTP on 0.0.0.0:3000.
#   docker build -t <registry>/cnpg-mcp:<version> .
# Runs as uid 10001 with a read-only root filesystem (it writes nothing outside /tmp); the Helm
# chart (deploy/helm/cnpg-mcp) sets that securityContext and mounts an emptyDir at /tmp.
# The base image's Node is the runtime: the project's pinned `node` devDependency exists only so
# `npm run …` uses Node 24 on machines with an older system Node, and stays out of this image.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- the npm cache `npm ci` starts from -------------------------------------------------------
# Empty: npm downloads what package-lock.json pins, as usual. A build without access to the npm
# registry replaces this stage with a seeded cache (a named build context) and passes
# --build-arg npm_config_offline=true; local-cluster/buildkit/build.sh does that.
FROM scratch AS npm-cache

# --- build: compile TypeScript to dist/ -----------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the root `prepare` script would compile src/ before it is copied, and the
# `node` devDependency's install script would download a second Node (the base image has one).
# Its dangling bin link is removed so `npm run build` finds the base image's node.
ARG npm_config_offline=false
# rw: npm writes to its cache; what it writes is discarded with the step.
RUN --mount=type=bind,from=npm-cache,target=/tmp/npm-cache,rw \
    npm ci --cache /tmp/npm-cache --ignore-scripts --no-audit --no-fund \
 && rm -f node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only ----------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; --ignore-scripts also skips `prepare`.
ARG npm_config_offline=false
RUN --mount=type=bind,from=npm-cache,target=/tmp/npm-cache,rw \
    npm ci --cache /tmp/npm-cache --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# npm, npx and corepack are not needed to run the server: fewer tools in a compromised pod.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && groupadd --gid 10001 cnpg-mcp \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin cnpg-mcp
# The young generation capped at 16 MiB per semi-space: V8 otherwise grows it with the allocation
# rate (to 128 MiB committed under load here), which is most of the difference between the heap
# in use and RSS. Measured (docs/benchmarks.md): 70–130 MiB less RSS under load, 5–7 % more CPU
# per call. load/lib/processes.ts runs the benchmark's server with the same environment.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
# Owned by root and not writable by the server's user.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "3000"]
