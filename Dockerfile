# syntax=docker/dockerfile:1
# One image for the worker, the API and `cutover setup`; the command chooses:
#   node dist/api/main.js (default) · node dist/worker/main.js · node dist/cli/main.js setup
# TypeScript is compiled and the workflow code bundled here, once, not at every start.
# Node.js 24, the current LTS: npm test runs the suite on it too.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY types ./types
COPY workflows ./workflows
COPY activities ./activities
COPY config ./config
COPY worker ./worker
COPY api ./api
COPY cli ./cli
# The dry run's permission check reads the actions the plan needs from the IAM policy itself.
COPY deploy/iam-policy.json ./deploy/
COPY scripts/bundle-workflows.ts ./scripts/
RUN npm run build

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
WORKDIR /app
# aws mode, listening beyond loopback; the worker's health endpoints on 8081, its Prometheus
# metrics on 9464 and a 30 s shutdown grace (a Kubernetes pod's terminationGracePeriodSeconds
# must be longer).
ENV NODE_ENV=production \
    CUTOVER_MODE=aws \
    CUTOVER_API_HOST=0.0.0.0 \
    CUTOVER_API_PORT=8080 \
    CUTOVER_WORKER_HEALTH_PORT=8081 \
    CUTOVER_WORKER_METRICS_PORT=9464 \
    CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS=30
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin/healthcheck.mjs ./bin/
# The base image's unprivileged user (uid 1000); AWS profiles go to /home/node/.aws.
USER node
EXPOSE 8080 8081 9464
# The API's readiness by default; the worker's service passes http://127.0.0.1:8081/readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "bin/healthcheck.mjs"]
CMD ["node", "--enable-source-maps", "dist/api/main.js"]
