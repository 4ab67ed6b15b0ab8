// What the benchmarks share: real peers (Temporal dev server, moto), a worker with real
// activities and the real API listening on a loopback port, and small statistics helpers.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities, type Activities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildApp } from '../api/app.js';
import { sandboxApiConfig, type ApiConfig } from '../api/config.js';
import { createCutoverWorker } from '../worker/worker.js';
import { workerProcessSettings } from '../worker/process-settings.js';
import { resolveTools, startMoto, startTemporal } from '../scripts/stack/peers.js';
import { freePort, ProcessGroup } from '../scripts/stack/processes.js';
import { resolveServerTools, startTemporalOnPostgres, type PostgresTemporalPeer } from '../scripts/stack/temporal-postgres.js';
import { connectClient } from '../config/connections.js';

export interface BenchStack {
  temporalAddress: string;
  taskQueue: string;
  /** The Temporal server's Prometheus endpoint. */
  serverMetricsUrl: string;
  /** Process ID of the Temporal server, for CPU accounting. */
  temporalPid: number;
  /** What the server is: "dev server (1 history shard, SQLite in memory)" or the PostgreSQL one. */
  serverLabel: string;
  /** Process group of PostgreSQL (its postmaster and backends), when the server runs on it. */
  postgresGroup?: number;
  /** Empty when started without moto. */
  motoUrl: string;
  /** Empty when started without the in-process API. */
  apiUrl: string;
  client: Client;
  worker: Worker;
  close(): Promise<void>;
}

export interface BenchStackOptions {
  /** Start moto (default true); the scale benchmark's cloud is in memory. */
  moto?: boolean;
  /** Serve the API from this process (default true); the scale benchmark runs it in a process of its own. */
  api?: boolean;
  /** Settings of that API beyond the sandbox's (e.g. team scopes). */
  apiConfig?: Partial<ApiConfig>;
  /**
   * A standalone Temporal server on PostgreSQL with this many history shards instead of the dev
   * server (one shard on SQLite): built and installed on first use (scripts/tools.sh --temporal-server).
   */
  postgresShards?: number;
}

export const BENCH_TASK_QUEUE = 'bench';

export async function startBenchStack(activities?: (motoUrl: string) => Partial<Activities>, opts: BenchStackOptions = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-'));
  const group = new ProcessGroup(path.join(dir, 'logs'));
  // Stopped by bench/run.ts (a hung benchmark): the peers run in process groups of their own, so stop them here.
  process.once('SIGTERM', () => void group.stop().finally(() => process.exit(143)));
  const tools = resolveTools();
  const metricsPort = await freePort();
  const peers = Promise.all([
    opts.postgresShards
      ? startTemporalOnPostgres(group, resolveServerTools(), {
          dir,
          shards: opts.postgresShards,
          port: await freePort(),
          metricsPort,
        })
      : startTemporal(group, tools, { port: await freePort(), httpPort: await freePort(), metricsPort }),
    opts.moto === false ? Promise.resolve('') : startMoto(group, tools, { port: await freePort() }),
  ]);
  // A peer that failed to start must not leave the others running (they are in process groups of their own).
  const [temporal, motoUrl] = await peers.catch(async (err: unknown) => {
    await group.stop();
    throw err;
  });
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await createBenchWorker(native, BENCH_TASK_QUEUE, activities ? activities(motoUrl) : createActivities({ aws: createAwsClients({ endpoint: motoUrl }) }));
  const running = worker.run();
  const api = await startBenchApi(temporal.address, opts.api !== false, opts.apiConfig);
  return {
    temporalAddress: temporal.address,
    taskQueue: BENCH_TASK_QUEUE,
    serverMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    temporalPid: temporal.pid,
    serverLabel: opts.postgresShards ? `Temporal server on PostgreSQL (${opts.postgresShards} history shards)` : 'dev server (1 history shard, SQLite in memory)',
    postgresGroup: (temporal as Partial<PostgresTemporalPeer>).postgresPid,
    motoUrl,
    apiUrl: api.apiUrl,
    client: api.client,
    worker,
    async close() {
      await api.close();
      worker.shutdown();
      await running;
      await native.close();
      await group.stop();
    },
  };
}

/** A worker as the worker process builds it, with the cache size it reads (CUTOVER_WORKER_CACHED_WORKFLOWS, checked). */
export function createBenchWorker(connection: NativeConnection, taskQueue: string, activities: Partial<Activities>): Promise<Worker> {
  return createCutoverWorker({ connection, taskQueue, activities, cachedWorkflows: workerProcessSettings().cachedWorkflows });
}

/** A Temporal client and (unless `listen` is false) the real API on a loopback port, as `npm run api` serves it. */
export async function startBenchApi(temporalAddress: string, listen = true, apiConfig: Partial<ApiConfig> = {}): Promise<{ apiUrl: string; client: Client; app?: FastifyInstance; close(): Promise<void> }> {
  const connection = await connectClient({ address: temporalAddress });
  const client = new Client({ connection });
  const app = listen
    ? await buildApp({ config: sandboxApiConfig(temporalAddress, 'http://127.0.0.1:8233', apiConfig), temporal: client, taskQueue: BENCH_TASK_QUEUE })
    : undefined;
  const apiUrl = app ? await app.listen({ host: '127.0.0.1', port: 0 }) : '';
  return {
    apiUrl,
    client,
    app,
    async close() {
      await app?.close();
      await connection.close();
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

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** The machine's 1-minute load average, printed beside every figure (other work on the box skews them). */
export const loadAverage = () => os.loadavg()[0].toFixed(2);

/** A /proc stat file: the command name and the fields after it (state first), or undefined once the process or thread is gone. */
function procStat(file: string): { name: string; fields: string[] } | undefined {
  let stat: string;
  try {
    stat = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
}

/** User + system CPU seconds from a stat's fields (utime and stime, in clock ticks of 1/100 s). */
const statCpuSeconds = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) / 100;

/** CPU seconds (user + system) a process has used so far, all threads. */
export function cpuSeconds(pid: number): number {
  const stat = procStat(`/proc/${pid}/stat`);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return statCpuSeconds(stat.fields);
}

/** CPU seconds (user + system) the live processes of a process group have used so far. */
export function cpuSecondsOfGroup(pgid: number): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = procStat(`/proc/${pid}/stat`);
    if (stat && Number(stat.fields[2]) === pgid) total += statCpuSeconds(stat.fields);
  }
  return total;
}

/** A process's resident memory in bytes. */
export function rssBytes(pid: number): number {
  const kb = /VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** CPU seconds per thread name of a process (node: main thread "node", workflow thread, Rust core "tokio-…"). */
export function cpuSecondsByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = procStat(`/proc/${pid}/task/${tid}/stat`);
    if (stat) out.set(stat.name, (out.get(stat.name) ?? 0) + statCpuSeconds(stat.fields));
  }
  return out;
}

/** Sums of a Prometheus text exposition by `name{operation}` (labels other than operation folded). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  const text = await (await fetch(url)).text();
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? ([-+\d.eE]+|NaN)$/.exec(line);
    if (!m) continue;
    const op = /operation="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? '';
    const key = `${m[1]}{${op}}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(m[3]));
  }
  return sums;
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

export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs `run` over `items`, at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}
