// What people decide about a running migration: approve or reject a gate, roll back, pause,
// resume, retry, abort, cancel. Each is a Workflow Update whose validator decides whether it
// applies now, so the API never second-guesses a migration's state; a refusal is answered
// with the state the migration is in.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
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
} from '../../workflows/messages.js';
import { HttpError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
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

const decisionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { temporal: client, migrations: reader } = app;

  /** Sends an Update; a refusal answers 409 (403 for self-approval) with the migration's state, an unknown ID 404. */
  const update = async <Ret>(id: string, send: (handle: WorkflowHandle) => Promise<Ret>): Promise<Ret> => {
    try {
      return await send(client.workflow.getHandle(id));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw await reader.refusal(err.cause.type === REJECTION.selfApproval ? 403 : 409, id, err.cause.message);
      }
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Updates reach only running workflows: a closed one has ended, an unknown one 404s here.
      const state = await reader.state(id);
      throw new HttpError(409, `migration ${id} has ended (${state.workflowStatus}, phase ${state.phase ?? 'unknown'})`, { ...state, links: reader.links(id) });
    }
  };

  app.post(
    '/v1/migrations/:id/approvals',
    {
      config: { role: 'approver' },
      schema: {
        tags: [TAGS.migrations],
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
      const result = await update(id, (h) => h.executeUpdate(approveUpdate, { args: [{ gate, decision, comment, actor }] }));
      request.log.info({ migration: id, gate, decision, by: actor }, 'gate decided');
      return { ...result, links: reader.links(id) };
    },
  );

  app.post(
    '/v1/migrations/:id/rollback',
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

  for (const [action, definition, summary] of ACTIONS) {
    app.post(
      `/v1/migrations/:id/${action}`,
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
          response: { 200: ActionBody, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const actor = principalOf(request).subject;
        await update(id, (h) => h.executeUpdate(definition, { args: [{ actor, reason: request.body?.reason }] }));
        request.log.info({ migration: id, by: actor, action }, `${action} accepted`);
        return { ok: true, links: reader.links(id) };
      },
    );
  }
};

export default decisionRoutes;
