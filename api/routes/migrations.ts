// The migrations themselves: start one (POST /v1/migrations), list them from Temporal
// visibility (GET /v1/migrations), and read one's status (GET /v1/migrations/{id}).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { migration } from '../../workflows/migration.js';
import { initialSearchAttributes, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { clusterName, migrationId } from '../../workflows/migration-id.js';
import { startMetadata } from '../../workflows/start-summary.js';
import { fixPlan } from '../../workflows/plan.js';
import { badCursor, openCursor, sealCursor } from '../cursor.js';
import { serverCall } from '../deadlines.js';
import { GRPC, HttpError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { requireRoleIn } from '../scopes.js';
import {
  AuditBody,
  AuditQuery,
  DEFAULT_AUDIT_LIMIT,
  DEFAULT_PAGE_SIZE,
  errors,
  IdParams,
  ListBody,
  ListQuery,
  SpecBody,
  StartedBody,
  StatusBody,
  TAGS,
  WORKFLOW_STATUSES,
} from '../schemas.js';
import { assertSound, type SpecContext } from '../spec-checks.js';
import { isoTime } from '../timestamps.js';

export interface MigrationRoutesOptions {
  /** Task queue workflows are started on. */
  taskQueue: string;
  specContext: SpecContext;
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

const migrationRoutes: FastifyPluginAsyncTypebox<MigrationRoutesOptions> = async (app, { taskQueue, specContext }) => {
  const { temporal: client, migrations: reader } = app;

  app.post(
    '/migrations',
    {
      config: { role: 'operator' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'startMigration',
        summary: 'Start a migration',
        description:
          "One migration per blue cluster at a time: the ID is migration-<region>-<blue>. With team scopes (CUTOVER_TEAMS), a spec's team must be one of them (400) and starting needs operator in it (403).",
        body: SpecBody,
        response: { 201: StartedBody, ...errors(400, 401, 403, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const spec = request.body;
      const by = principalOf(request).subject;
      // A bad spec (an unknown team included) is a 400 before any question of who may start it.
      await assertSound(spec, { ...specContext, starter: by });
      requireRoleIn(request, spec.team, 'operator', spec.team ? `starting a migration of team ${spec.team}` : 'this spec');
      const id = migrationId(spec);
      const fixed = fixPlan(spec, specContext.policies);
      try {
        await serverCall(client, () =>
          client.workflow.start<typeof migration>(WORKFLOW_TYPE, {
            taskQueue,
            workflowId: id,
            // The plan is fixed here, once: the run keeps it whatever later worker builds default to.
            args: [{ spec, fixed, startedBy: by }],
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: initialSearchAttributes(spec),
            ...startMetadata(fixed.spec, id),
          }),
        );
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw await reader.refusal(409, id, `a migration of blue cluster ${clusterName(spec.blue)} is already running: ${id}`);
        }
        // Temporal's own limits (sizes of IDs and search attributes): the request's fault, said plainly.
        const cause = (err as { cause?: unknown }).cause;
        if (isGrpcServiceError(cause) && cause.code === GRPC.INVALID_ARGUMENT) {
          throw new HttpError(400, 'Temporal refused this migration', { errors: [{ path: '/', message: cause.details }] });
        }
        throw err;
      }
      request.log.info({ migration: id, by }, 'migration started');
      return reply.code(201).send({ id, links: reader.links(id) });
    },
  );

  app.get(
    '/migrations',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'listMigrations',
        summary: 'List migrations (newest first) from Temporal visibility',
        description: 'Visibility is eventually consistent: a migration shows up, and its phase changes, within about a second.',
        querystring: ListQuery,
        response: { 200: ListBody, ...errors(400, 401, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      // Values are enums or match a strict pattern (schemas.ts), so quoting them is safe.
      const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
      if (q.phase) clauses.push(`${SEARCH_ATTRIBUTES.phase.name} = '${q.phase}'`);
      if (q.blue) clauses.push(`${SEARCH_ATTRIBUTES.blue.name} = '${q.blue}'`);
      if (q.team) clauses.push(`${SEARCH_ATTRIBUTES.team.name} = '${q.team}'`);
      if (q.status) clauses.push(`ExecutionStatus = '${WORKFLOW_STATUSES[q.status as keyof typeof WORKFLOW_STATUSES] ?? q.status}'`);
      const query = clauses.join(' AND ');
      const nextPageToken = q.cursor ? openCursor(q.cursor, query) : undefined;
      let page;
      try {
        page = await serverCall(client, () =>
          client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, nextPageToken }),
        );
      } catch (err) {
        // A cursor that passed its checksum but that Temporal no longer accepts (e.g. a restarted server).
        if (nextPageToken && isGrpcServiceError(err) && (err.code === GRPC.INVALID_ARGUMENT || err.code === GRPC.UNKNOWN)) throw badCursor();
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
          team: read(SEARCH_ATTRIBUTES.team.name),
          workflowStatus: STATUS_NAMES[Number(e.status)] ?? 'UNKNOWN',
          startTime: isoTime(e.startTime),
          closeTime: isoTime(e.closeTime),
          links: reader.links(id),
        };
      });
      const next = page.nextPageToken?.length ? sealCursor(page.nextPageToken, query) : undefined;
      return { migrations, ...(next ? { nextCursor: next } : {}) };
    },
  );

  app.get(
    '/migrations/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'getMigration',
        summary: 'Status of a migration: phase, weights, step, pending gate, findings, timers, health, recent audit events',
        params: IdParams,
        response: { 200: StatusBody, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => reader.status(request.params.id),
  );

  app.get(
    '/migrations/:id/audit',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'getMigrationAudit',
        summary: "A migration's whole audit, since its start and across continue-as-new, oldest first, a page at a time",
        description: 'Also for a closed migration (read from its result, no worker needed). The status shows only the last 20 entries.',
        params: IdParams,
        querystring: AuditQuery,
        response: { 200: AuditBody, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const limit = request.query.limit ?? DEFAULT_AUDIT_LIMIT;
      // The cursor is the offset of the next entry, sealed to this migration's audit (api/cursor.ts).
      const scope = `audit ${id}`;
      const from = request.query.cursor ? auditOffset(openCursor(request.query.cursor, scope)) : 0;
      const audit = await reader.audit(id);
      const entries = audit.slice(from, from + limit);
      const next = from + limit < audit.length ? sealCursor(Buffer.from(String(from + limit)), scope) : undefined;
      return { id, entries, total: audit.length, ...(next ? { nextCursor: next } : {}), links: reader.links(id) };
    },
  );
};

/** The offset an audit cursor holds. */
function auditOffset(token: Buffer): number {
  const offset = Number(token.toString('utf8'));
  if (!Number.isSafeInteger(offset) || offset < 0) throw badCursor();
  return offset;
}

export default migrationRoutes;
