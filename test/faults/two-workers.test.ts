// Two worker processes on one task queue; the one running the migration is SIGKILLed in the
// middle of a weight change, and the other carries the migration on without anyone acting
// (auto steps, no waits that need a person) up to the decommission gate, which a person
// approves as always.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditQuery } from '../../workflows/messages.js';
import { eventually, stack, startApi, uniqueName, type Api } from '../helpers.js';
import {
  cleanup,
  faultSpec,
  history,
  weightChangesRecorded,
  latestWorkflowWorkerPid,
  migrationApi,
  report,
  Route53Sampler,
  seedFaultWorld,
  startMigration,
  Toxiproxy,
  WorkerProcess,
} from './support.js';

const STEPS = [20, 50, 80, 100];

const TASK_QUEUE = uniqueName('faults-two-workers');

let toxiproxy: Toxiproxy;
let api: Api;
let motoProxy: string;

beforeAll(async () => {
  toxiproxy = await Toxiproxy.start();
  motoProxy = await toxiproxy.proxy('moto', new URL(stack().motoUrl).host);
  api = await startApi({ taskQueue: TASK_QUEUE });
});
afterAll(async () => {
  await api?.close();
  await toxiproxy?.stop();
});

describe('two workers, one killed mid-shift', () => {
  it('the other finishes the shift, the bake and the freeze with nobody acting', async () => {
    const w = await seedFaultWorld(1);
    const spec = faultSpec(w, { traffic: { steps: STEPS, observe: '1s' }, bake: '2s', freeze: '2s' });
    const sampler = new Route53Sampler(w);
    const pair = sampler.track(w.record, STEPS);
    const env = { temporalAddress: stack().temporalAddress, taskQueue: TASK_QUEUE, awsEndpoint: `http://${motoProxy}` };
    const workers = [new WorkerProcess('worker-a', env), new WorkerProcess('worker-b', env)];
    cleanup(() => sampler.stop(), ...workers.map((wk) => () => wk.kill()), () => toxiproxy.removeToxic('moto', 'slow').catch(() => {}));
    await Promise.all(workers.map((wk) => wk.start()));

    const id = await startMigration(api.app, spec);
    const handle = api.client.workflow.getHandle(id);
    const m = migrationApi(api.app, id);
    await eventually(m.status, (s) => s.pendingGate?.gate === 'cutover');
    // The last approval a person gives before the shift; from here on nobody acts until decommission.
    await toxiproxy.addToxic('moto', 'slow', 'latency', { latency: 2_000 });
    await m.approve('cutover');

    // Mid-shift: Route 53 already serves green 50, the worker that changed it has not heard back.
    await pair.serves(50);
    const pid = await latestWorkflowWorkerPid(handle);
    const victim = workers.find((wk) => wk.pid === pid);
    expect(victim, `the run's worker (pid ${pid}) is one of ours`).toBeDefined();
    await victim!.kill();
    // On a loaded machine the answer may have come back and been recorded before the kill: then
    // the survivor has nothing to retry and the change stands as made (changed: true).
    const answerLost = weightChangesRecorded(await history(handle)) < 2;
    await toxiproxy.removeToxic('moto', 'slow');
    const survivor = workers.find((wk) => wk !== victim)!;

    const atGate = await eventually(m.status, (s) => s.pendingGate?.gate === 'decommission');
    expect(atGate.weights).toEqual({ blue: 0, green: 100 });
    expect(survivor.running).toBe(true);
    expect(await latestWorkflowWorkerPid(handle)).toBe(survivor.pid);
    await m.approve('decommission', 'dev-approver-2');
    await m.approve('decommission', 'dev-approver-3');
    await eventually(m.status, (s) => s.phase === 'completed' && s.workflowStatus === 'COMPLETED');
    await sampler.stop();
    report('two workers', [`${victim!.name} (the run's worker) SIGKILLed during the weight change to green 50; ${survivor.name} finished`]);

    expect(sampler.unreadable).toEqual([]);
    expect(pair.violations).toEqual([]);
    expect(pair.seen.map((o) => o.green)).toEqual([0, ...STEPS, 100]);
    const shifts = (await handle.query(auditQuery)).filter((e) => e.action === 'set-weights');
    expect(shifts.map((e) => [e.detail?.green, e.detail?.changed])).toEqual([
      [20, true],
      [50, !answerLost], // retried by the survivor when the answer was lost: the first attempt had taken effect
      [80, true],
      [100, true],
    ]);
  }, 240_000);
});
