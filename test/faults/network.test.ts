// Network faults between the worker (a process of its own) and its peers, made by toxiproxy:
// between the worker and moto, and between the worker and blue's kube-apiserver. Latency,
// connection resets, connections that go silent, and a cut in the middle of
// ChangeResourceRecordSets with a rollback sent during the cut. A sampler reads Route 53
// straight from moto every 50 ms and fails on any pair the plan never asked for.
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, stack, startApi, uniqueName, type Api } from '../helpers.js';
import { pendingActivities } from '../in-flight.js';
import {
  cleanup,
  faultSpec,
  migrationApi,
  report,
  Route53Sampler,
  seedFaultWorld,
  startMigration,
  Toxiproxy,
  WorkerProcess,
} from './support.js';

const TASK_QUEUE = uniqueName('faults-network');

let toxiproxy: Toxiproxy;
let api: Api;
let motoProxy: string;
let blueKubeProxy: string;

beforeAll(async () => {
  toxiproxy = await Toxiproxy.start();
  motoProxy = await toxiproxy.proxy('moto', new URL(stack().motoUrl).host);
  blueKubeProxy = await toxiproxy.proxy('kube-blue', new URL(stack().kube.blue.server).host);
  api = await startApi({ taskQueue: TASK_QUEUE });
});
afterAll(async () => {
  await api?.close();
  await toxiproxy?.stop();
});

/** The attempt of a pending activity of this type (0 while none is pending). */
async function attemptOf(handle: WorkflowHandle, activity: string): Promise<{ attempt: number; lastFailure?: string }> {
  const pending = (await pendingActivities(handle)).find((a) => a.type === activity);
  return { attempt: pending?.attempt ?? 0, lastFailure: pending?.lastFailure };
}

/**
 * Waits until an attempt of `activity` that began after this call has failed: the attempt
 * under way when a fault was set may have run partly without it, so one more must fail.
 */
async function failsOnceMore(handle: WorkflowHandle, activity: string): Promise<string> {
  const now = (await attemptOf(handle, activity)).attempt;
  const failed = await eventually(() => attemptOf(handle, activity), (a) => a.attempt >= Math.max(now, 1) + 2);
  return failed.lastFailure ?? '';
}

/** Blue's cluster reached through toxiproxy, green not at all (its checks are skipped). */
function kubeClustersFile(blue: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-faults-kube-')), 'clusters.json');
  writeFileSync(file, JSON.stringify({ [blue]: { ...stack().kube.blue, server: `https://${blueKubeProxy}` } }), { mode: 0o600 });
  return file;
}

describe('network faults between the worker and its peers', () => {
  it("kube-apiserver: resets, silence and latency during preflight's scan of blue are retried, then the migration goes on", async () => {
    const w = await seedFaultWorld(1);
    const sampler = new Route53Sampler(w);
    const pair = sampler.track(w.record, [100]);
    const worker = new WorkerProcess('worker', { temporalAddress: stack().temporalAddress, taskQueue: TASK_QUEUE, awsEndpoint: stack().motoUrl, kubeClusters: kubeClustersFile(w.world.blue) });
    cleanup(() => sampler.stop(), () => worker.kill(), () => toxiproxy.removeToxic('kube-blue', 'fault').catch(() => {}));
    await worker.start();
    const exercised: string[] = [];

    await toxiproxy.addToxic('kube-blue', 'fault', 'reset_peer', { timeout: 0 });
    const id = await startMigration(api.app, faultSpec(w, { traffic: { steps: [100] } }));
    const handle = api.client.workflow.getHandle(id);
    const m = migrationApi(api.app, id);
    // Attempt 1 ran wholly under resets; then an attempt wholly under silence. Five attempts that
    // cannot reach blue make a blocking finding instead of a retry, so the latency comes by the fourth.
    const reset = await eventually(() => attemptOf(handle, 'preflight'), (a) => a.attempt >= 2);
    exercised.push(`reset_peer: preflight failed (${reset.lastFailure}) and is retried`);

    await toxiproxy.removeToxic('kube-blue', 'fault');
    await toxiproxy.addToxic('kube-blue', 'fault', 'timeout', { timeout: 1_000 });
    exercised.push(`timeout (silent, closed after 1 s): preflight failed (${await failsOnceMore(handle, 'preflight')}) and is retried`);

    await toxiproxy.removeToxic('kube-blue', 'fault');
    await toxiproxy.addToxic('kube-blue', 'fault', 'latency', { latency: 200 });
    const status = await eventually(m.status, (s) => !!s.pendingGate);
    await toxiproxy.removeToxic('kube-blue', 'fault');
    exercised.push('latency 200 ms on every answer: the scan of blue completes');
    // The scan ran to its end despite the faults: it reports on blue, not that blue was unreachable.
    const scan = (status as unknown as { findings: { source: string; message: string }[] }).findings.filter((f) => f.source === 'removed-apis');
    expect(scan.length).toBeGreaterThan(0);
    expect(scan.map((f) => f.message).join('\n')).not.toMatch(/could not run|no API access/);
    // Other tests' objects in the shared blue API server may use removed APIs: override them.
    if (status.pendingGate?.gate === 'preflight-override') await m.approve('preflight-override');
    await eventually(m.status, (s) => s.pendingGate?.gate === 'cutover');
    await m.approve('cutover');
    await eventually(m.status, (s) => s.pendingGate?.gate === 'decommission');
    await sampler.stop();
    report('network, kube-apiserver', exercised);
    expect(sampler.unreadable).toEqual([]);
    expect(pair.violations).toEqual([]);
    expect(pair.now).toEqual({ blue: 0, green: 100 });
  }, 180_000);

  it('moto: latency, resets and silence during the migration, then a cut during ChangeResourceRecordSets; a rollback sent during the cut completes once it heals', async () => {
    const STEPS = [20, 50, 80, 100];
    const w = await seedFaultWorld(1);
    const sampler = new Route53Sampler(w);
    const pair = sampler.track(w.record, STEPS);
    const worker = new WorkerProcess('worker', { temporalAddress: stack().temporalAddress, taskQueue: TASK_QUEUE, awsEndpoint: `http://${motoProxy}` });
    cleanup(
      () => sampler.stop(),
      () => worker.kill(),
      () => toxiproxy.removeToxic('moto', 'fault').catch(() => {}),
      () => toxiproxy.setEnabled('moto', true),
    );
    await worker.start();
    const exercised: string[] = [];

    // Preflight (EKS and Route 53 in moto) through resets, then through connections that go silent.
    await toxiproxy.addToxic('moto', 'fault', 'reset_peer', { timeout: 0 });
    const id = await startMigration(api.app, faultSpec(w, { traffic: { steps: STEPS, observe: '1h' } }));
    const handle = api.client.workflow.getHandle(id);
    const m = migrationApi(api.app, id);
    const reset = await eventually(() => attemptOf(handle, 'preflight'), (a) => a.attempt >= 2);
    exercised.push(`reset_peer: preflight failed (${reset.lastFailure}) and is retried`);
    await toxiproxy.removeToxic('moto', 'fault');
    await toxiproxy.addToxic('moto', 'fault', 'timeout', { timeout: 1_000 });
    exercised.push(`timeout (silent, closed after 1 s): preflight failed (${await failsOnceMore(handle, 'preflight')}) and is retried`);
    await toxiproxy.removeToxic('moto', 'fault');

    // The first step through a slow link: Route 53 takes the change, its answer is delayed by
    // 2 s, and the link is cut before the answer arrives.
    await eventually(m.status, (s) => s.pendingGate?.gate === 'cutover');
    await toxiproxy.addToxic('moto', 'fault', 'latency', { latency: 2_000 });
    await m.approve('cutover');
    await pair.serves(20);
    await toxiproxy.setEnabled('moto', false);
    exercised.push('latency 2 s on every answer from moto during the weight change to green 20');
    exercised.push('cut during ChangeResourceRecordSets: Route 53 took the change, its answer is lost; every retry fails while cut');

    // A person rolls back during the cut: the workflow accepts it, but cannot write Route 53 yet.
    let answered = false;
    const rollback = m.rollback('cut drill').finally(() => (answered = true));
    await eventually(
      async () => (await handle.fetchHistory()).events ?? [],
      (events) => events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
    );
    expect(answered).toBe(false);
    expect(pair.now).toEqual({ blue: 80, green: 20 });

    await toxiproxy.removeToxic('moto', 'fault');
    await toxiproxy.setEnabled('moto', true);
    exercised.push('rollback?wait=true sent during the cut, answered after it healed');
    const result = await rollback;
    expect(result.statusCode, result.body).toBe(200);
    expect(await pair.serves(0)).toEqual({ blue: 100, green: 0 });
    expect((await m.status()).phase).toBe('rolled-back');
    await sampler.stop();
    report('network, moto', exercised);
    expect(sampler.unreadable).toEqual([]);
    expect(pair.violations).toEqual([]);
  }, 180_000);
});
