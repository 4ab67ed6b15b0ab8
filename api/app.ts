// The Fastify app factory: the process entry (main.ts) and the tests build the same app.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { ApiConfig } from './config.js';
import { domainErrorReply } from './errors.js';
import { registerMigrationRoutes } from './routes.js';

export interface AppDeps {
  config: ApiConfig;
  temporal: Client;
  /** Task queue workflows are started on (tests use their own). */
  taskQueue?: string;
  logger?: boolean | object;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    // Every schema error at once, so a person fixes a spec in one go.
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', useDefaults: false } },
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      info: { title: 'Cutover', version: '0.1.0', description: 'Blue/green EKS cluster migrations on Temporal' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        path: `${error.validationContext === 'body' ? '' : `/${error.validationContext}`}${v.instancePath || ''}${
          v.keyword === 'required' ? `/${(v.params as { missingProperty: string }).missingProperty}` : ''
        }${v.keyword === 'additionalProperties' ? `/${(v.params as { additionalProperty: string }).additionalProperty}` : ''}` || '/',
        message: v.keyword === 'required' ? 'is required' : v.keyword === 'additionalProperties' ? 'is not allowed' : (v.message ?? 'is invalid'),
      }));
      return reply.code(400).send({ error: 'Bad Request', message: `invalid ${error.validationContext ?? 'request'}`, errors, requestId: request.id });
    }
    const mapped = domainErrorReply(error);
    if (mapped) return reply.code(mapped.status).send({ ...mapped.body, requestId: request.id });
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.name, message: error.message, requestId: request.id });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error', message: 'something went wrong; the log has details under this request ID', requestId: request.id });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.temporal.connection.workflowService.getSystemInfo({});
      return { ok: true, temporal: 'connected' };
    } catch (err) {
      return reply.code(503).send({ ok: false, temporal: `unreachable: ${(err as Error).message}` });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await registerMigrationRoutes(app, deps);
  return app;
}
