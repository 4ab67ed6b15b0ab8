// The Temporal dev server stopped and started again on the same state file during a bake: the
// bake timer still fires, the decommission gate opens, a rollback puts blue back at 100 % in
// moto, and GET …/events (the API's SSE stream, opened before the restart) says the status is
// unavailable during the outage and streams the status again after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, stack, startApi, uniqueName, type Api } from '../helpers.js';
import {
  cleanup,
  faultSpec,
  followEvents,
  migrationApi,
  OwnTemporal,
  report,
  Route53Sampler,
  seedFaultWorld,
  startMigration,
  WorkerProcess,
} from './support.js';

const STEPS = [50, 100];

const TASK_QUEUE = uniqueName('faults-temporal-restart');

let temporal: OwnTemporal;
let api: Api;

beforeAll(async () => {
  temporal = await OwnTemporal.start();
  // A short query deadline: the events stream says `unavailable` soon after the server stops.
  api = await startApi({ temporalAddress: temporal.address, taskQueue: TASK_QUEUE, config: { queryTimeoutMs: 2_000 } });
});
afterAll(async () => {
  await api?.close();
  await temporal?.stop();
});

describe('Temporal restarted during a bake', () => {
  it('the bake timer fires, the gate opens, a rollback works, and the events stream carries on', async () => {
    const w = await seedFaultWorld(1);
    // Long enough to outlast what happens before the restart (a stream opened, the server stopped).
    const spec = faultSpec(w, { traffic: { steps: STEPS }, bake: '15s', freeze: '0s' });
    const sampler = new Route53Sampler(w);
    const pair = sampler.track(w.record, STEPS);
    const worker = new WorkerProcess('worker', { temporalAddress: temporal.address, taskQueue: TASK_QUEUE, awsEndpoint: stack().motoUrl });
    cleanup(() => sampler.stop(), () => worker.kill());
    await worker.start();

    const id = await startMigration(api.app, spec);
    const m = migrationApi(api.app, id);
    await eventually(m.status, (s) => s.pendingGate?.gate === 'cutover');
    await m.approve('cutover');
    const baking = await eventually(m.status, (s) => s.phase === 'baking' && s.timers.some((t) => t.name === 'bake'));
    const bakeEnds = Date.parse(baking.timers.find((t) => t.name === 'bake')!.firesAt);

    const stream = await followEvents(api.app, id);
    cleanup(() => stream.close());
    await eventually(async () => stream.events.length, (n) => n > 0);
    expect(stream.events[0].event).toBe('status');

    let bakeLeftWhileDown = 0;
    let afterOutage = 0;
    await temporal.restart(async () => {
      bakeLeftWhileDown = bakeEnds - Date.now();
      // The stream tells its reader the status cannot be read while the server is down.
      await eventually(async () => stream.events.at(-1)?.event, (event) => event === 'unavailable');
      afterOutage = stream.events.length;
    });
    // What this test is about: the server was down while the bake still ran, so it fires after.
    expect(bakeLeftWhileDown, 'the bake was still running when the server stopped').toBeGreaterThan(0);

    // The bake timer fires after the restart.
    const atGate = await eventually(m.status, (s) => s.pendingGate?.gate === 'decommission');
    expect(atGate.weights).toEqual({ blue: 0, green: 100 });
    expect(pair.now).toEqual({ blue: 0, green: 100 });

    // The stream opened before the restart streams again: the status after the bake reaches it.
    await eventually(
      async () => stream.events.slice(afterOutage),
      (events) => events.some((e) => e.event === 'status' && JSON.parse(e.data).pendingGate?.gate === 'decommission'),
    );

    const rolledBack = await m.rollback('restart drill');
    expect(rolledBack.statusCode, rolledBack.body).toBe(200);
    expect((await m.status()).phase).toBe('rolled-back');
    await pair.serves(0);
    await sampler.stop();
    stream.close();
    report('Temporal restarted', ['dev server stopped and started on its state file during the bake', 'bake timer fired', 'gate decommission opened', 'rollback?wait=true → 200', 'SSE: unavailable while the server was down, the status after it']);

    expect(sampler.unreadable).toEqual([]);
    expect(pair.violations).toEqual([]);
    expect(pair.now).toEqual({ blue: 100, green: 0 });
  }, 240_000);
});
