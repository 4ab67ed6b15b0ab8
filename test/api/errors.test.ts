// The cross-cutting contract of the app factory: one error body everywhere, request IDs in
// header and body, 5xx answers that hide internals while the log keeps them, readiness
// tied to Temporal, and an OpenAPI document that covers every answer.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { parseTokens, SANDBOX_TOKENS } from '../../api/config.js';
import { freePort } from '../../scripts/stack/processes.js';
import { auth, stack, uniqueName } from '../helpers.js';
import { connectClient } from '../../config/connections.js';

const config = (address: string) => ({
  host: '127.0.0.1',
  port: 0,
  tokens: parseTokens('test tokens', SANDBOX_TOKENS),
  temporal: { connection: { address }, namespace: 'default', uiUrl: 'http://ui.test' },
});

async function appWith(temporal: Client) {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // A task queue of its own: no worker polls it, whatever else runs against the dev server.
  const app = await buildApp({ config: config(stack().temporalAddress), temporal, taskQueue: uniqueName('tq-nobody'), logger: { level: 'info', stream } });
  return { app, logs };
}

let connection: Connection;
let app: FastifyInstance;
let logs: string[];
beforeAll(async () => {
  connection = await connectClient({ address: stack().temporalAddress });
  ({ app, logs } = await appWith(new Client({ connection })));
  // A route that fails the way a bug would, with a secret in its message.
  app.get('/test/boom', async () => {
    throw new Error('db password is hunter2 at 10.1.2.3');
  });
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
});

describe('request IDs', () => {
  it('are on every answer, as header and in error bodies', async () => {
    const ok = await app.inject({ method: 'GET', url: '/v1/migrations', headers: auth('dev-viewer') });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const res of [
      await app.inject({ method: 'GET', url: '/v1/migrations' }),
      await app.inject({ method: 'GET', url: '/no/such/route' }),
      await app.inject({ method: 'GET', url: '/v1/migrations?pageSize=1000', headers: auth('dev-viewer') }),
    ]) {
      expect(res.json().requestId).toBe(res.headers['x-request-id']);
    }
  });

  it("keep a caller's own well-formed x-request-id and replace a malformed one", async () => {
    const kept = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42.a' } });
    expect(kept.headers['x-request-id']).toBe('trace-42.a');
    const replaced = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'evil\nline' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('error bodies', () => {
  it('500 says nothing about internals; the log has them under the same request ID', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'requestId']);
    expect(res.body).not.toMatch(/hunter2|10\.1\.2\.3|at .*\.ts/);
    expect(body.requestId).toBe(res.headers['x-request-id']);
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.reqId === body.requestId && l.level === 50);
    expect(line?.err?.message).toContain('hunter2');
  });

  it('a body that is not JSON, or the wrong media type, is a 400/415 with the same shape', async () => {
    const bad = await app.inject({ method: 'POST', url: '/v1/plans', headers: { ...auth('dev-viewer'), 'content-type': 'application/json' }, payload: '{"region": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'Bad Request', requestId: bad.headers['x-request-id'], errors: [{ path: '/', message: expect.any(String) }] });
    const xml = await app.inject({ method: 'POST', url: '/v1/plans', headers: { ...auth('dev-viewer'), 'content-type': 'application/xml' }, payload: '<spec/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: 'Unsupported Media Type', requestId: xml.headers['x-request-id'] });
  });

  it('an unknown route is a 404 with the same shape', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/migrations/x' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not Found', message: 'no route DELETE /v1/migrations/x', requestId: res.headers['x-request-id'] });
  });
});

describe('when Temporal is unreachable', () => {
  it('readiness fails and requests get 503 with a request ID and no addresses', async () => {
    const deadPort = await freePort();
    const lazy = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
    const { app: cut } = await appWith(new Client({ connection: lazy }));
    try {
      expect((await cut.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await cut.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.body).not.toContain(String(deadPort));

      const list = await cut.inject({ method: 'GET', url: '/v1/migrations', headers: auth('dev-viewer') });
      expect(list.statusCode).toBe(503);
      expect(list.headers['retry-after']).toBeDefined();
      expect(list.json()).toMatchObject({ error: 'Service Unavailable', requestId: list.headers['x-request-id'] });
      expect(list.body).not.toContain(String(deadPort));
    } finally {
      await cut.close();
      await lazy.close();
    }
  });

  it('readiness reaches the real dev server, and fails while no worker polls the task queue', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ temporal: 'connected', workers: { taskQueue: expect.any(String), workflowPollers: 0, activityPollers: 0 } });
  });
});

describe('graceful shutdown', () => {
  it('fails readiness once closing begins', async () => {
    const own = await connectClient({ address: stack().temporalAddress });
    const { app: closing } = await appWith(new Client({ connection: own }));
    let url = '';
    // Without a worker readiness fails anyway; that it stops asking Temporal shows it is closing.
    let seenDuringClose: { status: number; temporal?: string } | undefined;
    closing.addHook('preClose', async () => {
      const res = await fetch(`${url}/readyz`);
      seenDuringClose = { status: res.status, temporal: ((await res.json()) as { temporal?: string }).temporal };
    });
    await closing.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(closing.server.address() as { port: number }).port}`;
    await expect((await fetch(`${url}/readyz`)).json()).resolves.toMatchObject({ temporal: 'connected' });
    await closing.close();
    await own.close();
    expect(seenDuringClose).toEqual({ status: 503, temporal: undefined });
  });
});

describe('the Temporal connection', () => {
  it('is opened by an app given only its config, and closed with it', async () => {
    const own = await buildApp({ config: config(stack().temporalAddress) });
    expect((await own.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ temporal: 'connected' });
    const client = own.temporal;
    await own.close();
    await expect(client.workflowService.getSystemInfo({})).rejects.toThrow();
  });
});

describe('/openapi.json', () => {
  it('documents every answer of every /v1 route with a schema and a meaning', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { description: string; content?: object }> }>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    const v1 = operations.filter((o) => o.path.startsWith('/v1/'));
    expect(v1.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      [
        'GET /v1/migrations',
        'GET /v1/migrations/{id}',
        'GET /v1/migrations/{id}/audit',
        'GET /v1/migrations/{id}/events',
        'POST /v1/migrations',
        'POST /v1/migrations/{id}/abort',
        'POST /v1/migrations/{id}/approvals',
        'POST /v1/migrations/{id}/cancel',
        'POST /v1/migrations/{id}/keep-blue',
        'POST /v1/migrations/{id}/pause',
        'POST /v1/migrations/{id}/promote',
        'POST /v1/migrations/{id}/resume',
        'POST /v1/migrations/{id}/retry',
        'POST /v1/migrations/{id}/rollback',
        'POST /v1/migrations/{id}/step-back',
        'POST /v1/plans',
      ].sort(),
    );
    for (const { path, method, op } of v1) {
      expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
      for (const [code, response] of Object.entries(op.responses)) {
        expect(response.content, `${method} ${path} ${code}`).toBeDefined();
        expect(response.description, `${method} ${path} ${code}`).not.toBe('Default Response');
      }
    }
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});
