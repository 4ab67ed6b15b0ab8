// The API says what it knows when no worker polls the task queue: a status Query nobody
// answers is a 503 naming the task queue (not a 500), a decision is not sent and answers 503,
// and /readyz reports the pollers — 503 with none, 200 once a worker polls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { sandboxApiConfig } from '../../api/config.js';
import { createCutoverWorker } from '../../worker/worker.js';
import { auth, eventually, realActivities, seededSpec, stack, uniqueName } from '../helpers.js';
import { connectClient } from '../../config/connections.js';

const taskQueue = uniqueName('tq-unpolled');
let connection: Connection;
let client: Client;
let app: FastifyInstance;
beforeAll(async () => {
  connection = await connectClient({ address: stack().temporalAddress });
  client = new Client({ connection });
  // Short waits: nobody will answer on this task queue until the last test starts a worker.
  const config = sandboxApiConfig(stack().temporalAddress, 'http://ui.test', { queryTimeoutMs: 1_000, acceptTimeoutMs: 2_000 });
  app = await buildApp({ config, temporal: client, taskQueue });
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: auth('dev-viewer') });
const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: auth('dev-approver-1'), payload });

describe('with no worker polling the task queue', () => {
  let id: string;
  beforeAll(async () => {
    const { spec } = await seededSpec();
    const started = await app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    id = started.json().id;
  });

  it("a migration's status is a 503 that names the task queue nobody polls", async () => {
    const res = await get(`/v1/migrations/${id}`);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toMatchObject({
      error: 'Service Unavailable',
      message: expect.stringContaining(`no worker is polling task queue ${taskQueue}`),
      workers: { taskQueue, workflowPollers: 0, activityPollers: 0 },
    });
  });

  it('a decision is a 503 and is not sent; an unknown migration is still a 404', async () => {
    const approve = await post(`/v1/migrations/${id}/approvals`, { gate: 'cutover', decision: 'approve' });
    expect(approve.statusCode, approve.body).toBe(503);
    expect(approve.json().message).toContain(`no worker is polling task queue ${taskQueue}: the approve cutover request needs one`);
    const rollback = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/rollback`, headers: auth('dev-operator'), payload: { reason: 'test' } });
    expect(rollback.statusCode, rollback.body).toBe(503);
    const unknown = await post('/v1/migrations/migration-us-east-1-nobody/approvals', { gate: 'cutover', decision: 'approve' });
    expect(unknown.statusCode, unknown.body).toBe(404);
  });

  it('/readyz is a 503 reporting no pollers, and a 200 once a worker polls; the status then answers', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(503);
    expect(ready.json()).toMatchObject({
      message: `no worker is polling task queue ${taskQueue} for workflow tasks`,
      temporal: 'connected',
      workers: { taskQueue, workflowPollers: 0, activityPollers: 0 },
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    const native = await NativeConnection.connect({ address: stack().temporalAddress });
    const worker = await createCutoverWorker({ connection: native, taskQueue, activities: realActivities(), workflowBundle: { codePath: stack().workflowBundlePath } });
    const running = worker.run();
    try {
      const polled = await eventually(
        () => app.inject({ method: 'GET', url: '/readyz' }),
        (r) => r.statusCode === 200,
      );
      expect(polled.json()).toEqual({ ok: true, temporal: 'connected', workers: { taskQueue, workflowPollers: expect.any(Number), activityPollers: expect.any(Number) } });
      expect(polled.json().workers.workflowPollers).toBeGreaterThan(0);
      expect(polled.json().workers.activityPollers).toBeGreaterThan(0);
      const status = await eventually(
        () => get(`/v1/migrations/${id}`),
        (r) => r.statusCode === 200,
      );
      expect(status.json()).toMatchObject({ phase: expect.any(String), workflowStatus: 'RUNNING' });
    } finally {
      await client.workflow.getHandle(id).terminate('test over');
      worker.shutdown();
      await running;
      await native.close();
    }
  });
});
