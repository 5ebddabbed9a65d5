# syntax=docker/dockerfile:1
# One image for the API, the worker, migrations and the CLI (compose runs each with its own command):
#   docker build -t paperboy .   then see docker-compose.yml.
# Build stage: every dependency (TypeScript, the Prisma CLI), the compiled build in dist/, then only what runs is kept.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev --omit=optional --no-audit --no-fund

# Runtime stage: Node, the production dependencies, the build, the templates and the migrations; no compiler, no tsx.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY templates ./templates
COPY prisma/migrations ./prisma/migrations
USER node
EXPOSE 3000
# The API's liveness; the worker's service overrides it (it serves no HTTP).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: in-flight sends finish before it exits (within 30 s).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
