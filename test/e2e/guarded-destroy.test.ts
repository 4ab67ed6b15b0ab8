// A guarded destroy over REST on the sandbox: the decommission gate approved, the last delay
// announced (its end and the keep-blue command, in the notification and the status), keep-blue
// pasted from the notification sends the migration back to the gate with nothing of blue
// deleted; approved again, the delay runs out and blue is deleted in moto. The spec's last delay
// is short (real time here).
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { call, seededSpec } from '../api/support.js';
import { CLI_BIN } from '../cli/support.js';
import { eventually, recordingWebhook, stack, startHarness, type RecordedNotification, TEST_DECOMMISSION, type Harness } from '../helpers.js';

let api: Harness;
let apiUrl: string;
let webhook: Awaited<ReturnType<typeof recordingWebhook>>;
let notifications: RecordedNotification[] = [];
const bin = mkdtempSync(path.join(os.tmpdir(), 'cutover-bin-'));
symlinkSync(CLI_BIN, path.join(bin, 'cutover'));

beforeAll(async () => {
  // The channel's webhook: every notification's JSON body, kept.
  webhook = await recordingWebhook();
  notifications = webhook.received;
  const webhookUrl = webhook.url;
  api = await startHarness(createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), notify: { defaultUrl: webhookUrl } }));
  apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
  await webhook?.close();
});

/** Pastes `command` into a shell as the person holding `token`. */
async function paste(command: string, token: string) {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: token };
  return promisify(execFile)('/bin/sh', ['-c', command], { env, timeout: 60_000 });
}

describe('guarded destroy over REST', () => {
  it('announces the last delay after the decommission gate; keep-blue from the notification returns to the gate; approved again, blue goes after the delay', async () => {
    const { spec } = await seededSpec({ traffic: { steps: [100], observe: '0s' }, decommission: { ...TEST_DECOMMISSION, lastDelay: '20s' } });
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const M = `/v1/migrations/${id}`;
    const status = () => call(api.app, { method: 'GET', url: M, token: 'dev-viewer' }).then((r) => r.json());
    const post = (suffix: string, token: string, payload: object) => call(api.app, { method: 'POST', url: `${M}${suffix}`, token, payload });
    const blueExists = async () => {
      try {
        await createAwsClients({ endpoint: stack().motoUrl }).eks(spec.region).send(new DescribeClusterCommand({ name: spec.blue.cluster }));
        return true;
      } catch {
        return false;
      }
    };

    expect((await status()).plan.decommission).toMatchObject({ lastDelay: '20s', drain: `none: ${TEST_DECOMMISSION.drain.none}` });
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect((await post('/approvals', 'dev-approver-1', { gate: 'cutover', decision: 'approve' })).statusCode).toBe(200);
    await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    // No delay runs yet: keep-blue is a 409.
    const early = await post('/keep-blue', 'dev-operator', { reason: 'too early' });
    expect(early.statusCode, early.body).toBe(409);

    expect((await post('/approvals', 'dev-approver-2', { gate: 'decommission', decision: 'approve' })).statusCode).toBe(200);
    expect((await post('/approvals', 'dev-approver-3', { gate: 'decommission', decision: 'approve' })).statusCode).toBe(200);
    const during = await eventually(status, (s) => !!s.lastDelay);
    expect(during.phase).toBe('awaiting-decommission');
    expect(during.timers).toContainEqual({ name: 'last-delay', firesAt: during.lastDelay.endsAt });
    const announced = await eventually(
      async () => notifications.find((n) => n.migrationId === id && n.event === 'last-delay'),
      (n) => n !== undefined,
    );
    expect(announced!.text).toContain(`will be deleted at ${during.lastDelay.endsAt}`);
    const command = /`(cutover keep-blue [^`]+)`/.exec(announced!.text)![1].replace('--reason R', "--reason 'payments still batch on blue'");

    const kept = await paste(command, 'dev-operator');
    expect(kept.stdout.trim()).toBe('keep-blue: accepted');
    const back = await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    expect(back.lastDelay).toBeUndefined();
    expect(back.audit).toContainEqual(expect.objectContaining({ action: 'keep-blue', actor: 'ops@sandbox', reason: 'payments still batch on blue' }));
    expect(await blueExists()).toBe(true);
    expect((await post('/keep-blue', 'dev-operator', {})).statusCode).toBe(409);

    expect((await post('/approvals', 'dev-approver-2', { gate: 'decommission', decision: 'approve' })).statusCode).toBe(200);
    expect((await post('/approvals', 'dev-approver-3', { gate: 'decommission', decision: 'approve' })).statusCode).toBe(200);
    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(done.blueDeleted).toBe(true);
    expect(await blueExists()).toBe(false);
    expect(notifications.filter((n) => n.migrationId === id && n.event === 'last-delay')).toHaveLength(2);
  }, 180_000);
});
