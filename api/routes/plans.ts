// POST /v1/plans: checks a spec as a start would and shows the plan the workflow would
// follow — computed by the workflow's own buildPlan — without starting anything.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { migrationId } from '../../workflows/migration-id.js';
import { buildPlan } from '../../workflows/plan.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { ClusterVersionLookup } from '../blue-version.js';
import { errors, PlanBody, SpecBody, TAGS } from '../schemas.js';
import { assertSound } from '../spec-checks.js';
import type { FreezeCalendars } from '../../config/freeze-windows.js';
import { freezeSchedule } from '../freeze-schedule.js';

export interface PlanRoutesOptions {
  blueVersion?: ClusterVersionLookup;
  /** The service's freeze calendars: a spec's named ones must exist, and the plan shows when each step could run. */
  freezeCalendars?: FreezeCalendars;
}

const planRoutes: FastifyPluginAsyncTypebox<PlanRoutesOptions> = async (app, { blueVersion, freezeCalendars = {} }) => {
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
      await assertSound(request.body, blueVersion, freezeCalendars);
      const id = migrationId(request.body);
      const spec = resolveSpec(request.body);
      const plan = buildPlan(spec);
      const freezes = freezeSchedule(plan, spec, freezeCalendars, Date.now());
      return { id, plan, links: app.migrations.links(id), ...(freezes && { freezes }) };
    },
  );
};

export default planRoutes;
