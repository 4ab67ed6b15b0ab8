// GET /v1/migrations/{id}/events: Server-Sent Events that follow a migration live.
// The API polls the workflow's status Query and sends `status` whenever it changed, a
// comment as heartbeat so proxies keep the connection open, and `end` once the run has
// closed. The stream stops when the client goes away or the server shuts down.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DEFAULT_EVENTS_POLL_MS } from '../config.js';
import { DEFAULT_HEARTBEAT_S, EVENTS_RETRY_MS, SERVER_EVENTS, type EndEvent, type ServerEventName, type UnavailableEvent } from '../event-stream.js';
import { errors, EventsQuery, StreamIdParams, TAGS, type StatusBody } from '../schemas.js';

export interface EventRoutesOptions {
  /** How often a stream asks the migration for its status. */
  pollMs?: number;
}

/** One event of the stream (OpenAPI 3.0 reads a text/event-stream schema as one event's). */
const ServerEventSchema = {
  type: 'object',
  required: ['event', 'data'],
  properties: {
    event: { type: 'string', enum: [...SERVER_EVENTS] },
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

const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { pollMs = DEFAULT_EVENTS_POLL_MS }) => {
  const reader = app.migrations;
  // A stream lasts as long as its migration: closing the app ends open ones first.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });

  app.get(
    '/migrations/:id/events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: [TAGS.migrations],
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
      const send = (event: ServerEventName, data: unknown) => {
        if (!res.writableEnded) res.write(`event: ${event}\nid: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
      }, (request.query.heartbeat ?? DEFAULT_HEARTBEAT_S) * 1000);

      res.write(`retry: ${EVENTS_RETRY_MS}\n\n`);
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
            send('end', { workflowStatus: status.workflowStatus, phase: status.phase } satisfies EndEvent);
            break;
          }
          await sleep(pollMs, undefined, { signal: stop.signal });
          try {
            status = await reader.status(id, stop.signal);
            unavailable = false;
          } catch (err) {
            if (stop.signal.aborted) break;
            if (err instanceof WorkflowNotFoundError) {
              send('end', { workflowStatus: 'UNKNOWN', phase: status.phase, message: 'the migration is no longer known to Temporal' } satisfies EndEvent);
              break;
            }
            if (!unavailable) {
              request.log.warn({ err, migration: id }, 'events: status unavailable');
              send('unavailable', { message: 'status cannot be read right now; retrying' } satisfies UnavailableEvent);
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
};

export default eventRoutes;
