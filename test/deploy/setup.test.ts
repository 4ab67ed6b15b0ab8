// `cutover setup` against a Temporal that has never seen Cutover: a dev server started without
// the sandbox's --search-attribute flags, as a fresh docker-compose or Temporal Cloud namespace
// is. Migrations are started with @temporalio/client directly, with the typed search attributes
// the API sets (the compiled API does the same through REST in image-entrypoints.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { run } from '../../cli/commands.js';
import { resolveTools, startTemporal } from '../../scripts/stack/peers.js';
import { freePort, ProcessGroup } from '../../scripts/stack/processes.js';
import { describeProblems, inspectSearchAttributes } from '../../worker/search-attributes.js';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { eventually, uniqueName } from '../helpers.js';
import { connectClient } from '../../config/connections.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NAMES = Object.values(SEARCH_ATTRIBUTES).map((k) => k.name);

let group: ProcessGroup;
let address: string;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  group = new ProcessGroup(path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-setup-')), 'logs'));
  const temporal = await startTemporal(group, resolveTools(), { port: await freePort(), httpPort: await freePort(), metricsPort: await freePort(), searchAttributes: false });
  address = temporal.address;
  connection = await connectClient({ address });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await group?.stop();
});

async function cutover(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (append(String(chunk)), done()) });
  const code = await run(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' } });
  return { code, stdout, stderr };
}

/** What the API does for POST /v1/migrations, minus the spec checks: a start with every attribute. */
function startMigration(blue: string) {
  return client.workflow.start(WORKFLOW_TYPE, {
    taskQueue: uniqueName('tq-nobody-polls'),
    workflowId: `migration-us-east-1-${blue}`,
    args: [{ spec: {}, startedBy: 'setup-test' }],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.phase, value: 'preflight' },
      { key: SEARCH_ATTRIBUTES.blue, value: blue },
      { key: SEARCH_ATTRIBUTES.green, value: `${blue}-green` },
      { key: SEARCH_ATTRIBUTES.targetVersion, value: '1.34' },
    ],
  });
}

describe('a namespace without Cutover search attributes', () => {
  it('refuses a migration start, as the API\'s 400 "Temporal refused this migration" reported', async () => {
    const refused = await startMigration(uniqueName('refused')).then(
      () => undefined,
      (err: { cause?: { code?: number; details?: string } }) => err.cause,
    );
    expect(refused).toMatchObject({ code: 3 /* INVALID_ARGUMENT, the API's 400 */, details: expect.stringMatching(/Cutover(Phase|Blue|Green|TargetVersion)/) });
  });

  it('stops the worker at start, naming each missing attribute and both ways to add it', async () => {
    const report = await inspectSearchAttributes(connection, 'default');
    expect(report.missing.map((a) => a.name)).toEqual(NAMES);
    const worker = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
      env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', CUTOVER_MODE: 'sandbox' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(worker.code).toBe(1);
    for (const name of NAMES) expect(worker.stderr).toContain(`${name} (Keyword)`);
    expect(worker.stderr).toContain('npx cutover setup');
    expect(worker.stderr).toContain('tcld namespace search-attributes add --namespace default --sa "CutoverPhase=Keyword" --sa "CutoverBlue=Keyword"');
    expect(worker.stderr).toContain(describeProblems('default', report)!);
  });

  it('setup --check reports them missing and changes nothing', async () => {
    const check = await cutover('setup', '--check');
    expect(check.code).toBe(1);
    for (const name of NAMES) expect(check.stdout).toMatch(new RegExp(`missing\\s+${name}\\s+Keyword`));
    expect((await inspectSearchAttributes(connection, 'default')).missing).toHaveLength(NAMES.length);
  });
});

describe('cutover setup', () => {
  it('creates every attribute and says so; then a migration starts with them and is found by them', async () => {
    const first = await cutover('setup');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Temporal ${address}, namespace default`);
    for (const name of NAMES) expect(first.stdout).toMatch(new RegExp(`created\\s+${name}\\s+Keyword`));
    expect(first.stdout).toContain(`${NAMES.length} created, 0 already there`);
    expect(describeProblems('default', await inspectSearchAttributes(connection, 'default'))).toBeUndefined();

    const blue = uniqueName('blue');
    const handle = await startMigration(blue);
    try {
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase)).toBe('preflight');
      expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.targetVersion)).toBe('1.34');
      // The list endpoint's filters are visibility queries on these attributes.
      const found = await eventually(
        async () => {
          const ids: string[] = [];
          for await (const w of client.workflow.list({ query: `${SEARCH_ATTRIBUTES.blue.name} = '${blue}' AND ${SEARCH_ATTRIBUTES.phase.name} = 'preflight'` })) ids.push(w.workflowId);
          return ids;
        },
        (ids) => ids.length > 0,
      );
      expect(found).toEqual([handle.workflowId]);
    } finally {
      await handle.terminate('setup test done');
    }
  });

  it('run again, creates nothing and reports every attribute as there', async () => {
    const again = await cutover('setup');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('created ');
    for (const name of NAMES) expect(again.stdout).toMatch(new RegExp(`exists\\s+${name}\\s+Keyword`));
    expect(again.stdout).toContain(`0 created, ${NAMES.length} already there`);
    expect((await cutover('setup', '--check')).code).toBe(0);
  });
});
