// The /v1 routes of DESIGN §3. Handlers translate HTTP to workflow messages; the workflow's
// validators decide what applies, so the API never second-guesses a migration's state.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { Type } from 'typebox';
import type { migration } from '../workflows/migration.js';
import type { GateName } from '../workflows/model.js';
import {
  abortUpdate,
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  statusQuery,
  TASK_QUEUE,
  WORKFLOW_TYPE,
  type ActorRequest,
} from '../workflows/messages.js';
import { buildPlan, checkSpec, migrationId, resolveSpec } from '../workflows/plan.js';
import { MigrationSpecSchema, type MigrationSpec } from '../workflows/spec.js';
import type { AppDeps } from './app.js';
import { requireRole } from './auth.js';
import { HttpError } from './errors.js';
import { ApprovalBody, ErrorBody, IdParams, ListBody, ListQuery, ReasonBody, RollbackBody, RollbackQuery, StatusBody } from './schemas.js';

const TAGS = ['migrations'];
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]));

export async function registerMigrationRoutes(appBase: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const client = deps.temporal;
  const namespace = deps.config.temporal.namespace;
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const role = (least: Parameters<typeof requireRole>[1]) => requireRole(deps.config.tokens, least);
  const links = (id: string) => ({ temporalUi: `${deps.config.temporal.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}` });

  const assertSound = (spec: MigrationSpec) => {
    const issues = checkSpec(spec);
    if (issues.length) throw new HttpError(400, 'invalid migration spec', { errors: issues });
  };

  /** Sends an Update; a migration that has ended answers 409 with its state, an unknown one 404. */
  const update = async <Ret>(id: string, send: (handle: WorkflowHandle) => Promise<Ret>): Promise<Ret> => {
    const handle: WorkflowHandle = client.workflow.getHandle(id);
    try {
      return await send(handle);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const described = await handle.describe(); // throws WorkflowNotFoundError → 404
      throw new HttpError(409, `migration ${id} has ended (${described.status.name})`, { phase: described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase) });
    }
  };

  app.post(
    '/v1/plans',
    { preHandler: role('viewer'), schema: { tags: TAGS, summary: 'Validate a spec and show its plan without starting', body: MigrationSpecSchema, response: { 200: Type.Object({ id: Type.String(), plan: Type.Any() }), ...errors(400, 401, 403) } } },
    async (request) => {
      assertSound(request.body);
      return { id: migrationId(request.body), plan: buildPlan(resolveSpec(request.body)) };
    },
  );

  app.post(
    '/v1/migrations',
    { preHandler: role('operator'), schema: { tags: TAGS, summary: 'Start a migration', body: MigrationSpecSchema, response: { 201: Type.Object({ id: Type.String(), links: Type.Object({ temporalUi: Type.String() }) }), ...errors(400, 401, 403, 409) } } },
    async (request, reply) => {
      const spec = request.body;
      assertSound(spec);
      const id = migrationId(spec);
      await client.workflow.start<typeof migration>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: id,
        args: [{ spec, startedBy: request.principal!.subject }],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.phase, value: 'preflight' },
          { key: SEARCH_ATTRIBUTES.blue, value: spec.blue.cluster },
          { key: SEARCH_ATTRIBUTES.green, value: spec.green.cluster },
          { key: SEARCH_ATTRIBUTES.targetVersion, value: spec.green.kubernetesVersion },
        ],
      });
      request.log.info({ migration: id, by: request.principal!.subject }, 'migration started');
      return reply.code(201).send({ id, links: links(id) });
    },
  );

  app.get(
    '/v1/migrations',
    { preHandler: role('viewer'), schema: { tags: TAGS, summary: 'List migrations from Temporal visibility', querystring: ListQuery, response: { 200: ListBody, ...errors(400, 401) } } },
    async (request) => {
      const q = request.query;
      const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
      if (q.phase) clauses.push(`${SEARCH_ATTRIBUTES.phase.name} = '${q.phase}'`);
      if (q.blue) clauses.push(`${SEARCH_ATTRIBUTES.blue.name} = '${q.blue}'`);
      if (q.status) clauses.push(`ExecutionStatus = '${q.status}'`);
      const page = await client.workflowService.listWorkflowExecutions({
        namespace,
        query: clauses.join(' AND '),
        pageSize: q.pageSize ?? 20,
        nextPageToken: q.cursor ? Buffer.from(q.cursor, 'base64url') : undefined,
      });
      const decoded = await Promise.all(
        (page.executions ?? []).map(async (e) => {
          const attrs = e.searchAttributes?.indexedFields ?? {};
          const read = (key: string) => {
            const payload = attrs[key];
            return payload?.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as string) : undefined;
          };
          const id = e.execution?.workflowId ?? '';
          return {
            id,
            phase: read(SEARCH_ATTRIBUTES.phase.name),
            blue: read(SEARCH_ATTRIBUTES.blue.name),
            green: read(SEARCH_ATTRIBUTES.green.name),
            targetVersion: read(SEARCH_ATTRIBUTES.targetVersion.name),
            workflowStatus: statusName(e.status),
            startTime: e.startTime?.seconds ? new Date(Number(e.startTime.seconds) * 1000).toISOString() : undefined,
            links: links(id),
          };
        }),
      );
      const next = page.nextPageToken && page.nextPageToken.length ? Buffer.from(page.nextPageToken).toString('base64url') : undefined;
      return { migrations: decoded, ...(next ? { nextCursor: next } : {}) };
    },
  );

  app.get(
    '/v1/migrations/:id',
    { preHandler: role('viewer'), schema: { tags: TAGS, summary: 'Status of a migration', params: IdParams, response: { 200: StatusBody, ...errors(401, 404) } } },
    async (request) => {
      const handle = client.workflow.getHandle(request.params.id);
      const described = await handle.describe();
      const status = await handle.query(statusQuery);
      return { ...status, workflowStatus: described.status.name, links: links(request.params.id) };
    },
  );

  app.post(
    '/v1/migrations/:id/approvals',
    { preHandler: role('approver'), schema: { tags: TAGS, summary: 'Approve or reject a pending gate', params: IdParams, body: ApprovalBody, response: { 200: Type.Object({ gate: Type.String(), decision: Type.String() }), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => {
      const { gate, decision, comment } = request.body;
      const actor = request.principal!.subject;
      return update(request.params.id, (h) => h.executeUpdate(approveUpdate, { args: [{ gate: gate as GateName, decision, comment, actor }] }));
    },
  );

  app.post(
    '/v1/migrations/:id/rollback',
    { preHandler: role('operator'), schema: { tags: TAGS, summary: 'Put all traffic back on blue', params: IdParams, querystring: RollbackQuery, body: RollbackBody, response: { 200: Type.Object({ accepted: Type.Boolean(), weights: Type.Optional(Type.Object({ blue: Type.Integer(), green: Type.Integer() })) }), 202: Type.Object({ accepted: Type.Boolean() }), ...errors(400, 401, 403, 404, 409) } } },
    async (request, reply) => {
      const wait = request.query.wait === true;
      const args = [{ reason: request.body.reason, actor: request.principal!.subject, wait }] as const;
      const result = await update(request.params.id, (h) => h.executeUpdate(rollbackUpdate, { args: [...args] }));
      return reply.code(wait ? 200 : 202).send(result);
    },
  );

  const simple: [string, UpdateDefinition<void, [ActorRequest]>, string][] = [
    ['pause', pauseUpdate, 'Hold progression at the next boundary'],
    ['resume', resumeUpdate, 'Resume a paused migration'],
    ['retry', retryUpdate, 'After a rollback: validate again and wait for cutover'],
    ['abort', abortUpdate, 'After a rollback: end the migration, traffic stays on blue'],
    ['cancel', cancelUpdate, 'Stop and compensate: traffic to blue, green deleted if created here and the spec says so'],
  ];
  for (const [action, def, summary] of simple) {
    app.post(
      `/v1/migrations/:id/${action}`,
      {
        preHandler: role('operator'),
        // The body is optional: `curl -X POST …/pause` with nothing else must work.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: { tags: TAGS, summary, params: IdParams, body: ReasonBody, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors(400, 401, 403, 404, 409) } },
      },
      async (request) => {
        const args: [ActorRequest] = [{ actor: request.principal!.subject, reason: request.body?.reason }];
        await update(request.params.id, (h) => h.executeUpdate(def, { args }));
        return { ok: true };
      },
    );
  }
}

const STATUS_NAMES: Record<number, string> = { 1: 'RUNNING', 2: 'COMPLETED', 3: 'FAILED', 4: 'CANCELLED', 5: 'TERMINATED', 6: 'CONTINUED_AS_NEW', 7: 'TIMED_OUT' };
function statusName(status: unknown): string {
  return STATUS_NAMES[Number(status)] ?? 'UNKNOWN';
}
