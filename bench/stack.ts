// What the benchmarks share: real peers (Temporal dev server, moto), a worker with real
// activities and the real API listening on a loopback port, and small statistics helpers.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities, type Activities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildApp } from '../api/app.js';
import { sandboxApiConfig } from '../api/config.js';
import { createCutoverWorker } from '../worker/worker.js';
import { resolveTools, startMoto, startTemporal } from '../scripts/stack/peers.js';
import { freePort, ProcessGroup } from '../scripts/stack/processes.js';

export interface BenchStack {
  motoUrl: string;
  apiUrl: string;
  client: Client;
  worker: Worker;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startBenchStack(activities?: (motoUrl: string) => Partial<Activities>): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-'));
  const group = new ProcessGroup(path.join(dir, 'logs'));
  const tools = resolveTools();
  const [temporal, motoUrl] = await Promise.all([
    startTemporal(group, tools, { port: await freePort(), httpPort: await freePort(), metricsPort: await freePort() }),
    startMoto(group, tools, { port: await freePort() }),
  ]);
  const native = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = 'bench';
  const worker = await createCutoverWorker({
    connection: native,
    taskQueue,
    activities: activities ? activities(motoUrl) : createActivities({ aws: createAwsClients({ endpoint: motoUrl }) }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const app = await buildApp({
    config: sandboxApiConfig(temporal.address, 'http://127.0.0.1:8233'),
    temporal: client,
    taskQueue,
  });
  const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    motoUrl,
    apiUrl,
    client,
    worker,
    app,
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await connection.close();
      await native.close();
      await group.stop();
    },
  };
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summary(samples: number[]): string {
  return `n=${samples.length} p50=${percentile(samples, 50).toFixed(1)} ms p99=${percentile(samples, 99).toFixed(1)} ms max=${Math.max(...samples).toFixed(1)} ms`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- benchmarks read loose JSON bodies
export async function api(apiUrl: string, method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
