// Worker deployment versioning against a real Temporal: the first build of a deployment makes
// itself current and runs migrations; a later build polls beside it and waits for a person to
// promote it, and once promoted, a running migration moves to it (AUTO_UPGRADE) and keeps the
// plan it started with, although the later build defaults to other steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { sandboxApiConfig } from '../../api/config.js';
import { promoteIfFirstVersion } from '../../worker/versioning.js';
import { createCutoverWorker } from '../../worker/worker.js';
import { bundleEdited, OTHER_DEFAULTS } from '../edited-bundle.js';
import { auth, eventually, realActivities, seededSpec, stack, uniqueName } from '../helpers.js';
import { connectClient } from '../../config/connections.js';

const NAMESPACE = 'default';
const taskQueue = uniqueName('tq');
const deploymentName = uniqueName('cutover');
const silent = pino({ level: 'silent' });

let connection: NativeConnection;
let client: Client;
let app: FastifyInstance;
const workers: { worker: Worker; running: Promise<void> }[] = [];

async function startBuild(buildId: string, workflowBundle: { codePath: string } | { code: string } = { codePath: stack().workflowBundlePath }): Promise<void> {
  const worker = await createCutoverWorker({
    connection,
    taskQueue,
    activities: realActivities(),
    workflowBundle,
    deployment: { name: deploymentName, buildId },
  });
  workers.push({ worker, running: worker.run() });
}

const describeDeployment = () => connection.workflowService.describeWorkerDeployment({ namespace: NAMESPACE, deploymentName });
const currentBuild = async () => (await describeDeployment()).workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: stack().temporalAddress });
  client = new Client({ connection: await connectClient({ address: stack().temporalAddress }) });
  app = await buildApp({ config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test'), temporal: client, taskQueue });
});
afterAll(async () => {
  await app?.close();
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await client?.connection.close();
  await connection?.close();
});

describe('worker deployment versioning', () => {
  it('the first build becomes current by itself; a later one waits for promotion, then takes over running migrations with their plan', { timeout: 240_000 }, async () => {
    await startBuild('b1');
    await promoteIfFirstVersion(connection, NAMESPACE, { name: deploymentName, buildId: 'b1' }, silent);
    expect(await currentBuild()).toBe('b1');

    // Steps and observe window left to the defaults: the plan fixed at the start has them.
    const { spec } = await seededSpec();
    delete spec.traffic.steps;
    delete spec.traffic.observe;
    const started = await app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    const handle = client.workflow.getHandle(id);
    const buildOf = async () => (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
    expect(await buildOf()).toBe('b1');

    const planned = (await status()).plan.steps.map((step: { weights: { green: number } }) => step.weights.green);
    expect(planned).toEqual([20, 50, 80, 100]);

    // b2 polls beside b1 but is not made current: b1 keeps the migration. b2 is a later build
    // whose defaults differ (one step straight to 100 %).
    await startBuild('b2', { code: await bundleEdited(OTHER_DEFAULTS) });
    await eventually(describeDeployment, (d) => !!d.workerDeploymentInfo?.versionSummaries?.some((v) => v.deploymentVersion?.buildId === 'b2'));
    await promoteIfFirstVersion(connection, NAMESPACE, { name: deploymentName, buildId: 'b2' }, silent);
    expect(await currentBuild()).toBe('b1');

    // A person promotes b2; the migration's next task (the approval) runs on it.
    const { conflictToken } = await describeDeployment();
    await connection.workflowService.setWorkerDeploymentCurrentVersion({ namespace: NAMESPACE, deploymentName, buildId: 'b2', conflictToken });
    expect(await currentBuild()).toBe('b2');
    const approved = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });
    expect(approved.statusCode, approved.body).toBe(200);
    // The plan it started with: green 20 %, never the later build's 100 %.
    const moved = await eventually(status, (s) => s.weights.green > 0);
    expect(moved.weights).toEqual({ blue: 80, green: 20 });
    expect(moved.plan.steps.map((step: { weights: { green: number } }) => step.weights.green)).toEqual(planned);
    expect(await buildOf()).toBe('b2');
  });
});
