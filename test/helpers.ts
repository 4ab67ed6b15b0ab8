// Shared test plumbing: a worker and an API on a fresh task queue against the run's real
// peers, and a unique sandbox-shaped world in moto per test.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { inject, onTestFailed, onTestFinished } from 'vitest';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { EksMigrationSpec, MigrationSpec } from '../workflows/spec.js';
import { createActivities, type Activities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildApp } from '../api/app.js';
import { sandboxApiConfig } from '../api/config.js';
import { createCutoverWorker } from '../worker/worker.js';
import { namedWorld, seedMoto } from '../scripts/stack/seed.js';
import { connectClient } from '../config/connections.js';

export const stack = () => inject('stack');

// Workers log every activity at INFO; tests only want to hear about trouble, printed. Everything
// the in-process workers log (the SDK's, the workflow's, the activities' and Core's own lines)
// still passes by, for a test that reads it (captureWorkerLogs). A test file that installed its
// own Runtime first (with metrics, test/e2e/observability.test.ts) keeps it.
const printed = new DefaultLogger('WARN');
const workerLogReaders = new Set<(entry: LogEntry) => void>();
try {
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => {
      for (const read of workerLogReaders) read(entry);
      printed.log(entry.level, entry.message, entry.meta);
    }),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
} catch {
  // already installed
}

/** Every line the in-process workers log from now until the test ends. */
export function captureWorkerLogs(): string[] {
  const lines: string[] = [];
  // inspect, not JSON: errors in the metadata keep their messages and stacks.
  const read = (entry: LogEntry) => lines.push(`${entry.level} ${entry.message} ${inspect(entry.meta, { depth: 10, breakLength: Infinity })}`);
  workerLogReaders.add(read);
  onTestFinished(() => void workerLogReaders.delete(read));
  return lines;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A sandbox-shaped world with names of its own, so tests never share moto state. */
export async function seedWorld() {
  const tag = uniqueName('t');
  // TTL 1 s: each step settles for a second instead of the sandbox's ten.
  const world = namedWorld(tag, { recordTtl: 1 });
  const seeded = await seedMoto(stack().motoUrl, world);
  return { world, ...seeded };
}

/** A spec for a freshly seeded world: blue at 1.33 in moto, Route 53 weights blue 100. */
export async function seededSpec(overrides: { traffic?: Partial<MigrationSpec['traffic']> } & Partial<Omit<EksMigrationSpec, 'traffic'>> = {}) {
  const w = await seedWorld();
  const { traffic, ...rest } = overrides;
  const spec: EksMigrationSpec = {
    region: w.world.region,
    blue: { cluster: w.world.blue },
    green: { cluster: w.world.green, mode: 'create', kubernetesVersion: '1.34' },
    traffic: {
      driver: 'route53',
      route53: { hostedZoneName: w.world.zoneName, records: [{ name: w.world.recordName, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }] },
      steps: [20, 50, 100],
      observe: '1h',
      ...traffic,
    },
    bake: '0s',
    freeze: '0s',
    approvals: { distinctApprover: true },
    ...rest,
  };
  return { spec, w };
}

export function realActivities(): Activities {
  return createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }) });
}

export interface Harness {
  taskQueue: string;
  worker: Worker;
  client: Client;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A worker (running) and the real API app, both on a task queue of their own. */
export async function startHarness(activities: Partial<Activities> = realActivities()): Promise<Harness> {
  const taskQueue = uniqueName('tq');
  const nativeConnection = await NativeConnection.connect({ address: stack().temporalAddress });
  const worker = await createCutoverWorker({
    connection: nativeConnection,
    taskQueue,
    activities,
    workflowBundle: { codePath: stack().workflowBundlePath },
  });
  const running = worker.run();
  const connection = await connectClient({ address: stack().temporalAddress });
  const client = new Client({ connection });
  const app = await buildApp({
    config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test'),
    temporal: client,
    taskQueue,
  });
  return {
    taskQueue,
    worker,
    client,
    app,
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Polls `read` until `done` holds. No deadline of its own (a busy machine is slow, not wrong):
 * only the test's timeout bounds the wait, and if the test fails while it waits, the report
 * says what it waited for and the last value seen.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T = await read();
  if (done(last)) return last;
  let waiting = true;
  let testOver = false;
  try {
    onTestFinished(() => void (testOver = true));
    onTestFailed(() => {
      if (waiting) throw new Error(`eventually: still waiting for ${String(done)}; last value: ${JSON.stringify(last)}`);
    });
  } catch {
    // Called from a hook, not a test: hookTimeout bounds the wait.
  }
  // A test that timed out is abandoned, not stopped: stop polling its (closed) peers, and settle
  // never, so no rejection surfaces after the test has already been reported.
  const abandoned = () => new Promise<never>(() => {});
  while (!done(last)) {
    await new Promise((r) => setTimeout(r, 100)); // poll interval
    if (testOver) return abandoned();
    try {
      last = await read();
    } catch (err) {
      if (testOver) return abandoned();
      throw err;
    }
  }
  waiting = false;
  return last;
}
