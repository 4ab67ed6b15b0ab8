// The `cutover` CLI end to end, as a person would use it: the real bin as a child process
// against the real API (listening on a port) on the real dev server, worker and moto.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { eventually, startHarness, type Harness } from '../helpers.js';
import { call, seededSpec, weightsInMoto } from '../api/support.js';
import { CLI_BIN, runCli } from './support.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-cli-'));
// Colour is the CLI's choice: into a pipe, none, whatever this shell says.
delete process.env.NO_COLOR;

let api: Harness;
let apiUrl: string;
beforeAll(async () => {
  api = await startHarness();
  apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
});

/** Runs `cutover …` as dev-viewer until it exits by itself, however long (the test's timeout bounds it). */
function untilExit(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: 'dev-viewer' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `cutover …` to completion as `token`. */
const cutover = (token: string | undefined, ...args: string[]) => runCli(apiUrl, token, ...args);

describe('cutover CLI', () => {
  it('starts from YAML, approves, watches a step land, and rolls back with --wait', async () => {
    const { spec } = await seededSpec();
    const specFile = path.join(dir, 'spec.yaml');
    writeFileSync(specFile, stringify(spec));

    const plan = await cutover('dev-viewer', 'plan', '-f', specFile);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/steps\n\s+1\.\s+blue 80 %\s+green 20 %/);

    const started = await cutover('dev-operator', 'start', '-f', specFile);
    expect(started.code, started.stderr).toBe(0);
    const id = /^started (\S+)/.exec(started.stdout)![1];
    expect(id).toBe(`migration-${spec.region}-${spec.blue.cluster}`);

    const viewerStatus = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    await eventually(viewerStatus, (s) => s.pendingGate?.gate === 'cutover');
    const status = await cutover('dev-viewer', 'status', id);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/phase\s+awaiting-cutover/);
    expect(status.stdout).toMatch(/pending gate\s+cutover, waiting \d+s/);
    expect(status.stdout).toMatch(/weights\s+blue 100 %\s+green 0 %/);

    // Visibility catches up within a moment; the list then shows the migration in its row.
    const listed = await eventually(() => cutover('dev-viewer', 'list', '--blue', spec.blue.cluster), (r) => r.stdout.includes(id));
    expect(listed.stdout).toMatch(new RegExp(`^ID\\s+PHASE\\s+STATUS[^\\n]*\\n${id}\\s+awaiting-cutover\\s+RUNNING\\s+${spec.blue.cluster} → ${spec.green.cluster}\\s+1\\.34`));

    // watch runs until killed; into a pipe it prints one line per change.
    const watch = spawn(process.execPath, [CLI_BIN, 'watch', id], { env: { ...process.env, CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: 'dev-viewer' } });
    let watched = '';
    watch.stdout.on('data', (chunk) => (watched += String(chunk)));
    try {
      await eventually(async () => watched, (text) => text.includes('waiting for gate cutover'));

      const approved = await cutover('dev-approver-1', 'approve', id, 'cutover', '--comment', 'go');
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout.trim()).toBe('cutover: approved (1 of 1 approvals: the policy is met)');

      // The step shows first, then its weights once Route 53 has them.
      const landed = /phase shifting\s+blue 80\/green 20\s+step 1\/3/;
      await eventually(async () => watched, (text) => landed.test(text));
    } finally {
      watch.kill();
    }

    const again = await cutover('dev-approver-1', 'approve', id, 'cutover');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 Conflict: gate cutover is not pending \(phase shifting\)/);

    const rolledBack = await cutover('dev-operator', 'rollback', id, '--reason', 'cli test', '--wait');
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout.trim()).toBe('rolled back: blue 100 %, green 0 %');
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);

    const aborted = await cutover('dev-operator', 'abort', id, '--reason', 'done testing');
    expect(aborted.code, aborted.stderr).toBe(0);
    await eventually(viewerStatus, (s) => s.phase === 'aborted');
  });

  it('prints the whole audit, all pages, as a table or with -o json, also once the migration has ended', async () => {
    const { spec } = await seededSpec();
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: { ...spec, team: 'payments' } });
    expect(started.statusCode, started.body).toBe(201);
    const id: string = started.json().id;
    const viewerStatus = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    await eventually(viewerStatus, (s) => s.pendingGate?.gate === 'cutover');
    for (const action of ['pause', 'resume', 'pause', 'resume']) {
      expect((await cutover('dev-operator', action, id, '--reason', `cli ${action}`)).code).toBe(0);
    }
    const api404 = await cutover('dev-viewer', 'audit', 'migration-us-east-1-nobody');
    expect(api404.code).toBe(1);
    expect(api404.stderr).toMatch(/404 Not Found: no migration migration-us-east-1-nobody/);

    const whole = (await call(api.app, { method: 'GET', url: `/v1/migrations/${id}/audit?limit=1000`, token: 'dev-viewer' })).json().entries as { at: string; action: string; reason: string }[];
    expect(whole.length).toBeGreaterThan(4);
    // Two entries a page: the CLI follows every cursor.
    const json = await cutover('dev-viewer', 'audit', id, '--page-size', '2', '-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id, entries: whole });
    const table = await cutover('dev-viewer', 'audit', id, '--page-size', '2');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^audit of ${id} \\(${whole.length} entries\\)\nAT\\s+ACTOR\\s+ACTION\\s+REASON\\s+DETAILS\n`));
    expect(table.stdout.trim().split('\n')).toHaveLength(whole.length + 2);
    expect(table.stdout).toMatch(/ops@sandbox\s+pause\s+cli pause/);
    const status = await cutover('dev-viewer', 'status', id);
    expect(status.stdout).toMatch(/team\s+payments/);
    const byTeam = await eventually(() => cutover('dev-viewer', 'list', '--team', 'payments'), (r) => r.stdout.includes(id));
    expect(byTeam.stdout).toMatch(new RegExp(`${id}\\s.*payments`));

    expect((await cutover('dev-operator', 'cancel', id)).code).toBe(0);
    await eventually(viewerStatus, (s) => s.workflowStatus !== 'RUNNING');
    const closed = JSON.parse((await cutover('dev-viewer', 'audit', id, '-o', 'json')).stdout).entries as { action: string }[];
    expect(closed.slice(0, whole.length)).toEqual(whole);
    expect(closed.map((e) => e.action)).toContain('cancel');
    expect(parseYaml((await cutover('dev-viewer', 'audit', id, '-o', 'yaml')).stdout)).toEqual({ id, entries: closed });
  });

  it('wait exits 0 once the condition holds, 2 on timeout, 1 when the migration ends without it; -o yaml reads back as -o json; a pipe gets no colour', async () => {
    const { spec } = await seededSpec();
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const id: string = started.json().id;

    // Started before the gate is pending: it follows the events stream until it is (the test's timeout bounds it).
    const gate = await untilExit('wait', id, '--for', 'gate=cutover', '--timeout', '10m');
    expect(gate.code, gate.stderr).toBe(0);
    expect(gate.stdout).toBe(`${id}: gate cutover pending\n`);
    // One progress line per change on stderr, the last one where it stopped.
    expect(gate.stderr.trim().split('\n').at(-1)).toMatch(/phase awaiting-cutover\s+blue 100\/green 0\s+waiting for gate cutover/);

    // Already there: at once; -o json prints only the status it saw, -o yaml the same as YAML.
    const json = await cutover('dev-viewer', 'wait', id, '--for', 'gate=cutover', '-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ id, phase: 'awaiting-cutover', pendingGate: { gate: 'cutover' } });
    const auditJson = await cutover('dev-viewer', 'audit', id, '-o', 'json');
    const auditYaml = await cutover('dev-viewer', 'audit', id, '-o', 'yaml');
    expect(auditYaml.code, auditYaml.stderr).toBe(0);
    expect(parseYaml(auditYaml.stdout)).toEqual(JSON.parse(auditJson.stdout));

    const timedOut = await cutover('dev-viewer', 'wait', id, '--for', 'phase=baking', '--timeout', '2s');
    expect(timedOut.code).toBe(2);
    expect(timedOut.stderr).toContain('cutover: timed out after 2s waiting for phase baking (phase awaiting-cutover, green 0 %, gate cutover pending)');

    // Into a pipe, never an escape code, even in the views that colour on a terminal.
    const specFile = path.join(dir, 'wait.yaml');
    writeFileSync(specFile, stringify(spec));
    for (const args of [['status', id, '-o', 'wide'], ['list', '-o', 'wide'], ['plan', '-f', specFile]]) {
      const piped = await cutover('dev-viewer', ...args);
      expect(piped.code, piped.stderr).toBe(0);
      expect(piped.stdout).toContain(args[0] === 'plan' ? 'plan for' : id);
      expect(piped.stdout + piped.stderr).not.toContain('\x1b[');
    }

    // Cancelled while it waits: the migration will not get there.
    const ending = untilExit('wait', id, '--for', 'phase=baking', '--timeout', '10m');
    expect((await cutover('dev-operator', 'cancel', id, '--reason', 'wait test')).code).toBe(0);
    const ended = await ending;
    expect(ended.code, ended.stderr).toBe(1);
    expect(ended.stderr).toMatch(new RegExp(`cutover: ${id} ended in phase [\\w-]+ \\(\\w+\\) without phase baking\\n$`));
  });

  it('plan --inspect prints the plan, the findings by severity, the live weights and each check, and exits 3 on a blocking finding', async () => {
    const { spec } = await seededSpec();
    // A green to adopt that does not exist: preflight's blocking finding, read live.
    const specFile = path.join(dir, 'adopt.yaml');
    writeFileSync(specFile, stringify({ ...spec, green: { ...spec.green, mode: 'adopt' } }));

    const inspected = await cutover('dev-viewer', 'plan', '--inspect', '-f', specFile, '--timeout', '60s');
    expect(inspected.code, inspected.stderr).toBe(3);
    expect(inspected.stdout).toMatch(/^plan for migration-\S+ \(nothing started\)/);
    expect(inspected.stdout).toMatch(new RegExp(`\\ninspection inspect-[\\w-]+ \\(read-only, took \\d+s\\)\\n  blocking \\(1\\)\\n    eks\\s+green ${spec.green.cluster} to adopt does not exist\\n`));
    expect(inspected.stdout).toMatch(/\n {2}weights blue 100 % green 0 %\n {2}checks\n {4}preflight\s+finding\s+\d+ ms\n {4}routing\s+ok\s+\d+ ms\n {4}validation\s+\w+\s+\d+ ms\n {4}permissions\s+ok\s+\d+ ms\n$/);

    const json = await cutover('dev-viewer', 'plan', '--inspect', '-f', specFile, '-o', 'json');
    expect(json.code, json.stderr).toBe(3);
    expect(JSON.parse(json.stdout).inspection.findings).toContainEqual({ severity: 'blocking', source: 'eks', message: `green ${spec.green.cluster} to adopt does not exist` });

    expect((await cutover('dev-viewer', 'plan', '-f', specFile, '--timeout', '60s')).code).toBe(2);
  });

  it("exits non-zero with the API's own words", async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ region: 'us-east-1', blue: { cluster: 'b' }, green: { cluster: 'g', kubernetesVersion: '1.34' }, traffic: { driver: 'route53', steps: [50, 20] } }));
    const invalid = await cutover('dev-operator', 'start', '-f', bad);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('400 Bad Request: invalid migration spec');
    expect(invalid.stderr).toContain('/traffic/steps/1: must be greater than previous step');
    expect(invalid.stderr).toContain('/traffic/route53: required when driver is route53');
    expect(invalid.stderr).toMatch(/request id: \S+/);

    const forbidden = await cutover('dev-viewer', 'pause', 'migration-us-east-1-x');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('403 Forbidden: viewer@sandbox has role viewer; this needs operator or above');

    const missing = await cutover('dev-viewer', 'status', 'migration-us-east-1-nothing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 Not Found: no migration migration-us-east-1-nothing');

    const json = path.join(dir, 'broken.json');
    writeFileSync(json, '{"region": ');
    const unreadable = await cutover('dev-operator', 'plan', '-f', json);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('is not valid JSON');

    const anonymous = await cutover(undefined, 'list');
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toContain('no token');

    const wrongToken = await cutover('not-a-token', 'list');
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('401 Unauthorized');
  });
});
