// REST → workflow → real activities → moto: a whole migration, checked in moto itself.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { createAwsClients } from '../../activities/aws.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, eventually, seededSpec, stack, startHarness, type Harness } from '../helpers.js';

let harness: Harness;
let green: http.Server;
let greenUrl: string;

beforeAll(async () => {
  harness = await startHarness();
  // Stands in for green's load balancer; the smoke check must send the production Host header.
  green = http.createServer((req, res) => {
    res.statusCode = req.headers.host === 'app.example.test' ? 200 : 421;
    res.end('ok');
  });
  await new Promise<void>((r) => green.listen(0, '127.0.0.1', r));
  greenUrl = `http://127.0.0.1:${(green.address() as { port: number }).port}/`;
});
afterAll(async () => {
  await harness?.close();
  green?.close();
});

const specFor = (traffic: Partial<MigrationSpec['traffic']> = {}) =>
  seededSpec({ traffic: { observe: '0s', ...traffic }, health: { smoke: [{ url: greenUrl, host: 'app.example.test', expectStatus: 200 }], interval: '1s' } });

const aws = () => createAwsClients({ endpoint: stack().motoUrl });

describe('a sandbox migration over REST', () => {
  it('shifts the weights in moto step by step, after approval, then retires blue', async () => {
    const { spec, w } = await specFor();
    const target = resolveSpec(spec).traffic.route53!;
    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());

    const atGate = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect(atGate.phase).toBe('awaiting-cutover');
    expect(await readRoute53Weights(aws().route53('us-east-1'), target)).toEqual([{ blue: 100, green: 0 }]);

    const selfApproval = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-operator'), payload: { gate: 'cutover', decision: 'approve' } });
    expect(selfApproval.statusCode).toBe(403); // an operator is no approver

    const approved = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve', comment: 'go' } });
    expect(approved.statusCode, approved.body).toBe(200);

    const baked = await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    expect(baked.weights).toEqual({ blue: 0, green: 100 });
    expect(await readRoute53Weights(aws().route53('us-east-1'), target)).toEqual([{ blue: 0, green: 100 }]);
    const shifts = baked.audit.filter((e: { action: string }) => e.action === 'set-weights').map((e: { detail: { green: number } }) => e.detail.green);
    expect(shifts).toEqual([20, 50, 100]);

    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-2'), payload: { gate: 'decommission', decision: 'approve' } });
    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-3'), payload: { gate: 'decommission', decision: 'approve' } });
    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(done.blueDeleted).toBe(true);
    await expect(aws().eks(w.world.region).send(new DescribeClusterCommand({ name: w.world.blue }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(readRoute53Weights(aws().route53('us-east-1'), target)).rejects.toThrow(/SetIdentifier "blue" not found/);
  });

  it('rolls back with ?wait=true: 200 only once moto has blue at 100', async () => {
    const { spec } = await specFor({ observe: '1h' });
    const target = resolveSpec(spec).traffic.route53!;
    const { id } = (await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec })).json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });
    await eventually(status, (s) => s.weights.green === 20);
    expect(await readRoute53Weights(aws().route53('us-east-1'), target)).toEqual([{ blue: 80, green: 20 }]);

    const rollback = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, headers: auth('dev-operator'), payload: { reason: 'error rate' } });
    expect(rollback.statusCode, rollback.body).toBe(200);
    expect(await readRoute53Weights(aws().route53('us-east-1'), target)).toEqual([{ blue: 100, green: 0 }]);
    const after = await status();
    expect(after.phase).toBe('rolled-back');
    expect(after.audit.at(-1)).toMatchObject({ actor: 'ops@sandbox', action: 'set-weights', reason: 'error rate' });

    const again = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/rollback`, headers: auth('dev-operator'), payload: { reason: 'twice' } });
    expect(again.statusCode).toBe(409);
    const abort = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/abort`, headers: auth('dev-operator') });
    expect(abort.statusCode).toBe(200);
    await eventually(status, (s) => s.phase === 'aborted' && s.workflowStatus === 'COMPLETED');
  });
});
