// Cancel while an activity never succeeds, in every phase where one can retry without end: the
// worker (a process of its own) reaches moto and the kube-apiservers through toxiproxy, a
// peer is cut off, and once the status shows the phase with its activity retrying, a person
// cancels. The run must reach `cancelled` within 10 s of the request, its workflow closed,
// nothing left behind (green, created with deleteOnCancel, deleted; Route 53 all on blue).
// At the cutover gate the same; in decommissioning a cancel is refused (409) saying why; a
// pause during a retrying preflight is taken at once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import type { WorkflowHandle } from '@temporalio/client';
import { createAwsClients } from '../../activities/aws.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { eventually, stack, startApi, uniqueName, type Api } from '../helpers.js';
import {
  cleanup,
  faultSpec,
  migrationApi,
  report,
  seedFaultWorld,
  startMigration,
  startPendingRoute53,
  Toxiproxy,
  WorkerProcess,
  type Status,
} from './support.js';

const TASK_QUEUE = uniqueName('faults-cancel');
const CANCEL_WITHIN_MS = 10_000;

type World = Awaited<ReturnType<typeof seedFaultWorld>>;
type Migration = ReturnType<typeof migrationApi>;
interface CancelStatus extends Status {
  paused: boolean;
  waiting?: { what: string };
  findings: { severity: string; source: string; message: string }[];
}

let toxiproxy: Toxiproxy;
let pendingRoute53: Awaited<ReturnType<typeof startPendingRoute53>>;
let api: Api;
let worker: WorkerProcess;
const management = uniqueName('mgmt');
const worlds = {} as Record<'preflight' | 'provisioning' | 'bootstrapping' | 'validating' | 'gate' | 'shifting' | 'decommissioning', World>;
const measured: string[] = [];

// The worker's peers, each behind a proxy that a test cuts: moto (behind the proxy that can
// hold Route 53's changes PENDING), green's kube-apiserver, the management cluster's.
beforeAll(async () => {
  toxiproxy = await Toxiproxy.start();
  const motoProxy = await toxiproxy.proxy('moto', new URL(stack().motoUrl).host);
  const greenKube = await toxiproxy.proxy('kube-green', new URL(stack().kube.green.server).host);
  const managementKube = await toxiproxy.proxy('kube-management', new URL(stack().kube.management.server).host);
  pendingRoute53 = await startPendingRoute53(`http://${motoProxy}`);
  for (const phase of ['preflight', 'provisioning', 'bootstrapping', 'validating', 'gate', 'shifting', 'decommissioning'] as const) worlds[phase] = await seedFaultWorld(1);
  // Clusters by name (the worker reads the map as it starts): only where a phase needs them
  // (elsewhere their checks are skipped), green through its proxy where validation is cut off
  // from it (validation reads green only with blue to compare it with).
  const clusters = {
    [management]: { ...stack().kube.management, server: `https://${managementKube}` },
    [worlds.bootstrapping.world.green]: stack().kube.green,
    [worlds.validating.world.blue]: stack().kube.blue,
    [worlds.validating.world.green]: { ...stack().kube.green, server: `https://${greenKube}` },
  };
  const kubeClusters = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-faults-kube-')), 'clusters.json');
  writeFileSync(kubeClusters, JSON.stringify(clusters), { mode: 0o600 });
  worker = new WorkerProcess('worker', { temporalAddress: stack().temporalAddress, taskQueue: TASK_QUEUE, awsEndpoint: pendingRoute53.url, kubeClusters });
  api = await startApi({ taskQueue: TASK_QUEUE });
  await worker.start();
});
afterAll(async () => {
  report('cancel in every phase, time from the request (or from the restore) to cancelled', measured);
  await worker?.kill();
  await api?.close();
  await pendingRoute53?.close();
  await toxiproxy?.stop();
});

/** Cuts a peer off (the proxy stops listening, connections refused); restored when the test ends. */
async function cutOff(proxy: string): Promise<void> {
  cleanup(() => toxiproxy.setEnabled(proxy, true));
  await toxiproxy.setEnabled(proxy, false);
}

/** Every spec here: green made by the migration and deleted on cancel, short waits. */
function spec(w: World, overrides: Parameters<typeof faultSpec>[1] = {}): MigrationSpec {
  return faultSpec(w, { green: { cluster: w.world.green, mode: 'create', kubernetesVersion: '1.34', deleteOnCancel: true }, ...overrides });
}

async function start(w: World, s: MigrationSpec): Promise<{ m: Migration; handle: WorkflowHandle; status: () => Promise<CancelStatus> }> {
  const id = await startMigration(api.app, s);
  const m = migrationApi(api.app, id);
  return { m, handle: api.client.workflow.getHandle(id), status: m.status as () => Promise<CancelStatus> };
}

/** The pending activity of this type as Temporal describes it (attempt 0 while none is pending). */
async function pendingActivity(handle: WorkflowHandle, activity: string): Promise<{ attempt: number; lastFailure?: string }> {
  const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === activity);
  return { attempt: pending?.attempt ?? 0, lastFailure: pending?.lastFailure?.message ?? undefined };
}

/** Waits until `activity` has failed and is retried (attempt 2 or later), and returns its last failure. */
async function retried(handle: WorkflowHandle, activity: string): Promise<string> {
  const pending = await eventually(() => pendingActivity(handle, activity), (a) => a.attempt >= 2);
  return `${activity} attempt ${pending.attempt}, last failure: ${pending.lastFailure}`;
}

/** A peer the cancel's undo needs, restored once `when` shows the cancel acting (it cannot finish before). */
interface Restore {
  when: () => Promise<unknown>;
  restore: () => Promise<void>;
}

/**
 * Sends a cancel and waits until the run is cancelled, within 10 s of the request (or of the
 * restore of a peer the cancel's undo needs); its workflow is closed after it.
 */
async function cancelled(what: string, m: Migration, handle: WorkflowHandle, restore?: Restore): Promise<CancelStatus> {
  const sent = performance.now();
  const answer = m.request('POST', '/cancel', 'dev-operator', { reason: 'fault drill' });
  let from = sent;
  if (restore) {
    await restore.when();
    await restore.restore();
    from = performance.now();
  }
  const res = await answer;
  expect(res.statusCode, res.body).toBe(200);
  const answered = Math.round(performance.now() - sent);
  const status = (await eventually(m.status, (s) => s.phase === 'cancelled')) as CancelStatus;
  const ms = Math.round(performance.now() - from);
  const since = restore ? `the restore (${Math.round(from - sent)} ms after the request)` : 'the request';
  measured.push(`${what}: cancel answered ${res.statusCode} in ${answered} ms; cancelled ${ms} ms after ${since}`);
  console.log(`[faults] ${measured.at(-1)}`);
  expect(ms).toBeLessThan(CANCEL_WITHIN_MS);
  const closed = await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING');
  expect(closed.status.name).toBe('COMPLETED');
  expect(status.audit.map((e) => e.action)).toContain('cancel');
  return status;
}

const moto = () => createAwsClients({ endpoint: stack().motoUrl });

/** Nothing of the migration left in moto: no green cluster, the record pair all on blue. */
async function nothingLeftBehind(w: World, s: MigrationSpec): Promise<void> {
  await expect(moto().eks(w.world.region).send(new DescribeClusterCommand({ name: w.world.green }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  expect(await readRoute53Weights(moto().route53(w.world.region), resolveSpec(s).traffic.route53!)).toEqual([{ blue: 100, green: 0 }]);
}

describe('cancel while an activity never succeeds, in every phase', () => {
  it('preflight, AWS cut off: a pause is taken at once, a cancel ends the run within 10 s', async () => {
    const w = worlds.preflight;
    const s = spec(w);
    await cutOff('moto');
    const { m, handle, status } = await start(w, s);
    const retrying = await retried(handle, 'preflight');
    const before = await status();
    expect(before.phase).toBe('preflight');
    expect(before.waiting?.what).toMatch(/^preflight/);

    // A pause is accepted while the checks retry, and the status says so at once.
    const paused = await m.request('POST', '/pause', 'dev-operator', { reason: 'fault drill' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect((await status()).paused).toBe(true);

    await cancelled(`preflight (${retrying})`, m, handle);
    await toxiproxy.setEnabled('moto', true);
    await nothingLeftBehind(w, s);
  });

  it('provisioning, AWS cut off once provisioning began (mode create): cancelled within 10 s; whether green was made, unknown, is named', async () => {
    const w = worlds.provisioning;
    const s = spec(w);
    // Preflight is held back (cut, paused) so that AWS is cut off exactly as provisioning begins:
    // moto makes green in a blink, so a cut timed by watching the phase would come too late.
    await cutOff('moto');
    const { m, handle, status } = await start(w, s);
    await retried(handle, 'preflight');
    expect((await m.request('POST', '/pause', 'dev-operator')).statusCode).toBe(200);
    await toxiproxy.setEnabled('moto', true);
    // Preflight passed; the run waits at the boundary before provisioning.
    await eventually(status, (st) => st.phase === 'preflight' && st.paused && !st.waiting && !st.pendingGate);
    await toxiproxy.setEnabled('moto', false);
    expect((await m.request('POST', '/resume', 'dev-operator')).statusCode).toBe(200);
    const retrying = await retried(handle, 'provisionGreen');
    const before = await status();
    expect(before.phase).toBe('provisioning');
    expect(before.waiting?.what).toContain(`green ${w.world.green} created`);

    const after = await cancelled(`provisioning (${retrying})`, m, handle);
    // With AWS out of reach the cancel cannot ask EKS whether green was made: it says so, naming green.
    expect(after.findings).toContainEqual(expect.objectContaining({ source: 'provisioning', message: expect.stringContaining(`look for ${w.world.green} in EKS`) }));
    await toxiproxy.setEnabled('moto', true);
    await nothingLeftBehind(w, s);
  });

  it('bootstrapping, the management cluster not answering: cancelled within 10 s', async () => {
    const w = worlds.bootstrapping;
    const s = spec(w, { gitops: { argocd: { managementContext: management, namespace: 'argocd', registerCluster: true }, flux: false } });
    await cutOff('kube-management');
    const { m, handle, status } = await start(w, s);
    const retrying = await retried(handle, 'registerArgoCluster');
    // (Bootstrapping's waits are not shown in status.waiting: the phase and the pending activity say it.)
    expect((await status()).phase).toBe('bootstrapping');

    const after = await cancelled(`bootstrapping (${retrying})`, m, handle);
    // Green's registration cannot be removed while the management cluster is out of reach: a few
    // attempts, then a warning (the registration never reached it here), and green is deleted.
    expect(after.findings).toContainEqual(expect.objectContaining({ severity: 'warning', source: 'gitops', message: expect.stringContaining(`deregistering ${w.world.green} from Argo CD failed`) }));
    await nothingLeftBehind(w, s);
  });

  it("validating, green's apiserver not answering: cancelled within 10 s", async () => {
    const w = worlds.validating;
    const s = spec(w);
    await cutOff('kube-green');
    const { m, handle, status } = await start(w, s);
    // Blue's kube-apiserver is shared with other tests, whose objects may use removed APIs: overridden.
    const past = await eventually(status, (st) => st.phase !== 'preflight' || !!st.pendingGate);
    if (past.pendingGate?.gate === 'preflight-override') await m.approve('preflight-override');
    const retrying = await retried(handle, 'validateGreen');
    const before = await status();
    expect(before.phase).toBe('validating');
    expect(before.waiting?.what).toMatch(/^validation of green/);

    await cancelled(`validating (${retrying})`, m, handle);
    await nothingLeftBehind(w, s);
  });

  it('awaiting-cutover: cancelled within 10 s', async () => {
    const w = worlds.gate;
    const s = spec(w);
    const { m, handle, status } = await start(w, s);
    await eventually(status, (st) => st.pendingGate?.gate === 'cutover');

    await cancelled('awaiting-cutover (gate cutover)', m, handle);
    await nothingLeftBehind(w, s);
  });

  it("shifting, Route 53 cut off while the wait for the weight change's INSYNC polls: the cancel's rollback writes blue's weights once AWS is back", async () => {
    const w = worlds.shifting;
    const s = spec(w, { traffic: { steps: [20, 100] } });
    const { m, handle, status } = await start(w, s);
    await eventually(status, (st) => st.pendingGate?.gate === 'cutover');
    cleanup(() => pendingRoute53.hold(false));
    pendingRoute53.hold(true);
    await m.approve('cutover');
    await eventually(status, (st) => st.phase === 'shifting' && !!st.waiting?.what.includes('INSYNC'));
    expect((await pendingActivity(handle, 'waitWeightsApplied')).attempt).toBe(1);
    await cutOff('moto');
    // The SDK's waiter takes a failed GetChange for "not yet": it polls on within the attempt
    // (attempt 1), so the failures are counted where they happen, in the proxy.
    const failedBefore = pendingRoute53.unreachable().length;
    await eventually(async () => pendingRoute53.unreachable().slice(failedBefore), (failed) => failed.filter((r) => r.includes('/change/')).length >= 2);
    expect((await status()).weights).toEqual({ blue: 80, green: 20 });

    // The cancel gives up the wait and its rollback writes blue's weights, which cannot land while
    // AWS is cut off: restored once that write has failed, the time is measured from the restore.
    const rollbackTried = () => eventually(async () => pendingRoute53.unreachable().slice(failedBefore), (failed) => failed.some((r) => r.includes('/rrset')));
    await cancelled('shifting (waitWeightsApplied polling GetChange, AWS cut off)', m, handle, {
      when: rollbackTried,
      restore: async () => {
        pendingRoute53.hold(false);
        await toxiproxy.setEnabled('moto', true);
      },
    });
    await nothingLeftBehind(w, s);
  });

  it('decommissioning, AWS cut off: a cancel is refused with 409 saying why; the run goes on once AWS is back', async () => {
    const w = worlds.decommissioning;
    const s = spec(w, { traffic: { steps: [100] } });
    const { m, handle, status } = await start(w, s);
    await eventually(status, (st) => st.pendingGate?.gate === 'cutover');
    await m.approve('cutover');
    await eventually(status, (st) => st.pendingGate?.gate === 'decommission');
    // Held at the boundary so that AWS is cut off exactly as decommissioning begins.
    expect((await m.request('POST', '/pause', 'dev-operator')).statusCode).toBe(200);
    await m.approve('decommission', 'dev-approver-2');
    await m.approve('decommission', 'dev-approver-3');
    await eventually(status, (st) => !st.pendingGate);
    // Route 53 alone is cut off: decommissioning first reads blue's protection from EKS (the
    // guarded destroy), which must pass so that blue's retirement begins with its routing's
    // removal, the call that then retries without end.
    cleanup(() => pendingRoute53.cutRoute53(false));
    pendingRoute53.cutRoute53(true);
    expect((await m.request('POST', '/resume', 'dev-operator')).statusCode).toBe(200);
    const retrying = await retried(handle, 'removeBlueRouting');
    expect((await status()).phase).toBe('decommissioning');
    expect(pendingRoute53.unreachable().some((r) => r.includes('/rrset'))).toBe(true);

    const sent = performance.now();
    const refused = await m.request('POST', '/cancel', 'dev-operator', { reason: 'fault drill' });
    measured.push(`decommissioning (${retrying}): cancel refused (${refused.statusCode}) in ${Math.round(performance.now() - sent)} ms`);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().message).toMatch(/decommissioning/);
    expect((await status()).phase).toBe('decommissioning');

    pendingRoute53.cutRoute53(false);
    await eventually(status, (st) => st.phase === 'completed');
  });
});
