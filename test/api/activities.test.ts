// Nothing hangs unseen: an activity that keeps failing shows in the status (and its events)
// with its attempt and last error, and its migration's channel hears of it once; with the worker
// gone, a running migration's status is a 503 naming the task queue, and a closed one's reads
// from what the run left behind.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { buildApp } from '../../api/app.js';
import { sandboxApiConfig } from '../../api/config.js';
import type { ActivityStatus, StatusBody } from '../../api/schemas.js';
import { connectClient } from '../../config/connections.js';
import { createCutoverWorker } from '../../worker/worker.js';
import { auth, eventually, realActivities, recordingWebhook, seededSpec, stack, startHarness, uniqueName, type Harness, type RecordedNotification } from '../helpers.js';
import { followEvents } from '../faults/support.js';
import { call, startAtCutover } from './support.js';

/** A webhook that records what it is sent. */
/** An AWS endpoint where nothing listens: every call is refused, and retried. */
async function unreachableEndpoint(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

const retried = (s: StatusBody, activity: string, atLeast: number): ActivityStatus | undefined =>
  s.activities.find((a) => a.activity === activity && a.attempt >= atLeast);

describe('an activity that keeps failing (AWS out of reach)', () => {
  let api: Harness;
  let webhook: Awaited<ReturnType<typeof recordingWebhook>>;
  beforeAll(async () => {
    webhook = await recordingWebhook();
    // The API reads blue's version from moto; the worker's activities call an endpoint that refuses them.
    const activities = createActivities({ aws: createAwsClients({ endpoint: await unreachableEndpoint() }), notify: { channels: { 'test-oncall': webhook.url } } });
    api = await startHarness(activities);
  });
  afterAll(async () => {
    await api?.close();
    await webhook?.close();
  });

  it('shows in the status and its events with its attempt, since when and its last error; the channel is told once', async () => {
    const { spec } = await seededSpec({ notify: { channel: 'test-oncall' } });
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const id: string = started.json().id;
    try {
      const stream = await followEvents(api.app, id);
      const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json() as StatusBody);

      const failing = await eventually(status, (s) => !!retried(s, 'preflight', 2)?.lastError);
      expect(failing.phase).toBe('preflight');
      const preflight = retried(failing, 'preflight', 2)!;
      expect(preflight).toMatchObject({ state: expect.stringMatching(/^(scheduled|running|waiting-to-retry)$/), lastError: expect.stringContaining('ECONNREFUSED') });
      // Since the first attempt: before the last failure, and not after it was last retried.
      expect(Date.parse(preflight.since)).toBeLessThan(Date.parse(preflight.lastFailedAt!));
      expect(Date.parse(preflight.since)).toBeGreaterThanOrEqual(Date.parse(started.headers.date as string) - 1000);

      // The stream carries the same list.
      await eventually(
        async () => stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data) as StatusBody),
        (sent) => sent.some((s) => !!retried(s, 'preflight', 2)),
      );
      stream.close();

      // Told once, past the fifth failed attempt: which activity, the attempt, the error.
      const told = (n: RecordedNotification) => n.event === 'retrying' && n.migrationId === id && n.text.includes('preflight');
      await eventually(async () => webhook.received.filter(told), (t) => t.length > 0);
      await eventually(status, (s) => !!retried(s, 'preflight', 7));
      const notices = webhook.received.filter(told);
      expect(notices).toHaveLength(1);
      expect(notices[0].text).toMatch(new RegExp(`^${id}: preflight keeps failing: attempt 5 since .*; last error: .*ECONNREFUSED`));
    } finally {
      await api.client.workflow.getHandle(id).terminate('test over');
    }
  });
});

describe('with the worker gone', () => {
  const taskQueue = uniqueName('tq-gone');
  let connection: Connection;
  let app: FastifyInstance;
  let native: NativeConnection;
  let stopWorker: () => Promise<void>;
  beforeAll(async () => {
    connection = await connectClient({ address: stack().temporalAddress });
    const client = new Client({ connection });
    // A short status wait: a status that needed the (gone) worker would be a quick 503, not a 200.
    app = await buildApp({ config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test', { queryTimeoutMs: 2_000 }), temporal: client, taskQueue });
    native = await NativeConnection.connect({ address: stack().temporalAddress });
    const worker = await createCutoverWorker({ connection: native, taskQueue, activities: realActivities(), workflowBundle: { codePath: stack().workflowBundlePath } });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
    };
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await native?.close();
  });

  const get = (id: string) => app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') });

  it("a closed migration's status reads without it; a running one's is a 503 naming the task queue", async () => {
    const harness = { app } as unknown as Harness;
    const closed = await startAtCutover(harness, (await seededSpec()).spec);
    const running = await startAtCutover(harness, (await seededSpec()).spec);
    try {
      const cancel = await app.inject({ method: 'POST', url: `/v1/migrations/${closed.id}/cancel`, headers: auth('dev-operator'), payload: { reason: 'test' } });
      expect(cancel.statusCode, cancel.body).toBe(200);
      await eventually(closed.status, (s) => s.workflowStatus === 'COMPLETED');
      await stopWorker();

      const final = await get(closed.id);
      expect(final.statusCode, final.body).toBe(200);
      expect(final.json()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 }, workflowStatus: 'COMPLETED', activities: [] });
      expect(final.json().audit.at(-1)).toMatchObject({ action: 'cancel', reason: 'test' });

      // The worker did not answer (503) until Temporal says it has seen none lately; never a 500.
      const unanswered = await eventually(
        () => get(running.id),
        (r) => r.statusCode !== 503 || r.json().message.includes('has seen no worker'),
      );
      expect(unanswered.statusCode, unanswered.body).toBe(503);
      expect(unanswered.headers['retry-after']).toBeDefined();
      expect(unanswered.json().message).toBe(`Temporal has seen no worker poll task queue ${taskQueue} recently: the status query of ${running.id} needs one; start the worker and try again`);
    } finally {
      await new Client({ connection }).workflow.getHandle(running.id).terminate('test over');
    }
  });
});
