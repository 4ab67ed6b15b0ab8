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
  keepBlueUpdate,
  pauseUpdate,
  promoteUpdate,
  refusalStatus,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  stepBackUpdate,
  type ActorRequest,
  type ApprovalRequest,
  type PromoteRequest,
  type RollbackRequest,
  type StepBackRequest,
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
  StepBackBody,
  SteppedBackBody,
  TAGS,
} from '../schemas.js';

const ACTIONS: [string, UpdateDefinition<void, [ActorRequest]>, string][] = [
  ['pause', pauseUpdate, 'Hold progression at the next boundary (timers keep counting); 409 when already paused or ended'],
  ['resume', resumeUpdate, 'Resume a paused migration; 409 when not paused'],
  ['retry', retryUpdate, 'After a rollback: validate again and wait for cutover; 409 unless rolled back'],
  ['abort', abortUpdate, 'After a rollback: end the migration, traffic stays on blue; 409 unless rolled back'],
  ['cancel', cancelUpdate, 'Stop and compensate: traffic to blue, green deleted if created here and the spec says so'],
  ['keep-blue', keepBlueUpdate, "During the last delay before blue is deleted: cancel it and keep blue; the migration goes back to the decommission gate (its approvals cleared), the reason audited. 409 when no last delay runs"],
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
   * (503 otherwise, and none is sent while no worker polls at all); a refusal answers 409 (403
   * when the approval policy refuses the person, 400 for what the migration never had) with the migration's state, an unknown ID 404, an ended migration 409. Once
   * accepted, its outcome is waited for up to `outcomeWaitMs` (OutcomePending, a 503, past it).
   */
  const update = async <Ret, Args extends [ActorRequest | ApprovalRequest | RollbackRequest | StepBackRequest | PromoteRequest]>(
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
        throw await reader.refusal(refusalStatus(err.cause.type), id, err.cause.message);
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
        description:
          "Counts toward the gate's approval policy (k of N, from its groups); one rejection by an eligible person ends the gate. 409 when that gate is not pending or is decided; 403 naming why the policy refuses the person (not in its groups, already approved, started the migration, approved an earlier gate), or when the migration's team gives the caller no approver role.",
        params: IdParams,
        body: ApprovalBody,
        response: { 200: ApprovedBody, ...errors(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request) => {
      const { gate, decision, comment } = request.body;
      const { id } = request.params;
      const { subject: actor, groups = [] } = principalOf(request);
      const result = await update(id, `${decision} ${gate}`, approveUpdate, [{ gate, decision, comment, actor, groups }], undefined, requireRoleOn(request, id));
      request.log.info({ migration: id, gate, decision, by: actor, approvals: result.approvals, required: result.required }, 'gate decided');
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

  app.post(
    '/migrations/:id/step-back',
    {
      config: { role: 'operator' },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'stepBack',
        summary: "Move green back to an earlier step's weight and hold at the next step's gate",
        description:
          "Green goes back to the weight named (one of the plan's steps; default the step before the current one) in one change, like a rollback, then waits at the next step's gate with the reason shown. 400 for a weight the plan never had; 409 outside shifting and baking, or at the first step (roll back instead).",
        params: IdParams,
        body: StepBackBody,
        response: { 200: SteppedBackBody, ...errors(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const actor = principalOf(request).subject;
      const { reason, weight } = request.body;
      const result = await update(id, 'step-back', stepBackUpdate, [{ actor, reason, ...(weight !== undefined && { weight }) }], undefined, requireRoleOn(request, id));
      request.log.info({ migration: id, by: actor, ...result }, 'step-back accepted');
      return { ...result, links: reader.links(id) };
    },
  );

  app.post(
    '/migrations/:id/promote',
    {
      config: { role: 'approver' },
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: [TAGS.migrations],
        operationId: 'promote',
        summary: 'Skip the remaining steps: green to 100 % once the current step has passed its checks',
        description:
          "An approval under the promote policy (default one approver who did not start the migration); others approve with gate promote until it is met. 409 outside shifting or with no step left to skip; 403 naming why the policy refuses the person.",
        params: IdParams,
        body: ReasonBody,
        response: { 200: ApprovedBody, ...errors(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { subject: actor, groups = [] } = principalOf(request);
      const result = await update(id, 'promote', promoteUpdate, [{ actor, groups, ...(request.body?.reason && { reason: request.body.reason }) }], undefined, requireRoleOn(request, id));
      request.log.info({ migration: id, by: actor, approvals: result.approvals, required: result.required }, 'promote approved');
      return { ...result, links: reader.links(id) };
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
          operationId: `${action.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Migration`,
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
