// Fuzzes the REST API with schemathesis (run by scripts/fuzz-api.sh, which installs it).
// Brings up what the API talks to — the Temporal dev server, moto seeded with the sandbox
// world, a worker — and the API itself on free ports, then runs schemathesis against
// /openapi.json with a sandbox token. Checks: no 5xx, every response matches its schema.
// Prints how many cases ran; exits non-zero if any check failed.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildApp } from '../api/app.js';
import { eksClusterVersions } from '../api/blue-version.js';
import { parseTokens, SANDBOX_TOKENS } from '../api/config.js';
import { SPEC_EXAMPLE } from '../api/schemas.js';
import { migrationId } from '../workflows/migration-id.js';
import { createCutoverWorker } from '../worker/worker.js';
import { resolveTools, startMoto, startTemporal } from './stack/peers.js';
import { freePort, ProcessGroup } from './stack/processes.js';
import { seedMoto } from './stack/seed.js';
import { connectClient } from '../config/connections.js';

const MAX_EXAMPLES = Number(process.env.CUTOVER_FUZZ_MAX_EXAMPLES ?? 25);
const SEED = process.env.CUTOVER_FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
// The approver token can reach every operation (approver ≥ operator ≥ viewer).
const TOKEN = 'dev-approver-1';

const log = (line: string) => console.log(`[fuzz] ${line}`);

async function main(): Promise<number> {
  const schemathesis = process.env.CUTOVER_SCHEMATHESIS_BIN;
  if (!schemathesis || !existsSync(schemathesis)) throw new Error('CUTOVER_SCHEMATHESIS_BIN is not set; run scripts/fuzz-api.sh');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-fuzz-'));
  const group = new ProcessGroup(path.join(dir, 'logs'));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cleanup: (() => Promise<void>)[] = [];
  let keep = true; // the run's logs and report, unless everything passed
  try {
    const tools = resolveTools();
    const [temporal, motoUrl] = await Promise.all([
      startTemporal(group, tools, { port: await freePort(), httpPort: await freePort(), metricsPort: await freePort() }),
      startMoto(group, tools, { port: await freePort() }),
    ]);
    await seedMoto(motoUrl);

    log('starting a worker (bundling the workflow code) and the API');
    const native = await NativeConnection.connect({ address: temporal.address });
    const worker = await createCutoverWorker({ connection: native, activities: createActivities({ aws: createAwsClients({ endpoint: motoUrl }) }) });
    const running = worker.run();
    cleanup.push(async () => {
      worker.shutdown();
      await running;
      await native.close();
    });
    const connection = await connectClient({ address: temporal.address });
    cleanup.push(() => connection.close());
    const apiLog = path.join(dir, 'logs', 'api.log');
    const app = await buildApp({
      config: {
        host: '127.0.0.1',
        port: 0,
        tokens: parseTokens('sandbox tokens', SANDBOX_TOKENS),
        temporal: { connection: { address: temporal.address }, namespace: 'default', uiUrl: 'http://127.0.0.1:8233' },
      },
      temporal: new Client({ connection }),
      blueVersion: eksClusterVersions(motoUrl),
      logger: { level: 'info', stream: createWriteStream(apiLog) },
    });
    const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    cleanup.unshift(() => app.close());
    await startExampleMigration(app);

    const report = path.join(dir, 'schemathesis.json');
    const args = [
      'run',
      `${apiUrl}/openapi.json`,
      '--checks', 'not_a_server_error,response_schema_conformance',
      // Stateful testing would follow a started migration into its never-ending event stream.
      '--phases', 'examples,coverage,fuzzing',
      '--max-examples', String(MAX_EXAMPLES),
      '--seed', SEED,
      // One worker: with threads, CPython 3.11 sometimes fails inside hypothesis ("AST constructor recursion depth mismatch").
      '--workers', '1',
      '--request-timeout', '30',
      '--header', `Authorization: Bearer ${TOKEN}`,
      '--report', 'json',
      '--report-json-path', report,
      '--no-color',
    ];
    log(`schemathesis against ${apiUrl}/openapi.json (max ${MAX_EXAMPLES} examples per operation, seed ${SEED})`);
    // cwd: the run's own directory, so hypothesis keeps its example database out of the repo.
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(schemathesis, args, { cwd: dir, stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    const counts = countCases(report);
    const passed = code === 0 && counts.failures === 0 && counts.cases > 0;
    log(`${counts.cases} cases ran over ${counts.operations} operations, ${counts.failures} failed (seed ${SEED})`);
    if (passed) keep = false;
    else log(`kept for a look: the API log ${apiLog} and the report ${report}`);
    return passed ? 0 : 1;
  } finally {
    for (const step of cleanup) await step().catch(() => {});
    await group.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads schemathesis's JSON run report; tolerant of its exact shape, strict about failures. */
function countCases(reportFile: string): { cases: number; operations: number; failures: number } {
  if (!existsSync(reportFile)) return { cases: 0, operations: 0, failures: 1 };
  return summarize(JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport);
}

interface RunReport {
  operations?: { tested?: number };
  test_cases?: { generated?: number; with_failures?: number; errored?: number };
  failures?: unknown[];
  errors?: unknown[];
}

function summarize(report: RunReport): { cases: number; operations: number; failures: number } {
  const cases = report.test_cases ?? {};
  return {
    cases: cases.generated ?? 0,
    operations: report.operations?.tested ?? 0,
    failures: (cases.with_failures ?? 0) + (cases.errored ?? 0) + (report.errors?.length ?? 0),
  };
}

/**
 * Starts the migration the OpenAPI examples name and waits for it at its cutover gate, so
 * the example ID reaches a live migration: status, approvals, pause, rollback and the rest
 * are fuzzed against real state, not only against 404s.
 */
async function startExampleMigration(app: Awaited<ReturnType<typeof buildApp>>): Promise<void> {
  const headers = { authorization: 'Bearer dev-operator' }; // not the fuzzer's token: it may approve
  const started = await app.inject({ method: 'POST', url: '/v1/migrations', headers, payload: SPEC_EXAMPLE });
  if (started.statusCode !== 201) throw new Error(`example migration did not start: ${started.statusCode} ${started.body}`);
  const id = migrationId(SPEC_EXAMPLE);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers })).json();
    if (status.pendingGate?.gate === 'cutover') break;
    if (Date.now() > deadline) throw new Error(`example migration did not reach its cutover gate: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`example migration ${id} waits at its cutover gate`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[fuzz] failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
