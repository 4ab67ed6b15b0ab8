// GET /healthz (the process is alive) and GET /readyz (Temporal answers), for load balancers
// and orchestrators; public. Readiness fails as soon as the app starts closing, so traffic
// stops before open requests are finished.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HttpError } from '../errors.js';
import { errors, TAGS } from '../schemas.js';

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
        summary: 'Readiness: the Temporal connection answers',
        security: [],
        response: { 200: Type.Object({ ok: Type.Boolean(), temporal: Type.String() }, { description: 'Ready for traffic' }), ...errors(503) },
      },
    },
    async (request) => {
      if (closing) throw new HttpError(503, 'shutting down', {}, { 'retry-after': '1' });
      const temporal = app.temporal;
      try {
        await temporal.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}));
      } catch (err) {
        request.log.warn({ err }, 'readiness: Temporal unreachable');
        throw new HttpError(503, 'Temporal is unreachable', {}, { 'retry-after': '5' });
      }
      return { ok: true, temporal: 'connected' };
    },
  );
};

export default healthRoutes;
