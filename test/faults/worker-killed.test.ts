// The worker as a process of its own, SIGKILLed at eleven points of real migrations on moto and
// started again each time. The points are spread over four migrations that run at once, each
// with its own worker process and task queue: a worker killed inside an activity costs that
// activity's timeout (about a minute) before Temporal tries it again, so each migration has one
// such point and the cheap ones (a gate, a timer, a weight change in the workflow task) beside it.
// Every kill point is reached by watching the run (its history, its status, Route 53 in moto),
// never by waiting a while. Where a point needs the worker inside a call, toxiproxy slows moto's
// answers (or Route 53 answers PENDING), so the call is still in flight when the worker dies.
// Throughout, a sampler reads every migration's record pair from moto every 50 ms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { auditQuery } from '../../workflows/messages.js';
import { eventually, stack, startApi, uniqueName } from '../helpers.js';
import {
  activitiesInFlight,
  cleanup,
  faultSpec,
  history,
  migrationApi,
  report,
  Route53Sampler,
  seedFaultWorld,
  startMigration,
  startPendingRoute53,
  timersRunning,
  Toxiproxy,
  untilHistory,
  weightChangesRecorded,
  WorkerProcess,
  type PairLog,
} from './support.js';

const STEPS = [20, 50, 100];
/** Extra time on every answer from moto while a kill point needs the worker inside a call. */
const SLOW_MS = 3_000;

let toxiproxy: Toxiproxy;

beforeAll(async () => {
  toxiproxy = await Toxiproxy.start();
});
afterAll(async () => {
  await toxiproxy?.stop();
});

interface LaneOptions {
  recordTtl: number;
  observe?: string;
  bake?: string;
  freeze?: string;
  /** Route 53 through a proxy that can answer PENDING, instead of toxiproxy. */
  pendingRoute53?: boolean;
}

/** One migration, its worker process (killed and restarted) and the way moto answers that worker. */
async function openLane(name: string, zoneName: string, sampler: Route53Sampler, opts: LaneOptions) {
  const w = await seedFaultWorld(opts.recordTtl, zoneName);
  const taskQueue = uniqueName(`faults-${name}`);
  const proxyName = `moto-${name}`;
  const pending = opts.pendingRoute53 ? await startPendingRoute53() : undefined;
  const awsEndpoint = pending ? pending.url : `http://${await toxiproxy.proxy(proxyName, new URL(stack().motoUrl).host)}`;
  const worker = new WorkerProcess(name, { temporalAddress: stack().temporalAddress, taskQueue, awsEndpoint });
  const api = await startApi({ taskQueue });
  const pair = sampler.track(w.record, STEPS);
  cleanup(() => api.close(), () => pending?.close(), () => worker.kill(), () => toxiproxy.removeToxic(proxyName, 'slow').catch(() => {}));
  const spec = faultSpec(w, { traffic: { steps: STEPS, observe: opts.observe ?? '0s' }, bake: opts.bake ?? '0s', freeze: opts.freeze ?? '0s' });
  return { name, w, spec, worker, api, pending, proxyName, pair };
}

type Opened = Awaited<ReturnType<typeof openLane>>;

/** A lane's migration under way: what a kill point watches, and the kills it took. */
class Lane {
  readonly exercised: string[] = [];
  /** Weight changes (local activities) the run had recorded when the worker died, by kill point. */
  readonly recordedAtKill = new Map<string, number>();
  readonly m: ReturnType<typeof migrationApi>;
  readonly handle: WorkflowHandle;

  readonly pair: PairLog;

  constructor(
    readonly o: Opened,
    readonly id: string,
  ) {
    this.m = migrationApi(o.api.app, id);
    this.handle = o.api.client.workflow.getHandle(id);
    this.pair = o.pair;
  }

  slowMoto = () => toxiproxy.addToxic(this.o.proxyName, 'slow', 'latency', { latency: SLOW_MS });
  fastMoto = () => toxiproxy.removeToxic(this.o.proxyName, 'slow').catch(() => {}); // not every point slowed it

  inFlight = (activity: string) => untilHistory(this.handle, (events) => activitiesInFlight(events).includes(activity));

  /** A timer of `ms` running while Route 53 serves green `green` (the settle and observe waits are timers of their own). */
  timerAt = (ms: number, green: number) => untilHistory(this.handle, (events) => this.pair.now?.green === green && timersRunning(events).includes(ms));

  /** Kills the worker once `reached` resolves, then starts it again (moto fast again). */
  async killAt(point: string, reached: () => Promise<unknown>, began: number): Promise<void> {
    await reached();
    await this.o.worker.kill();
    this.recordedAtKill.set(point, weightChangesRecorded(await history(this.handle)));
    this.exercised.push(`${this.o.name}: ${point}`);
    console.log(`[faults] worker ${this.o.name} killed: ${point} (${Math.round((Date.now() - began) / 1000)} s)`);
    await this.fastMoto();
    this.o.pending?.hold(false);
    await this.o.worker.start();
  }

  async approveDecommissionAndFinish(): Promise<void> {
    await eventually(this.m.status, (s) => s.pendingGate?.gate === 'decommission');
    await this.m.approve('decommission', 'dev-approver-2');
    await this.m.approve('decommission', 'dev-approver-3');
    await this.finished();
  }

  finished = () => eventually(this.m.status, (s) => s.phase === 'completed' && s.workflowStatus === 'COMPLETED');
}

describe('a worker killed at any point', () => {
  it('finishes every migration, Route 53 never serving weights the plan did not ask for, every mutation audited', async () => {
    const began = Date.now();
    // All four pairs in one hosted zone, read by one sampler (each reading costs moto and the test some 10 ms of CPU).
    const zoneName = `${uniqueName('fk')}.example.`;
    const first = await seedFaultWorld(1, zoneName); // creates the zone
    const sampler = new Route53Sampler(first);
    cleanup(() => sampler.stop());
    const opened = await Promise.all([
      openLane('a', zoneName, sampler, { recordTtl: 1 }), // preflight's calls, the first weight change
      openLane('b', zoneName, sampler, { recordTtl: 4, observe: '6s' }), // provisioning, the settle wait (record TTL) and the observe wait of a step
      openLane('c', zoneName, sampler, { recordTtl: 1, bake: '6s', pendingRoute53: true }), // the cutover gate, the INSYNC wait, the bake timer
      openLane('d', zoneName, sampler, { recordTtl: 1, freeze: '6s' }), // the freeze timer, the decommission gate, decommissioning
    ]);
    await Promise.all(opened.map((o) => o.worker.start()));

    const start = async (o: Opened, before?: () => Promise<unknown>) => {
      await before?.();
      return new Lane(o, await startMigration(o.api.app, o.spec));
    };
    const approveCutover = async (lane: Lane) => {
      await eventually(lane.m.status, (s) => s.pendingGate?.gate === 'cutover');
      await lane.m.approve('cutover');
    };

    const laneA = async () => {
      const lane = await start(opened[0], () => toxiproxy.addToxic('moto-a', 'slow', 'latency', { latency: SLOW_MS }));
      await lane.killAt("preflight: blue's and the routing's checks in flight", () => lane.inFlight('preflight'), began);
      await eventually(lane.m.status, (s) => s.pendingGate?.gate === 'cutover');
      await lane.slowMoto();
      await lane.m.approve('cutover');
      await lane.killAt('weight change to green 20: Route 53 changed, its answer not yet back', () => lane.pair.serves(20), began);
      await lane.approveDecommissionAndFinish();
      return lane;
    };
    const laneB = async () => {
      const lane = await start(opened[1], () => toxiproxy.addToxic('moto-b', 'slow', 'latency', { latency: SLOW_MS }));
      await lane.killAt('provisioning: green being created', () => lane.inFlight('provisionGreen'), began);
      await approveCutover(lane);
      await lane.killAt('settle wait (record TTL) after green 50', () => lane.timerAt(4_000, 50), began);
      await lane.killAt('observe wait at green 50', () => lane.timerAt(6_000, 50), began);
      await lane.approveDecommissionAndFinish();
      return lane;
    };
    const laneC = async () => {
      const lane = await start(opened[2]);
      await lane.killAt('gate cutover pending', () => eventually(lane.m.status, (s) => s.pendingGate?.gate === 'cutover'), began);
      lane.o.pending!.hold(true);
      await lane.m.approve('cutover');
      await lane.killAt('INSYNC wait: green 20 in Route 53, the change still PENDING', () => lane.inFlight('waitWeightsApplied'), began);
      await lane.killAt('bake timer', () => eventually(lane.m.status, (s) => s.phase === 'baking' && s.timers.some((t) => t.name === 'bake')), began);
      await lane.approveDecommissionAndFinish();
      return lane;
    };
    const laneD = async () => {
      const lane = await start(opened[3]);
      await approveCutover(lane);
      await lane.killAt('freeze timer', () => eventually(lane.m.status, (s) => s.phase === 'frozen' && s.timers.some((t) => t.name === 'freeze')), began);
      await lane.killAt('gate decommission pending', () => eventually(lane.m.status, (s) => s.pendingGate?.gate === 'decommission'), began);
      await lane.slowMoto();
      await lane.m.approve('decommission', 'dev-approver-2');
      await lane.m.approve('decommission', 'dev-approver-3');
      await lane.killAt("decommissioning: blue's node groups and cluster being deleted", () => lane.inFlight('deleteCluster'), began);
      await lane.finished();
      return lane;
    };

    const lanes = await Promise.all([laneA(), laneB(), laneC(), laneD()]);
    await sampler.stop();
    const exercised = lanes.flatMap((l) => l.exercised);
    report('worker killed', exercised);
    for (const lane of lanes) console.log(`[faults] lane ${lane.o.name}: Route 53 served ${lane.pair.seen.map((o) => `${o.blue ?? '-'}/${o.green}`).join(' → ')}`);
    console.log(`[faults] ${sampler.readings} readings of Route 53 in ${Math.round((Date.now() - began) / 1000)} s`);

    expect(exercised.length).toBeGreaterThanOrEqual(10);
    expect(sampler.unreadable).toEqual([]);
    for (const lane of lanes) {
      expect(lane.o.worker.starts, lane.o.name).toBe(lane.exercised.length + 1);
      expect(lane.pair.violations).toEqual([]);
      expect(lane.pair.seen, lane.o.name).toEqual([{ blue: 100, green: 0 }, { blue: 80, green: 20 }, { blue: 50, green: 50 }, { blue: 0, green: 100 }, { blue: undefined, green: 100 }]);

      // Every mutation once, in order. A weight change whose answer was lost at the kill (not
      // recorded) is retried, finds Route 53 already there, and says so (changed: false); on a
      // loaded machine the answer may have been recorded just before the kill (changed: true).
      const trail = await lane.handle.query(auditQuery);
      const mutations = trail.filter((e) => ['create-cluster', 'set-weights', 'remove-blue-routing', 'delete-cluster'].includes(e.action));
      expect(mutations.map((e) => [e.action, e.detail?.green ?? null]), lane.o.name).toEqual([
        ['create-cluster', null],
        ['set-weights', 20],
        ['set-weights', 50],
        ['set-weights', 100],
        ['remove-blue-routing', null],
        ['delete-cluster', null],
      ]);
      const killedInChange = [...lane.recordedAtKill].find(([point]) => point.startsWith('weight change to green 20'));
      const answerLost = killedInChange !== undefined && killedInChange[1] === 0;
      expect(
        mutations.filter((e) => e.action === 'set-weights').map((e) => e.detail?.changed),
        lane.o.name,
      ).toEqual([!answerLost, true, true]);
    }
    // The kill inside the first weight change lost its answer at least on a machine that kept up: say so.
    console.log(`[faults] weight change to green 20 retried after the kill: ${lanes[0].recordedAtKill.get('weight change to green 20: Route 53 changed, its answer not yet back') === 0}`);
  }, 300_000);
});
