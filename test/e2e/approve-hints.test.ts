// The approve hints a person is shown, run exactly as shown: the Temporal UI's current details
// and each gate's notification carry a `cutover approve` command and a curl command. A person
// has `cutover` on their PATH and CUTOVER_API_URL and CUTOVER_TOKEN set (what the CLI reads),
// pastes one into a shell, and the gate is approved.
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { run } from '../../cli/commands.js';
import { createAwsClients } from '../../activities/aws.js';
import { call, seededSpec } from '../api/support.js';
import { CLI_BIN, type CliResult } from '../cli/support.js';
import { eventually, recordingWebhook, stack, startHarness, type RecordedNotification, type Harness } from '../helpers.js';

let api: Harness;
let apiUrl: string;
let webhook: Awaited<ReturnType<typeof recordingWebhook>>;
let notifications: RecordedNotification[] = [];

// `cutover` on the PATH, as `npm install -g` or `npm link` puts it there.
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

/** The two commands of an approve hint, as the text shows them. */
function hintIn(text: string): { cli: string; curl: string } {
  const found = /`(cutover approve [^`]+)` \(or: `(curl [^`]+)`\)/.exec(text);
  if (!found) throw new Error(`no approve hint in: ${text}`);
  return { cli: found[1], curl: found[2] };
}

/** Pastes `command` into a shell as the person holding `token`. */
async function paste(command: string, token: string): Promise<CliResult> {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: token };
  try {
    const { stdout, stderr } = await promisify(execFile)('/bin/sh', ['-c', command], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the approve hints', () => {
  it('approve each gate when pasted as shown, from the Temporal UI and from the notifications', async () => {
    const { spec } = await seededSpec({ traffic: { steps: [20, 50, 100], stepApproval: 'manual', observe: '0s' } });
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    const handle = api.client.workflow.getHandle(id);

    /** The hint the Temporal UI shows under the run's current details once `gate` waits. */
    const fromUi = async (gate: string) => {
      const details = await eventually(
        async () => (await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails,
        (text) => text.includes(`**Waiting for** gate ${gate} `),
      );
      return hintIn(details);
    };
    /** The hint in the notification that `gate` waits. */
    const fromNotification = async (gate: string) => {
      const sent = await eventually(
        async () => notifications.find((n) => n.migrationId === id && n.event === 'gate-pending' && n.text.startsWith(`${id}: gate ${gate} waits`)),
        (n) => n !== undefined,
      );
      return hintIn(sent!.text);
    };
    /** The gate is no longer pending, and the audit has its approval by `subject`. */
    const approvedBy = async (gate: string, subject: string) => {
      const after = await eventually(status, (s) => s.audit.some((e: { action: string; detail?: { gate?: string } }) => e.action === 'gate-approve' && e.detail?.gate === gate));
      expect(after.audit.find((e: { action: string; detail?: { gate?: string } }) => e.action === 'gate-approve' && e.detail?.gate === gate).actor).toBe(subject);
    };

    // cutover: the CLI command from the UI (the notification shows the same).
    const cutoverHint = await fromUi('cutover');
    expect(await fromNotification('cutover')).toEqual(cutoverHint);
    expect(cutoverHint.cli).toBe(`cutover approve ${id} --gate cutover`);
    const cli = await paste(cutoverHint.cli, 'dev-approver-1');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe('cutover: approved (1 of 1 approvals: the policy is met)');
    await approvedBy('cutover', 'alice@sandbox');

    // step-2: curl from the UI.
    const step2 = await fromUi('step-2');
    expect(await fromNotification('step-2')).toEqual(step2);
    const curl = await paste(step2.curl, 'dev-approver-1');
    expect(curl.code, curl.stderr).toBe(0);
    expect(JSON.parse(curl.stdout)).toMatchObject({ gate: 'step-2', decision: 'approve' });
    await approvedBy('step-2', 'alice@sandbox');

    // step-3: the CLI command from the notification.
    const step3 = await fromNotification('step-3');
    const cli3 = await paste(step3.cli, 'dev-approver-1');
    expect(cli3.code, cli3.stderr).toBe(0);
    await approvedBy('step-3', 'alice@sandbox');

    // decommission: curl from the notification, by the two other approvers its policy needs.
    const decommission = await fromNotification('decommission');
    const curl4 = await paste(decommission.curl, 'dev-approver-2');
    expect(curl4.code, curl4.stderr).toBe(0);
    expect(JSON.parse(curl4.stdout)).toMatchObject({ gate: 'decommission', decision: 'approve', approvals: 1, required: 2, met: false });
    const curl5 = await paste(decommission.curl, 'dev-approver-3');
    expect(JSON.parse(curl5.stdout)).toMatchObject({ gate: 'decommission', approvals: 2, required: 2, met: true });
    await approvedBy('decommission', 'carol@sandbox');
    await eventually(status, (s) => s.phase === 'completed');
  });

  it('the CLI takes the gate positionally or as --gate, not both', async () => {
    // Refused before any request: the command line itself, in process.
    let stderr = '';
    const sink = new Writable({ write: (chunk, _encoding, done) => ((stderr += String(chunk)), done()) });
    const io = { stdout: sink, stderr: sink, env: { CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: 'dev-approver-1' } };
    expect(await run(['approve', 'migration-us-east-1-x', 'cutover', '--gate', 'step-2'], io)).toBe(2);
    expect(stderr).toContain('the gate twice: "cutover" and --gate "step-2"; give it once');
    stderr = '';
    expect(await run(['approve', 'migration-us-east-1-x'], io)).toBe(2);
    expect(stderr).toContain('missing a gate');
  });
});
