// The Fastify app factory: the process entry (main.ts), the tests and the fuzzer build the
// same app from plugins. Here: request IDs, request logging without secrets, the one error
// handler; then OpenAPI, the Temporal client, the public health and metrics routes, and the
// /v1 routes behind auth.
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { ClusterVersionLookup } from './blue-version.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import { BODY_LIMIT_BYTES, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS, DEFAULT_ROLLBACK_WAIT_MS, type ApiConfig } from './config.js';
import { errorReply, title } from './errors.js';
import auth from './plugins/auth.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import temporal from './plugins/temporal.js';
import decisionRoutes from './routes/decisions.js';
import type { KnownApprover, SpecContext } from './spec-checks.js';
import { teamRolesOf } from '../config/teams.js';
import eventRoutes from './routes/events.js';
import healthRoutes from './routes/health.js';
import migrationRoutes from './routes/migrations.js';
import planRoutes from './routes/plans.js';

export interface AppDeps {
  config: ApiConfig;
  /** A client to use as is (tests); without one the app connects with config.temporal and closes it on close. */
  temporal?: Client;
  /** Task queue workflows are started on, instead of config.temporal.taskQueue (tests use their own). */
  taskQueue?: string;
  /** Request logging; off unless given (tests stay quiet). */
  logger?: false | { level?: string; stream?: Writable };
  /** How long /metrics reuses its reading of Temporal (tests: 0). */
  metricsCacheMs?: number;
  /** Blue's Kubernetes version, to refuse a target that is not newer before starting anything. */
  blueVersion?: ClusterVersionLookup;
}

/** Where an incoming x-request-id is trusted as is: short and harmless in a log line. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
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

/** Everyone a static token lets in, with their roles: who could ever approve (without OIDC, nobody else can). */
function knownApprovers(config: ApiConfig): KnownApprover[] {
  return [...config.tokens.values()].map((t) => ({ subject: t.subject, groups: t.groups, globalRole: t.role, ...teamRolesOf(config.teams, t.subject, t.groups) }));
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    // Every schema error at once, so a person fixes a spec in one go; unknown fields are
    // refused rather than silently dropped (a typo in a spec must not go unnoticed).
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', useDefaults: false, removeAdditional: false } },
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Every line about one migration names it, like the worker's lines do.
  app.addHook('preValidation', async (request) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') request.log = request.log.child({ migrationId: id });
  });

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

  await app.register(openapi);
  const taskQueue = deps.taskQueue ?? config.temporal.taskQueue ?? TASK_QUEUE;
  await app.register(temporal, { settings: config.temporal, client: deps.temporal, taskQueue, queryTimeoutMs: config.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS });
  await app.register(metrics, { cacheMs: deps.metricsCacheMs });
  await app.register(healthRoutes);
  // Every route of the contract under /v1, behind auth.
  await app.register(
    async (v1) => {
      await v1.register(auth, { tokens: config.tokens, oidc: config.oidc, teams: config.teams });
      // With OIDC, who can approve is the provider's to know; with static tokens alone, every approver is known here.
      const specContext: SpecContext = { blueVersion: deps.blueVersion, policies: config.approvalPolicies ?? {}, freezeCalendars: config.freezeCalendars ?? {}, teams: config.teams, ...(!config.oidc && { approvers: knownApprovers(config) }) };
      await v1.register(planRoutes, { specContext, taskQueue });
      await v1.register(migrationRoutes, { taskQueue, specContext });
      await v1.register(decisionRoutes, {
        acceptTimeoutMs: config.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS,
        rollbackWaitMs: config.rollbackWaitMs ?? DEFAULT_ROLLBACK_WAIT_MS,
      });
      await v1.register(eventRoutes, { pollMs: config.eventsPollMs });
    },
    { prefix: '/v1' },
  );
  return app;
}
