// The production entry points exactly as the image runs them: `npm run build` (TypeScript to
// dist/, the workflow bundle), then `node dist/cli/main.js setup`, `node dist/worker/main.js`
// and `node dist/api/main.js` as processes with only environment variables for config, their
// health checked with the image's HEALTHCHECK script, and a migration driven through REST from
// start to completion. They run in a Temporal namespace of their own, fresh (no search
// attributes until setup), against this run's Temporal dev server and moto.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTools } from '../../scripts/stack/peers.js';
import { freePort } from '../../scripts/stack/processes.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages.js';
import { eventually, seededSpec, stack } from '../helpers.js';
import tokensExample from '../../deploy/tokens.example.json' with { type: 'json' };

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const namespace = `cutover-image-${randomBytes(3).toString('hex')}`;

/** The example tokens file, as an operator would start from it: token of each subject. */
const token = (subject: string) => Object.entries(tokensExample).find(([, p]) => p.subject === subject)![0];
const OPERATOR = token('ops@example.com');
const APPROVER_1 = token('alice@example.com');
const APPROVER_2 = token('bob@example.com');
const APPROVER_3 = token('carol@example.com');
const VIEWER = token('dashboards@example.com');

/** The parts of GET /v1/migrations/{id} this test reads. */
interface Status {
  phase: string;
  weights: { blue: number; green: number };
  pendingGate?: { gate: string };
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** A process with only the environment the image would give it (plus PATH and HOME). */
function start(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The image's HEALTHCHECK command, as Docker would run it inside the container. */
async function healthy(env: Record<string, string>, url?: string): Promise<boolean> {
  return run(process.execPath, ['bin/healthcheck.mjs', ...(url ? [url] : [])], { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } }).then(
    () => true,
    () => false,
  );
}

let temporalEnv: Record<string, string>;
let worker: Started | undefined;
let api: Started | undefined;
let apiUrl: string;
let workerHealth: string;

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 600_000 });
  // As docker-compose.yml's namespace job does it.
  await run(resolveTools().temporal, ['operator', 'namespace', 'create', '-n', namespace, '--retention', '24h', '--address', stack().temporalAddress]);
  temporalEnv = { TEMPORAL_ADDRESS: stack().temporalAddress, TEMPORAL_NAMESPACE: namespace };
}, 900_000);

afterAll(async () => {
  for (const p of [api, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('the compiled entry points', () => {
  it('npm run build leaves the worker, the API, the CLI and the workflow bundle in dist/', () => {
    for (const file of ['dist/worker/main.js', 'dist/api/main.js', 'dist/cli/main.js', 'dist/workflow-bundle.js']) expect(existsSync(path.join(ROOT, file)), file).toBe(true);
  });

  it('setup prepares the fresh namespace', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli/main.js', 'setup', '--wait', '30'], { cwd: ROOT, env: { PATH: process.env.PATH!, ...temporalEnv } });
    for (const key of Object.values(SEARCH_ATTRIBUTES)) expect(stdout).toMatch(new RegExp(`created\\s+${key.name}`));
  });

  it('the worker loads the prebuilt bundle and reports ready on its health port', async () => {
    const healthPort = await freePort();
    workerHealth = `http://127.0.0.1:${healthPort}/readyz`;
    worker = start(['--enable-source-maps', 'dist/worker/main.js'], {
      ...temporalEnv,
      CUTOVER_MODE: 'sandbox',
      CUTOVER_AWS_ENDPOINT: stack().motoUrl,
      CUTOVER_WORKER_HEALTH_PORT: String(healthPort),
      CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS: '5',
    });
    await eventually(() => healthy({}, workerHealth), (ok) => ok || worker!.child.exitCode !== null);
    expect(worker.child.exitCode, worker.output()).toBeNull();
    // Its log is JSON lines; the start line says which workflow code it loaded.
    const lines = worker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; workflows?: string });
    expect(lines.find((l) => l.msg.startsWith('cutover worker polling'))?.workflows, worker.output()).toBe(path.join(ROOT, 'dist/workflow-bundle.js'));
  });

  it('the API starts with the example tokens file and reports ready', async () => {
    const port = String(await freePort());
    apiUrl = `http://127.0.0.1:${port}`;
    const env = { CUTOVER_API_PORT: port };
    api = start(['--enable-source-maps', 'dist/api/main.js'], {
      ...temporalEnv,
      ...env,
      CUTOVER_MODE: 'sandbox',
      CUTOVER_AWS_ENDPOINT: stack().motoUrl,
      CUTOVER_TOKENS_FILE: path.join(ROOT, 'deploy/tokens.example.json'),
      LOG_LEVEL: 'warn',
    });
    await eventually(() => healthy(env), (ok) => ok || api!.child.exitCode !== null);
    expect(api.child.exitCode, api.output()).toBeNull();
  });

  it('drives a migration through REST from start to completion', async () => {
    const call = async <T = { id: string }>(method: string, url: string, bearer: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const { spec } = await seededSpec({ traffic: { observe: '0s' } });
    const started = await call('POST', '/v1/migrations', OPERATOR, spec);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id: string = started.body.id;
    const status = async () => (await call<Status>('GET', `/v1/migrations/${id}`, VIEWER)).body;

    const atCutover = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect(atCutover.weights).toEqual({ blue: 100, green: 0 });
    expect((await call('POST', `/v1/migrations/${id}/approvals`, APPROVER_1, { gate: 'cutover', decision: 'approve' })).status).toBe(200);

    const atDecommission = await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    expect(atDecommission.weights).toEqual({ blue: 0, green: 100 });
    expect((await call('POST', `/v1/migrations/${id}/approvals`, APPROVER_2, { gate: 'decommission', decision: 'approve' })).status).toBe(200);
    expect((await call('POST', `/v1/migrations/${id}/approvals`, APPROVER_3, { gate: 'decommission', decision: 'approve' })).status).toBe(200);
    await eventually(status, (s) => s.phase === 'completed');

    // Listed by its search attributes, in the namespace setup prepared.
    const listed = await eventually(
      async () => (await call<{ migrations: { id: string }[] }>('GET', `/v1/migrations?phase=completed&blue=${spec.blue.cluster}`, VIEWER)).body.migrations,
      (items) => items.some((m) => m.id === id),
    );
    expect(listed.map((m) => m.id)).toEqual([id]);
  });

  it("the worker's log holds JSON lines only, after a migration's AWS calls", () => {
    const notJson = worker!
      .output()
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('{'));
    // Before Node.js 22 (20: end of life, kept for development machines) the AWS SDK warns on
    // stderr that its releases after the first week of January 2027 need 22; the image runs 24.
    if (Number(process.versions.node.split('.')[0]) < 22) expect(notJson.join('\n')).toContain('NodeVersionSupportWarning');
    else expect(notJson).toEqual([]);
  });

  it('both stop cleanly on SIGTERM, as `docker stop` and Kubernetes send it', async () => {
    api!.child.kill('SIGTERM');
    worker!.child.kill('SIGTERM');
    expect(await api!.exited, api!.output()).toBe(0);
    expect(await worker!.exited, worker!.output()).toBe(0);
    expect(await healthy({}, workerHealth)).toBe(false);
  });
});
