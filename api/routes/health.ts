// GET /healthz (the process is alive) and GET /readyz (Temporal answers and a worker polls
// the task queue: without one no status can be read and no decision applied), for load
// balancers and orchestrators; public. Readiness fails as soon as the app starts closing, so traffic
// stops before open requests are finished.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HttpError } from '../errors.js';
import { errors, TAGS, WorkersBody } from '../schemas.js';

const READINESS_TIMEOUT_MS = 2_000;

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.get(
    '/healthz',
    {
      schema: {
        tags: [TAGS.operations],
        summary: 'Liveness',
        security: [],
        response: { 200: Type.Object({ ok: Type.Boolean() }, { description: 'The process is alive' }) },
      },
    },
    async () => ({ ok: true }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: [TAGS.operations],
        summary: 'Readiness: the Temporal connection answers and a worker polls the task queue',
        description: "503 while shutting down, while Temporal does not answer, or while no worker polls the migrations' task queue (workers says how many do).",
        security: [],
        response: { 200: Type.Object({ ok: Type.Boolean(), temporal: Type.String(), workers: WorkersBody }, { description: 'Ready for traffic' }), ...errors(503) },
      },
    },
    async (request) => {
      if (closing) throw new HttpError(503, 'shutting down', {}, { 'retry-after': '1' });
      const temporal = app.temporal;
      let workers;
      try {
        await temporal.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}));
        workers = await app.workers.pollers();
      } catch (err) {
        request.log.warn({ err }, 'readiness: Temporal unreachable');
        throw new HttpError(503, 'Temporal is unreachable', {}, { 'retry-after': '5' });
      }
      if (workers.workflowPollers === 0 || workers.activityPollers === 0) {
        const missing = workers.workflowPollers === 0 ? 'workflow' : 'activity';
        throw new HttpError(503, `no worker is polling task queue ${workers.taskQueue} for ${missing} tasks`, { temporal: 'connected', workers }, { 'retry-after': '5' });
      }
      return { ok: true, temporal: 'connected', workers };
    },
  );
};

export default healthRoutes;
