# One image for the worker and the API (choose with the command).
FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY workflows ./workflows
COPY activities ./activities
COPY config ./config
COPY worker ./worker
COPY api ./api
ENV CUTOVER_MODE=aws NODE_ENV=production
USER node
CMD ["node", "--import", "tsx", "api/main.ts"]
