// Shared test plumbing: a worker and an API on a fresh task queue against the run's real
// peers, and a unique sandbox-shaped world in moto per test.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { inject, onTestFinished } from 'vitest';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { EksMigrationSpec, MigrationSpec } from '../workflows/spec.js';
import { createActivities, type Activities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildApp } from '../api/app.js';
import { eksClusterVersions } from '../api/blue-version.js';
import { sandboxApiConfig, type ApiConfig } from '../api/config.js';
import { createCutoverWorker } from '../worker/worker.js';
import { namedWorld, seedMoto, type SeededWorld, type World } from '../scripts/stack/seed.js';
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

/** A seeded world: its names, and the IDs moto gave its zone, listener and target groups. */
export type TestWorld = { world: World } & SeededWorld;

/**
 * A sandbox-shaped world with names of its own, so tests never share moto state. Test files
 * seeding in parallel share the tagged sandbox VPC, and two of them may create its first subnets
 * at the same moment (InvalidSubnet.Conflict): the loser seeds again once the subnets exist.
 */
export async function seedWorld(overrides: Partial<World> = {}): Promise<TestWorld> {
  // TTL 1 s: each step settles for a second instead of the sandbox's ten.
  const world = namedWorld(uniqueName('t'), { recordTtl: 1, ...overrides });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return { world, ...(await seedMoto(stack().motoUrl, world)) };
    } catch (err) {
      if ((err as Error).name !== 'InvalidSubnet.Conflict' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A spec for a freshly seeded world: blue at 1.33 in moto, Route 53 weights blue 100. */
/**
 * A test world's blue takes traffic only through the routing Cutover removes (no drain source
 * to read), and its deletion needs no last delay: a test that checks either sets its own.
 */
export const TEST_DECOMMISSION = { drain: { none: "test world: blue's only clients come through the routing Cutover removes" }, lastDelay: '0s' };

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
    decommission: TEST_DECOMMISSION,
    ...rest,
  };
  return { spec, w };
}

export function realActivities(): Activities {
  return createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }) });
}

export interface Api {
  app: FastifyInstance;
  client: Client;
  /** Every line the app logged (pino JSON). */
  logs: string[];
  close(): Promise<void>;
}

export interface ApiOptions {
  /** The Temporal the app talks to (default: the run's). */
  temporalAddress?: string;
  /** Where the app starts migrations (default: a task queue no worker polls). */
  taskQueue?: string;
  /** Settings beyond the sandbox's tokens (OIDC, timeouts, other tokens). */
  config?: Partial<ApiConfig>;
}

/**
 * The real API app in-process, wired as api/main.ts wires it (its own Temporal connection,
 * blue's version looked up in moto, request logs, kept in `logs`), with the sandbox tokens and
 * a status stream that polls every 100 ms.
 */
export async function startApi({ temporalAddress = stack().temporalAddress, taskQueue = uniqueName('tq-nobody'), config = {} }: ApiOptions = {}): Promise<Api> {
  const connection = await connectClient({ address: temporalAddress });
  const client = new Client({ connection });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp({
    config: sandboxApiConfig(temporalAddress, 'http://ui.test', { eventsPollMs: 100, ...config }),
    temporal: client,
    taskQueue,
    blueVersion: eksClusterVersions(stack().motoUrl),
    logger: { level: 'info', stream },
  });
  return {
    app,
    client,
    logs,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

export interface Harness extends Api {
  taskQueue: string;
  worker: Worker;
}

/** A worker (running) with `activities` (default: real ones on moto) and the API (startApi, with `config`), both on a task queue of their own. */
export async function startHarness(activities: Partial<Activities> = realActivities(), config: Partial<ApiConfig> = {}): Promise<Harness> {
  const taskQueue = uniqueName('tq');
  const nativeConnection = await NativeConnection.connect({ address: stack().temporalAddress });
  const worker = await createCutoverWorker({
    connection: nativeConnection,
    taskQueue,
    activities,
    workflowBundle: { codePath: stack().workflowBundlePath },
  });
  const running = worker.run();
  const api = await startApi({ taskQueue, config });
  return {
    ...api,
    taskQueue,
    worker,
    async close() {
      await api.close();
      worker.shutdown();
      await running;
      await nativeConnection.close();
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

export { eventually } from './wait.js';

/** A notification as the worker's webhook sends it. */
export interface RecordedNotification {
  text: string;
  event: string;
  migrationId: string;
}

/** A channel's webhook on a local port that keeps every notification's JSON body, in order. */
export async function recordingWebhook(): Promise<{ url: string; received: RecordedNotification[]; close(): Promise<void> }> {
  const received: RecordedNotification[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(JSON.parse(body) as RecordedNotification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}
