// The Fastify app factory: the process entry (main.ts), the tests and the fuzzer build the
// same app. Cross-cutting behaviour lives here: request IDs, request logging without
// secrets, the one error handler, OpenAPI, health and readiness, closing open streams.
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { Type } from 'typebox';
import type { ClusterVersionLookup } from './blue-version.js';
import type { ApiConfig } from './config.js';
import { errorReply, HttpError, title } from './errors.js';
import { migrationReader } from './migrations.js';
import { registerMigrationRoutes } from './routes.js';
import { errors } from './schemas.js';

export interface AppDeps {
  config: ApiConfig;
  temporal: Client;
  /** Task queue workflows are started on (tests use their own). */
  taskQueue?: string;
  /** Request logging; off unless given (tests stay quiet). */
  logger?: false | { level?: string; stream?: Writable };
  /** Blue's Kubernetes version, to refuse a target that is not newer before starting anything. */
  blueVersion?: ClusterVersionLookup;
}

/** Where an incoming x-request-id is trusted as is: short and harmless in a log line. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const READINESS_TIMEOUT_MS = 2_000;
/** Headers worth a log line; Authorization is never among them (and is redacted besides). */
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-forwarded-for'];

export function loggerOptions(logger: AppDeps['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  return {
    level: logger.level ?? 'info',
    ...(logger.stream ? { stream: logger.stream } : {}),
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) => ({
        method: req.method,
        url: req.url,
        remoteAddress: req.ip,
        headers: Object.fromEntries(LOGGED_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => [h, req.headers[h]])),
      }),
    },
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    // Every schema error at once, so a person fixes a spec in one go; unknown fields are
    // refused rather than silently dropped (a typo in a spec must not go unnoticed).
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', useDefaults: false, removeAdditional: false } },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Cutover',
        version: '0.1.0',
        description: 'Blue/green EKS cluster migrations on Temporal. Every error has the same body: error, message, requestId, and errors[] naming each bad field.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [{ name: 'migrations' }, { name: 'operations' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error, request, reply) => {
    const answer = errorReply(error);
    if (answer.internal) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: answer.status, reason: answer.body.message }, 'request refused');
    return reply
      .headers(answer.headers ?? {})
      .code(answer.status)
      .send({ ...answer.body, requestId: request.id });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: title(404), message: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id }),
  );

  let closing = false;
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    closing = true; // readiness fails first, so a load balancer stops sending work
    for (const close of streams) close();
  });

  const OpsTags = ['operations'];
  app.get(
    '/healthz',
    { schema: { tags: OpsTags, summary: 'Liveness', security: [], response: { 200: Type.Object({ ok: Type.Boolean() }, { description: 'The process is alive' }) } } },
    async () => ({ ok: true }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: OpsTags,
        summary: 'Readiness: the Temporal connection answers',
        security: [],
        response: { 200: Type.Object({ ok: Type.Boolean(), temporal: Type.String() }, { description: 'Ready for traffic' }), ...errors(503) },
      },
    },
    async (request) => {
      if (closing) throw new HttpError(503, 'shutting down', {}, { 'retry-after': '1' });
      try {
        await deps.temporal.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => deps.temporal.workflowService.getSystemInfo({}));
      } catch (err) {
        request.log.warn({ err }, 'readiness: Temporal unreachable');
        throw new HttpError(503, 'Temporal is unreachable', {}, { 'retry-after': '5' });
      }
      return { ok: true, temporal: 'connected' };
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const reader = migrationReader(deps.temporal, deps.config.temporal.namespace, deps.config.temporal.uiUrl);
  await registerMigrationRoutes(app, { deps, reader, streams });
  return app;
}
