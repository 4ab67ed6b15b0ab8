// GET /v1/migrations/{id}/events: Server-Sent Events that follow a migration live.
// The API polls the workflow's status Query and sends `status` whenever it changed, a
// comment as heartbeat so proxies keep the connection open, and `end` once the run has
// closed. The stream stops when the client goes away or the server shuts down.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RouteContext } from './routes.js';
import { errors, EventsQuery, StreamIdParams, type StatusBody } from './schemas.js';

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_HEARTBEAT_S = 15;

/** One event of the stream (OpenAPI 3.0 reads a text/event-stream schema as one event's). */
const ServerEventSchema = {
  type: 'object',
  required: ['event', 'data'],
  properties: {
    event: { type: 'string', enum: ['status', 'unavailable', 'end'] },
    data: { type: 'string', description: 'JSON; for status the same body as GET /v1/migrations/{id}' },
    id: { type: 'string', description: 'ascending per stream' },
    retry: { type: 'integer', description: 'reconnect delay in ms' },
  },
};

const EVENTS_DESCRIPTION = [
  'A text/event-stream. Events:',
  '`status` (data: the same JSON as GET /v1/migrations/{id}), sent first and on every change;',
  '`unavailable` (data: {message}) while the status cannot be read, followed by `status` once it can;',
  '`end` (data: {workflowStatus, phase}) once the run has closed, then the stream ends.',
  'Lines starting with ":" are heartbeats.',
].join(' ');

export async function registerEventRoutes(appBase: FastifyInstance, ctx: RouteContext, viewer: onRequestHookHandler): Promise<void> {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const { reader, streams } = ctx;
  const pollMs = ctx.deps.config.eventsPollMs ?? DEFAULT_POLL_MS;

  app.get(
    '/v1/migrations/:id/events',
    {
      onRequest: viewer,
      schema: {
        tags: ['migrations'],
        operationId: 'followMigration',
        summary: 'Follow a migration live (Server-Sent Events)',
        description: EVENTS_DESCRIPTION,
        params: StreamIdParams,
        querystring: EventsQuery,
        produces: ['text/event-stream'],
        response: {
          200: { description: EVENTS_DESCRIPTION, content: { 'text/event-stream': { schema: ServerEventSchema } } },
          ...errors(400, 401, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Read once before streaming, so an unknown ID or an unreachable worker is a plain JSON error.
      let status: StatusBody = await reader.status(id);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: do not buffer the stream
        'x-request-id': request.id,
      });
      const stop = new AbortController();
      const close = () => stop.abort();
      streams.add(close);
      request.raw.once('close', close);
      res.once('close', close);

      let seq = 0;
      const send = (event: string, data: unknown) => {
        if (!res.writableEnded) res.write(`event: ${event}\nid: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
      }, (request.query.heartbeat ?? DEFAULT_HEARTBEAT_S) * 1000);

      res.write('retry: 3000\n\n');
      let last = '';
      let unavailable = false;
      try {
        for (;;) {
          const json = JSON.stringify(status);
          if (json !== last) {
            send('status', status);
            last = json;
          }
          if (status.workflowStatus !== 'RUNNING') {
            send('end', { workflowStatus: status.workflowStatus, phase: status.phase });
            break;
          }
          await sleep(pollMs, undefined, { signal: stop.signal });
          try {
            status = await reader.status(id, stop.signal);
            unavailable = false;
          } catch (err) {
            if (stop.signal.aborted) break;
            if (err instanceof WorkflowNotFoundError) {
              send('end', { workflowStatus: 'UNKNOWN', phase: status.phase, message: 'the migration is no longer known to Temporal' });
              break;
            }
            if (!unavailable) {
              request.log.warn({ err, migration: id }, 'events: status unavailable');
              send('unavailable', { message: 'status cannot be read right now; retrying' });
              unavailable = true;
            }
          }
        }
      } catch (err) {
        if (!stop.signal.aborted) request.log.error({ err, migration: id }, 'events stream failed');
      } finally {
        clearInterval(heartbeat);
        streams.delete(close);
        if (!res.writableEnded) res.end();
      }
      return reply;
    },
  );
}
