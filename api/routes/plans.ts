// POST /v1/plans: checks a spec as a start would and shows the plan the workflow would
// follow — computed by the workflow's own buildPlan — without starting anything. With
// `inspect` (?inspect=true, or `"inspect": true` beside the spec's fields), also the dry run:
// a short workflow of its own (workflows/inspect.ts) runs the read-only checks in the worker,
// as the worker, and its findings are answered beside the plan. No migration is started.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { inspectMigration } from '../../workflows/inspect.js';
import { INSPECT_WORKFLOW_TYPE } from '../../workflows/messages.js';
import { migrationId } from '../../workflows/migration-id.js';
import { buildPlan } from '../../workflows/plan.js';
import { durationMs } from '../../workflows/duration.js';
import { resolveSpec, type ResolvedSpec } from '../../workflows/spec-defaults.js';
import type { Inspection } from '../../workflows/schemas.js';
import { byDeadline, serverCall } from '../deadlines.js';
import { HttpError } from '../errors.js';
import { errors, INSPECT_TIMEOUT, PlanBody, PlanQuery, PlanRequestBody, TAGS } from '../schemas.js';
import { assertSound, type SpecContext } from '../spec-checks.js';
import { freezeSchedule } from '../freeze-schedule.js';

export interface PlanRoutesOptions {
  specContext: SpecContext;
  /** Task queue the worker polls: the dry run runs there. */
  taskQueue: string;
}

/** How long past the inspection's bound the API waits for its answer to arrive (Temporal's own latency). */
const ANSWER_GRACE_MS = 5_000;

/** The bound ?timeout= asks for, in milliseconds; a 400 naming the parameter when it is not a duration in bounds. */
function inspectTimeoutMs(timeout: string | undefined): number {
  const given = timeout ?? INSPECT_TIMEOUT.default;
  let ms: number;
  try {
    ms = durationMs(given);
  } catch {
    ms = NaN;
  }
  if (Number.isFinite(ms) && ms >= INSPECT_TIMEOUT.minMs && ms <= INSPECT_TIMEOUT.maxMs) return ms;
  const message = `must be a duration from ${INSPECT_TIMEOUT.minMs / 1000}s to ${INSPECT_TIMEOUT.maxMs / 60_000}m (e.g. 90s, 2m), not ${JSON.stringify(given)}`;
  throw new HttpError(400, `timeout ${message}`, { errors: [{ path: '/querystring/timeout', message }] });
}

const planRoutes: FastifyPluginAsyncTypebox<PlanRoutesOptions> = async (app, { specContext, taskQueue }) => {
  /** The dry run, in the worker: its answer by the bound, or a 503 saying which worker is missing or silent. */
  async function inspect(spec: ResolvedSpec, id: string, timeoutMs: number): Promise<Inspection> {
    const client = app.temporal;
    const what = 'the dry run (inspect)';
    // No worker, no checks: say so now rather than after the bound.
    const seen = await app.workers.pollers().catch(() => undefined);
    if (seen && (seen.workflowPollers === 0 || seen.activityPollers === 0)) throw app.workers.noWorker(what, seen);
    const workflowId = `inspect-${crypto.randomUUID()}`;
    const handle = await serverCall(client, () =>
      client.workflow.start<typeof inspectMigration>(INSPECT_WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [{ spec, migrationId: id, timeoutMs }],
        workflowExecutionTimeout: timeoutMs,
        staticSummary: `dry run of ${id}`,
        staticDetails: `Read-only checks of ${spec.blue.cluster} → ${spec.green.cluster} (Kubernetes ${spec.green.kubernetesVersion}), bound ${Math.round(timeoutMs / 1000)} s; no migration is started`,
      }),
    );
    try {
      return await byDeadline(client, Date.now() + timeoutMs + ANSWER_GRACE_MS, () => handle.result());
    } catch (err) {
      // Past its own bound the workflow answers with what it has; no answer at all is the worker's silence.
      app.log.warn({ err, workflowId }, 'the dry run did not answer');
      throw await app.workers.unanswered(what, timeoutMs + ANSWER_GRACE_MS);
    }
  }

  app.post(
    '/plans',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'planMigration',
        summary: 'Validate a spec and show its plan without starting it; with inspect, also run the read-only checks (a dry run)',
        description:
          'With ?inspect=true (or "inspect": true beside the spec\'s fields) the worker runs, read-only and as itself, the checks a migration\'s preflight and validation make — EKS, upgrade insights, add-ons, removed APIs, stateful workloads, the routing with its live weights, an adopted green\'s drift and readiness — and whether IAM lets it make the plan\'s calls. The answer comes within ?timeout= (default 2m); a check that has not answered by then, or failed, is a blocking finding naming it. 503 when no worker polls the task queue.',
        querystring: PlanQuery,
        body: PlanRequestBody,
        response: { 200: PlanBody, ...errors(400, 401, 403, 413, 503) },
      },
    },
    async (request) => {
      // `inspect` is a request option, not part of the spec: taken off before the spec is checked.
      const { inspect: inspectInBody, ...body } = request.body;
      const inspecting = request.query.inspect === true || inspectInBody === true;
      const timeoutMs = inspecting || request.query.timeout !== undefined ? inspectTimeoutMs(request.query.timeout) : 0;
      // Whoever starts it later is not known here: a policy nobody could meet shows, one only the starter's exclusion breaks shows at the start.
      await assertSound(body, specContext);
      const id = migrationId(body);
      const spec = resolveSpec(body, specContext.policies);
      const plan = buildPlan(spec);
      const freezes = freezeSchedule(plan, spec, specContext.freezeCalendars ?? {}, Date.now());
      const inspection = inspecting ? await inspect(spec, id, timeoutMs) : undefined;
      return { id, plan, links: app.migrations.links(id), ...(freezes && { freezes }), ...(inspection && { inspection }) };
    },
  );
};

export default planRoutes;
