// POST /v1/plans: checks a spec as a start would and shows the plan the workflow would
// follow — computed by the workflow's own buildPlan — without starting anything.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { migrationId } from '../../workflows/migration-id.js';
import { buildPlan } from '../../workflows/plan.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { ClusterVersionLookup } from '../blue-version.js';
import { errors, PlanBody, SpecBody, TAGS } from '../schemas.js';
import { assertSound } from '../spec-checks.js';

export interface PlanRoutesOptions {
  blueVersion?: ClusterVersionLookup;
}

const planRoutes: FastifyPluginAsyncTypebox<PlanRoutesOptions> = async (app, { blueVersion }) => {
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
      await assertSound(request.body, blueVersion, app.teams);
      const id = migrationId(request.body);
      return { id, plan: buildPlan(resolveSpec(request.body)), links: app.migrations.links(id) };
    },
  );
};

export default planRoutes;
