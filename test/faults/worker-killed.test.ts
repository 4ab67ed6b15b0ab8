// The worker as a process of its own, SIGKILLed at many points of one real migration on moto
// and started again each time. Every kill point is reached by watching the run (its history,
// its status, Route 53 in moto), never by waiting a while. While a kill point needs the worker
// inside a call, toxiproxy slows moto's answers to the worker, so the call is still in flight
// when the worker dies. Throughout, a sampler reads Route 53 from moto directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditQuery } from '../../workflows/messages.js';
import { eventually, stack } from '../helpers.js';
import {
  activitiesInFlight,
  cleanup,
  faultSpec,
  history,
  weightChangesRecorded,
  migrationApi,
  OwnTemporal,
  report,
  Route53Sampler,
  seedFaultWorld,
  startApi,
  startMigration,
  timersRunning,
  Toxiproxy,
  untilHistory,
  WorkerProcess,
  type Api,
} from './support.js';

const TTL_S = 4; // each step settles for the record TTL: a timer of its own
const OBSERVE_MS = 5_000;
const STEPS = [20, 50, 100];

let temporal: OwnTemporal;
let toxiproxy: Toxiproxy;
let api: Api;
let motoProxy: string;

beforeAll(async () => {
  [temporal, toxiproxy] = await Promise.all([OwnTemporal.start(), Toxiproxy.start()]);
  motoProxy = await toxiproxy.proxy('moto', new URL(stack().motoUrl).host);
  api = await startApi(temporal.address);
});
afterAll(async () => {
  await api?.close();
  await toxiproxy?.stop();
  await temporal?.stop();
});

describe('a worker killed at any point', () => {
  it('finishes the migration, Route 53 never serving weights the plan did not ask for, every mutation audited', async () => {
    const w = await seedFaultWorld(TTL_S);
    const spec = faultSpec(w, { traffic: { steps: STEPS, observe: `${OBSERVE_MS / 1000}s` }, bake: '6s', freeze: '6s' });
    const sampler = new Route53Sampler(w.hostedZoneId, w.world.recordName, STEPS);
    const worker = new WorkerProcess('worker', { temporalAddress: temporal.address, awsEndpoint: `http://${motoProxy}` });
    cleanup(() => sampler.stop(), () => worker.kill(), () => toxiproxy.removeToxic('moto', 'slow').catch(() => {}));
    await worker.start();

    const exercised: string[] = [];
    const began = Date.now();
    const slowMoto = () => toxiproxy.addToxic('moto', 'slow', 'latency', { latency: 2_000 });
    const fastMoto = () => toxiproxy.removeToxic('moto', 'slow');
    /** Kills the worker once `reached` says so, and starts it again with moto fast again. */
    const recordedAtKill: number[] = [];
    const killAt = async (point: string, reached: () => Promise<unknown>) => {
      await reached();
      await worker.kill();
      recordedAtKill.push(weightChangesRecorded(await history(api.client.workflow.getHandle(id))));
      exercised.push(point);
      console.log(`[faults] worker killed: ${point} (${Math.round((Date.now() - began) / 1000)} s)`);
      await fastMoto().catch(() => {}); // not every point slowed moto
      await worker.start();
    };

    await slowMoto();
    const id = await startMigration(api.app, spec);
    const handle = api.client.workflow.getHandle(id);
    const m = migrationApi(api.app, id);
    const inFlight = (activity: string) => untilHistory(handle, (events) => activitiesInFlight(events).includes(activity));
    const timerOf = (ms: number, green: number) =>
      eventually(
        async () => ({ status: await m.status(), timers: timersRunning(await history(handle)) }),
        ({ status, timers }) => status.weights.green === green && timers.includes(ms),
      );
    const routeServes = (green: number) => eventually(async () => sampler.now, (o) => o?.green === green);

    await killAt('preflight: the EKS checks in flight', () => inFlight('preflight'));
    await slowMoto();
    await killAt('provisioning: green being created', () => inFlight('provisionGreen'));
    await killAt('gate cutover pending', () => eventually(m.status, (s) => s.pendingGate?.gate === 'cutover'));
    await slowMoto();
    await m.approve('cutover');
    await killAt('weight change to green 20: Route 53 changed, its answer not yet back', () => routeServes(20));
    await killAt('settle wait (record TTL) after green 50', () => timerOf(TTL_S * 1000, 50));
    await killAt('observe wait at green 50', () => timerOf(OBSERVE_MS, 50));
    await slowMoto();
    await killAt('weight change to green 100: Route 53 changed, its answer not yet back', () => routeServes(100));
    await killAt('bake timer', () => eventually(m.status, (s) => s.phase === 'baking' && s.timers.some((t) => t.name === 'bake')));
    await killAt('freeze timer', () => eventually(m.status, (s) => s.phase === 'frozen' && s.timers.some((t) => t.name === 'freeze')));
    await killAt('gate decommission pending', () => eventually(m.status, (s) => s.pendingGate?.gate === 'decommission'));
    await slowMoto();
    await m.approve('decommission', 'dev-approver-2');
    await killAt("decommissioning: blue's node groups and cluster being deleted", () => inFlight('deleteCluster'));

    const done = await eventually(m.status, (s) => s.phase === 'completed' && s.workflowStatus === 'COMPLETED');
    await sampler.stop();
    report('worker killed', exercised);
    console.log(`[faults] Route 53 served, in order: ${sampler.seen.map((o) => `${o.blue ?? '-'}/${o.green}`).join(' → ')} (${sampler.readings} readings)`);

    expect(exercised.length).toBeGreaterThanOrEqual(10);
    expect(worker.starts).toBe(exercised.length + 1);
    expect(sampler.violations).toEqual([]);
    expect(sampler.seen).toEqual([{ blue: 100, green: 0 }, { blue: 80, green: 20 }, { blue: 50, green: 50 }, { blue: 0, green: 100 }, { blue: undefined, green: 100 }]);
    expect(done.weights).toEqual({ blue: 0, green: 100 });

    // Every mutation once, in order; a weight change whose first attempt took effect before the
    // worker died is retried, finds Route 53 already there, and says so (changed: false).
    const trail = await handle.query(auditQuery);
    const mutations = trail.filter((e) => ['create-cluster', 'set-weights', 'remove-blue-routing', 'delete-cluster'].includes(e.action));
    expect(mutations.map((e) => [e.action, e.detail?.green ?? e.detail?.cluster ?? null])).toEqual([
      ['create-cluster', null],
      ['set-weights', 20],
      ['set-weights', 50],
      ['set-weights', 100],
      ['remove-blue-routing', null],
      ['delete-cluster', null],
    ]);
    // A change whose answer was lost at the kill (not recorded) is retried and says changed: false;
    // on a loaded machine the answer may have been recorded just before the kill (changed: true).
    const changed = (green: number) => mutations.find((e) => e.action === 'set-weights' && e.detail?.green === green)?.detail?.changed;
    const lostAnswer = (point: string, before: number) => recordedAtKill[exercised.findIndex((p) => p.startsWith(point))] <= before;
    expect([changed(20), changed(50), changed(100)]).toEqual([!lostAnswer('weight change to green 20', 0), true, !lostAnswer('weight change to green 100', 2)]);
  }, 1_800_000);
});
