// The /v1 routes of DESIGN §3. Handlers translate HTTP to workflow messages; the workflow's
// Update validators decide what applies, so the API never second-guesses a migration's state.
// When a request does not apply, the answer says which state the migration is in.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, type UpdateDefinition } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import type { migration } from '../workflows/migration.js';
import type { GateName } from '../workflows/model.js';
import {
  abortUpdate,
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  REJECTION,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  TASK_QUEUE,
  WORKFLOW_TYPE,
  type ActorRequest,
} from '../workflows/messages.js';
import { buildPlan, migrationId, resolveSpec } from '../workflows/plan.js';
import { MigrationSpecSchema, type MigrationSpec } from '../workflows/spec.js';
import type { AppDeps } from './app.js';
import { principalOf, requireRole } from './auth.js';
import { badCursor, openCursor, sealCursor } from './cursor.js';
import { HttpError } from './errors.js';
import { registerEventRoutes } from './events.js';
import type { MigrationReader } from './migrations.js';
import {
  ActionBody,
  ApprovalBody,
  ApprovedBody,
  errors,
  IdParams,
  ListBody,
  ListQuery,
  PlanBody,
  ReasonBody,
  RollbackAccepted,
  RollbackBody,
  RollbackDone,
  RollbackQuery,
  SPEC_EXAMPLE,
  StartedBody,
  StatusBody,
  WORKFLOW_STATUSES,
} from './schemas.js';
import { specIssues } from './spec-checks.js';

const TAGS = ['migrations'];
const SpecBody = { ...MigrationSpecSchema, examples: [SPEC_EXAMPLE] } as typeof MigrationSpecSchema;
const GRPC_UNKNOWN = 2;
const GRPC_INVALID_ARGUMENT = 3;
const LIST_TIMEOUT_MS = 10_000;

export interface RouteContext {
  deps: AppDeps;
  reader: MigrationReader;
  /** Open event streams, closed by the app on shutdown. */
  streams: Set<() => void>;
}

export async function registerMigrationRoutes(appBase: FastifyInstance, ctx: RouteContext): Promise<void> {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const { deps, reader } = ctx;
  const client = deps.temporal;
  const namespace = deps.config.temporal.namespace;
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const role = (least: Parameters<typeof requireRole>[1]) => requireRole(deps.config.tokens, least);

  const assertSound = async (spec: MigrationSpec) => {
    const issues = await specIssues(spec, deps.blueVersion);
    if (issues.length) throw new HttpError(400, `invalid migration spec (${issues.length} problem${issues.length > 1 ? 's' : ''})`, { errors: issues });
  };

  /** What the caller needs to know about a migration that refused a request. */
  const refusal = async (status: number, id: string, message: string) => {
    const state = await reader.state(id).catch(() => ({ id }));
    return new HttpError(status, message, { ...state, links: reader.links(id) });
  };

  /** Sends an Update; a refusal answers 409 (403 for self-approval) with the migration's state, an unknown ID 404. */
  const update = async <Ret>(id: string, send: (handle: WorkflowHandle) => Promise<Ret>): Promise<Ret> => {
    const handle: WorkflowHandle = client.workflow.getHandle(id);
    try {
      return await send(handle);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw await refusal(err.cause.type === REJECTION.selfApproval ? 403 : 409, id, err.cause.message);
      }
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Updates reach only running workflows: a closed one has ended, an unknown one 404s here.
      const state = await reader.state(id);
      throw new HttpError(409, `migration ${id} has ended (${state.workflowStatus}, phase ${state.phase ?? 'unknown'})`, { ...state, links: reader.links(id) });
    }
  };

  app.post(
    '/v1/plans',
    {
      onRequest: role('viewer'),
      schema: {
        tags: TAGS,
        operationId: 'planMigration',
        summary: 'Validate a spec and show its plan without starting it',
        body: SpecBody,
        response: { 200: PlanBody, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      await assertSound(request.body);
      const id = migrationId(request.body);
      const { decommission, ...plan } = buildPlan(resolveSpec(request.body));
      return {
        id,
        plan: { ...plan, decommission: { removeRouting: decommission.removeRouting, ...(decommission.deleteBlueCluster ? { deleteBlueCluster: decommission.deleteBlueCluster } : {}) } },
        links: reader.links(id),
      };
    },
  );

  app.post(
    '/v1/migrations',
    {
      onRequest: role('operator'),
      schema: {
        tags: TAGS,
        operationId: 'startMigration',
        summary: 'Start a migration',
        description: 'One migration per blue cluster at a time: the ID is migration-<region>-<blue>.',
        body: SpecBody,
        response: { 201: StartedBody, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const spec = request.body;
      await assertSound(spec);
      const id = migrationId(spec);
      const by = principalOf(request).subject;
      try {
        await client.workflow.start<typeof migration>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: id,
          args: [{ spec, startedBy: by }],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.phase, value: 'preflight' },
            { key: SEARCH_ATTRIBUTES.blue, value: spec.blue.cluster },
            { key: SEARCH_ATTRIBUTES.green, value: spec.green.cluster },
            { key: SEARCH_ATTRIBUTES.targetVersion, value: spec.green.kubernetesVersion },
          ],
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw await refusal(409, id, `a migration of blue cluster ${spec.blue.cluster} is already running: ${id}`);
        }
        // Temporal's own limits (sizes of IDs and search attributes): the request's fault, said plainly.
        const cause = (err as { cause?: unknown }).cause;
        if (isGrpcServiceError(cause) && cause.code === GRPC_INVALID_ARGUMENT) {
          throw new HttpError(400, 'Temporal refused this migration', { errors: [{ path: '/', message: cause.details }] });
        }
        throw err;
      }
      request.log.info({ migration: id, by }, 'migration started');
      return reply.code(201).send({ id, links: reader.links(id) });
    },
  );

  app.get(
    '/v1/migrations',
    {
      onRequest: role('viewer'),
      schema: {
        tags: TAGS,
        operationId: 'listMigrations',
        summary: 'List migrations (newest first) from Temporal visibility',
        description: 'Visibility is eventually consistent: a migration shows up, and its phase changes, within about a second.',
        querystring: ListQuery,
        response: { 200: ListBody, ...errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      // Values are enums or match a strict pattern (schemas.ts), so quoting them is safe.
      const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
      if (q.phase) clauses.push(`${SEARCH_ATTRIBUTES.phase.name} = '${q.phase}'`);
      if (q.blue) clauses.push(`${SEARCH_ATTRIBUTES.blue.name} = '${q.blue}'`);
      if (q.status) clauses.push(`ExecutionStatus = '${WORKFLOW_STATUSES[q.status as keyof typeof WORKFLOW_STATUSES] ?? q.status}'`);
      const query = clauses.join(' AND ');
      const nextPageToken = q.cursor ? openCursor(q.cursor, query) : undefined;
      let page;
      try {
        page = await client.withDeadline(Date.now() + LIST_TIMEOUT_MS, () =>
          client.workflowService.listWorkflowExecutions({ namespace, query, pageSize: q.pageSize ?? 20, nextPageToken }),
        );
      } catch (err) {
        // A cursor that passed its checksum but that Temporal no longer accepts (e.g. a restarted server).
        if (nextPageToken && isGrpcServiceError(err) && (err.code === GRPC_INVALID_ARGUMENT || err.code === GRPC_UNKNOWN)) throw badCursor();
        throw err;
      }
      const migrations = (page.executions ?? []).map((e) => {
        const attrs = e.searchAttributes?.indexedFields ?? {};
        const read = (key: string): string | undefined => {
          const data = attrs[key]?.data;
          try {
            return data ? String(JSON.parse(Buffer.from(data).toString('utf8'))) : undefined;
          } catch {
            return undefined;
          }
        };
        const id = e.execution?.workflowId ?? '';
        return {
          id,
          phase: read(SEARCH_ATTRIBUTES.phase.name),
          blue: read(SEARCH_ATTRIBUTES.blue.name),
          green: read(SEARCH_ATTRIBUTES.green.name),
          targetVersion: read(SEARCH_ATTRIBUTES.targetVersion.name),
          workflowStatus: STATUS_NAMES[Number(e.status)] ?? 'UNKNOWN',
          startTime: optionalTsToDate(e.startTime)?.toISOString(),
          closeTime: optionalTsToDate(e.closeTime)?.toISOString(),
          links: reader.links(id),
        };
      });
      const next = page.nextPageToken?.length ? sealCursor(page.nextPageToken, query) : undefined;
      return { migrations, ...(next ? { nextCursor: next } : {}) };
    },
  );

  app.get(
    '/v1/migrations/:id',
    {
      onRequest: role('viewer'),
      schema: {
        tags: TAGS,
        operationId: 'getMigration',
        summary: 'Status of a migration: phase, weights, step, pending gate, findings, timers, health, recent audit events',
        params: IdParams,
        response: { 200: StatusBody, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => reader.status(request.params.id),
  );

  app.post(
    '/v1/migrations/:id/approvals',
    {
      onRequest: role('approver'),
      schema: {
        tags: TAGS,
        operationId: 'decideGate',
        summary: 'Approve or reject a pending gate',
        description: '409 when that gate is not pending; 403 when the starter approves and the spec asks for a distinct approver.',
        params: IdParams,
        body: ApprovalBody,
        response: { 200: ApprovedBody, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { gate, decision, comment } = request.body;
      const { id } = request.params;
      const actor = principalOf(request).subject;
      const result = await update(id, (h) => h.executeUpdate(approveUpdate, { args: [{ gate: gate as GateName, decision, comment, actor }] }));
      request.log.info({ migration: id, gate, decision, by: actor }, 'gate decided');
      return { ...result, links: reader.links(id) };
    },
  );

  app.post(
    '/v1/migrations/:id/rollback',
    {
      onRequest: role('operator'),
      schema: {
        tags: TAGS,
        operationId: 'rollBack',
        summary: 'Put all traffic back on blue',
        description: '202 once accepted; with ?wait=true, 200 only once blue carries 100 % again. 409 when there is nothing to roll back.',
        params: IdParams,
        querystring: RollbackQuery,
        body: RollbackBody,
        response: { 200: RollbackDone, 202: RollbackAccepted, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const wait = request.query.wait === true;
      const actor = principalOf(request).subject;
      const result = await update(id, (h) => h.executeUpdate(rollbackUpdate, { args: [{ reason: request.body.reason, actor, wait }] }));
      request.log.info({ migration: id, by: actor, wait }, 'rollback requested');
      if (!wait) return reply.code(202).send({ accepted: result.accepted, links: reader.links(id) });
      return reply.code(200).send({ accepted: result.accepted, weights: result.weights!, links: reader.links(id) });
    },
  );

  const actions: [string, UpdateDefinition<void, [ActorRequest]>, string][] = [
    ['pause', pauseUpdate, 'Hold progression at the next boundary (timers keep counting); 409 when already paused or ended'],
    ['resume', resumeUpdate, 'Resume a paused migration; 409 when not paused'],
    ['retry', retryUpdate, 'After a rollback: validate again and wait for cutover; 409 unless rolled back'],
    ['abort', abortUpdate, 'After a rollback: end the migration, traffic stays on blue; 409 unless rolled back'],
    ['cancel', cancelUpdate, 'Stop and compensate: traffic to blue, green deleted if created here and the spec says so'],
  ];
  for (const [action, def, summary] of actions) {
    app.post(
      `/v1/migrations/:id/${action}`,
      {
        onRequest: role('operator'),
        // The body is optional: `curl -X POST …/pause` with nothing else must work.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags: TAGS,
          operationId: `${action}Migration`,
          summary,
          params: IdParams,
          body: ReasonBody,
          response: { 200: ActionBody, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const actor = principalOf(request).subject;
        await update(id, (h) => h.executeUpdate(def, { args: [{ actor, reason: request.body?.reason }] }));
        request.log.info({ migration: id, by: actor, action }, `${action} accepted`);
        return { ok: true, links: reader.links(id) };
      },
    );
  }

  await registerEventRoutes(app, ctx, role('viewer'));
}

// temporal.api.enums.v1.WorkflowExecutionStatus, named as describe() names them.
const STATUS_NAMES: Record<number, keyof typeof WORKFLOW_STATUSES> = {
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
};
