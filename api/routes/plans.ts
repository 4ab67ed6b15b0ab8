// POST /v1/plans: checks a spec as a start would and shows the plan the workflow would
// follow — computed by the workflow's own buildPlan — without starting anything.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { migrationId } from '../../workflows/migration-id.js';
import { buildPlan } from '../../workflows/plan.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import { errors, PlanBody, SpecBody, TAGS } from '../schemas.js';
import { assertSound, type SpecContext } from '../spec-checks.js';
import { freezeSchedule } from '../freeze-schedule.js';

export interface PlanRoutesOptions {
  specContext: SpecContext;
}

const planRoutes: FastifyPluginAsyncTypebox<PlanRoutesOptions> = async (app, { specContext }) => {
  app.post(
    '/plans',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'planMigration',
        summary: 'Validate a spec and show its plan without starting it',
        body: SpecBody,
        response: { 200: PlanBody, ...errors(400, 401, 403, 413) },
      },
    },
    async (request) => {
      // Whoever starts it later is not known here: a policy nobody could meet shows, one only the starter's exclusion breaks shows at the start.
      await assertSound(request.body, specContext);
      const id = migrationId(request.body);
      const spec = resolveSpec(request.body, specContext.policies);
      const plan = buildPlan(spec);
      const freezes = freezeSchedule(plan, spec, specContext.freezeCalendars ?? {}, Date.now());
      return { id, plan, links: app.migrations.links(id), ...(freezes && { freezes }) };
    },
  );
};

export default planRoutes;
