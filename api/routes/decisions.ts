// What people decide about a running migration: approve or reject a gate, roll back, pause,
// resume, retry, abort, cancel. Each is a Workflow Update whose validator decides whether it
// applies now, so the API never second-guesses a migration's state; a refusal is answered
// with the state the migration is in.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import {
  abortUpdate,
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  REJECTION,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  type ActorRequest,
  type ApprovalRequest,
  type RollbackRequest,
} from '../../workflows/messages.js';
import { byDeadline } from '../deadlines.js';
import { HttpError } from '../errors.js';
import type { MigrationState } from '../migrations.js';
import { principalOf } from '../plugins/auth.js';
import { requireRoleOn } from '../scopes.js';
import {
  ActionBody,
  ApprovalBody,
  ApprovedBody,
  errors,
  IdParams,
  ReasonBody,
  RollbackAccepted,
  RollbackBody,
  RollbackDone,
  RollbackQuery,
  TAGS,
} from '../schemas.js';

const ACTIONS: [string, UpdateDefinition<void, [ActorRequest]>, string][] = [
  ['pause', pauseUpdate, 'Hold progression at the next boundary (timers keep counting); 409 when already paused or ended'],
  ['resume', resumeUpdate, 'Resume a paused migration; 409 when not paused'],
  ['retry', retryUpdate, 'After a rollback: validate again and wait for cutover; 409 unless rolled back'],
  ['abort', abortUpdate, 'After a rollback: end the migration, traffic stays on blue; 409 unless rolled back'],
  ['cancel', cancelUpdate, 'Stop and compensate: traffic to blue, green deleted if created here and the spec says so'],
];

export interface DecisionRoutesOptions {
  /** How long a request waits for a worker to accept it before a 503. */
  acceptTimeoutMs: number;
  /** How long rollback?wait=true waits for blue to carry everything before a 202 (the rollback goes on). */
  rollbackWaitMs: number;
}

/** Said with a 503 for a request Temporal holds: an Update a worker has not yet accepted is delivered once one does. */
const MAY_STILL_APPLY = ' (the request may still apply once a worker takes it up: check the status before sending it again)';

/** An accepted request whose outcome did not come within its wait: it goes on in the migration. */
class OutcomePending extends HttpError {}

const decisionRoutes: FastifyPluginAsyncTypebox<DecisionRoutesOptions> = async (app, { acceptTimeoutMs, rollbackWaitMs }) => {
  const { temporal: client, migrations: reader, workers } = app;

  /**
   * Sends an Update and waits for its result. A worker must accept it within acceptTimeoutMs
   * (503 otherwise, and none is sent while no worker polls at all); a refusal answers 409 (403 for
   * self-approval) with the migration's state, an unknown ID 404, an ended migration 409. Once
   * accepted, its outcome is waited for up to `outcomeWaitMs` (OutcomePending, a 503, past it).
   */
  const update = async <Ret, Args extends [ActorRequest | ApprovalRequest | RollbackRequest]>(
    id: string,
    name: string,
    definition: UpdateDefinition<Ret, Args>,
    args: Args,
    outcomeWaitMs = acceptTimeoutMs,
    /** The caller's role on the migration (requireRoleOn), checked beside the worker lookup so it adds no round trip. */
    authorized: Promise<void> = Promise.resolve(),
  ): Promise<Ret> => {
    const what = `the ${name} request`;
    const [seen] = await Promise.all([workers.pollers().catch(() => undefined), authorized]);
    // No worker at all. Not "no workflow poller" alone: right after Temporal restarts, a worker
    // that serves the run (on its sticky queue) may not have polled the queue again yet.
    if (seen?.workflowPollers === 0 && seen.activityPollers === 0) {
      // 404 for an unknown migration and 409 for an ended one need no worker.
      throw endedError(id, await reader.state(id)) ?? workers.noWorker(what, seen);
    }
    let waitEnds = Date.now() + acceptTimeoutMs;
    let accepted = false;
    try {
      const handle = client.workflow.getHandle(id);
      const started = await byDeadline(client, waitEnds, () => handle.startUpdate(definition, { args, waitForStage: WorkflowUpdateStage.ACCEPTED }));
      accepted = true;
      // Accepted Updates are durable and apply. Most answer with their acceptance; a rollback
      // with ?wait=true answers once blue carries everything again.
      waitEnds = Date.now() + outcomeWaitMs;
      return await byDeadline(client, waitEnds, () => started.result());
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw await reader.refusal(err.cause.type === REJECTION.selfApproval ? 403 : 409, id, err.cause.message);
      }
      if (Date.now() >= waitEnds) {
        if (!accepted) throw await workers.unanswered(what, acceptTimeoutMs, MAY_STILL_APPLY, seen !== undefined);
        const message = `migration ${id} accepted ${what}, and it goes on; its outcome did not come within ${outcomeWaitMs / 1000} s: follow the migration's status`;
        throw new OutcomePending(503, message, { links: reader.links(id) }, { 'retry-after': '5' });
      }
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Updates reach only running workflows: a closed one has ended, an unknown one 404s here.
      throw endedError(id, await reader.state(id)) ?? err;
    }
  };

  /** The 409 for a migration that has ended; nothing for a running one. */
  const endedError = (id: string, state: MigrationState): HttpError | undefined =>
    state.workflowStatus === 'RUNNING'
      ? undefined
      : new HttpError(409, `migration ${id} has ended (${state.workflowStatus}, phase ${state.phase ?? 'unknown'})`, { ...state, links: reader.links(id) });

  app.post(
    '/migrations/:id/approvals',
    {
      config: { role: 'approver' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'decideGate',
        summary: 'Approve or reject a pending gate',
        description: "409 when that gate is not pending; 403 when the starter approves and the spec asks for a distinct approver, or when the migration's team gives the caller no approver role.",
        params: IdParams,
        body: ApprovalBody,
        response: { 200: ApprovedBody, ...errors(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request) => {
      const { gate, decision, comment } = request.body;
      const { id } = request.params;
      const actor = principalOf(request).subject;
      const result = await update(id, `${decision} ${gate}`, approveUpdate, [{ gate, decision, comment, actor }], undefined, requireRoleOn(request, id));
      request.log.info({ migration: id, gate, decision, by: actor }, 'gate decided');
      return { ...result, links: reader.links(id) };
    },
  );

  app.post(
    '/migrations/:id/rollback',
    {
      config: { role: 'operator' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'rollBack',
        summary: 'Put all traffic back on blue',
        description: '202 once accepted; with ?wait=true, 200 only once blue carries 100 % again. 409 when there is nothing to roll back.',
        params: IdParams,
        querystring: RollbackQuery,
        body: RollbackBody,
        response: { 200: RollbackDone, 202: RollbackAccepted, ...errors(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const wait = request.query.wait === true;
      const actor = principalOf(request).subject;
      let weights;
      try {
        const authorized = requireRoleOn(request, id);
        ({ weights } = await update(id, 'rollback', rollbackUpdate, [{ reason: request.body.reason, actor, wait }], wait ? rollbackWaitMs : acceptTimeoutMs, authorized));
      } catch (err) {
        // Accepted, and it goes on, but its outcome did not come within the wait.
        if (!(err instanceof OutcomePending)) throw err;
      }
      request.log.info({ migration: id, by: actor, wait, blueBack: !!weights }, 'rollback requested');
      if (!wait) return reply.code(202).send({ accepted: true, links: reader.links(id) });
      if (weights) return reply.code(200).send({ accepted: true, weights, links: reader.links(id) });
      // Blue does not carry everything yet (Route 53 or the load balancer keeps failing): say so.
      const message = `rollback accepted, but blue did not carry all traffic within ${rollbackWaitMs / 1000} s; it goes on (a write that keeps failing is retried): follow the migration's status`;
      return reply.code(202).send({ accepted: true, message, links: reader.links(id) });
    },
  );

  for (const [action, definition, summary] of ACTIONS) {
    app.post(
      `/migrations/:id/${action}`,
      {
        config: { role: 'operator' },
        // The body is optional: `curl -X POST …/pause` with nothing else must work.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags: [TAGS.migrations],
          operationId: `${action}Migration`,
          summary,
          params: IdParams,
          body: ReasonBody,
          response: { 200: ActionBody, ...errors(400, 401, 403, 404, 409, 413, 503) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const actor = principalOf(request).subject;
        await update(id, action, definition, [{ actor, reason: request.body?.reason }], undefined, requireRoleOn(request, id));
        request.log.info({ migration: id, by: actor, action }, `${action} accepted`);
        return { ok: true, links: reader.links(id) };
      },
    );
  }
};

export default decisionRoutes;
