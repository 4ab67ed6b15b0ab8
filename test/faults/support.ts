// Plumbing for the fault tests: the worker as a process of its own that can be SIGKILLed and
// started again, the real API in-process, a Temporal dev server of a test's own (only where it
// is restarted: the others use the run's server, each test on a task queue of its own),
// toxiproxy between the worker and its peers, a proxy that makes Route 53 answer PENDING, and
// a sampler that reads Route 53 straight from moto every 50 ms and records any weight pair the
// plan never asked for.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { onTestFinished } from 'vitest';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import { createAwsClients } from '../../activities/aws.js';
import { resolveTools, startTemporal, type TemporalPeer } from '../../scripts/stack/peers.js';
import { freePort, ProcessGroup, waitUntil } from '../../scripts/stack/processes.js';
import type { Weights } from '../../workflows/model.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, eventually, seedWorld, stack, TEST_DECOMMISSION, uniqueName } from '../helpers.js';
import { unfinishedActivities } from '../in-flight.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Prints what a fault test exercised, so a run's log says which kill points and faults it covered. */
export function report(test: string, exercised: string[]): void {
  console.log(`[faults] ${test}: ${exercised.length} exercised:\n  - ${exercised.join('\n  - ')}`);
}

// --- Temporal ------------------------------------------------------------------------------

/** A Temporal dev server of this file's own, its state in a file, so it can stop and start again with every run intact. */
export class OwnTemporal {
  private group: ProcessGroup;
  peer!: TemporalPeer;
  readonly dbFile: string;
  private ports!: { port: number; httpPort: number; metricsPort: number };

  private constructor(private readonly dir: string) {
    this.dbFile = path.join(dir, 'temporal.db');
    this.group = new ProcessGroup(path.join(dir, 'logs'));
  }

  static async start(): Promise<OwnTemporal> {
    const t = new OwnTemporal(mkdtempSync(path.join(os.tmpdir(), 'cutover-faults-')));
    t.ports = { port: await freePort(), httpPort: await freePort(), metricsPort: await freePort() };
    await t.up();
    return t;
  }

  get address(): string {
    return this.peer.address;
  }

  private async up(): Promise<void> {
    this.peer = await startTemporal(this.group, resolveTools(), { ...this.ports, dbFile: this.dbFile });
  }

  async stop(): Promise<void> {
    await this.group.stop();
  }

  /** Stops the server and starts it again on the same state file and ports; `whileDown` runs in between. */
  async restart(whileDown?: () => Promise<void>): Promise<void> {
    await this.group.stop();
    await whileDown?.();
    this.group = new ProcessGroup(path.join(this.dir, 'logs'));
    await this.up();
  }
}

// --- the worker as a process ---------------------------------------------------------------

let bundledWorker: Promise<string> | undefined;

/**
 * worker/main.ts bundled by esbuild (the transformer tsx uses), its packages left to
 * node_modules: a start then loads JavaScript instead of transpiling every module under tsx
 * (about 3 CPU-seconds instead of 8), which counts with a dozen starts per file. The bundle
 * lies under the repository (so its imports resolve to its node_modules), named by its
 * content: test files running at once share it, and a run leaves one file per version.
 */
function workerEntry(): Promise<string> {
  bundledWorker ??= (async () => {
    const built = await build({ entryPoints: [path.join(ROOT, 'worker/main.ts')], write: false, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    const code = built.outputFiles[0].contents;
    const dir = path.join(ROOT, '.data', 'faults-worker');
    const file = path.join(dir, `main-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, code);
      renameSync(partial, file); // whole or not at all, for a file starting workers meanwhile
    }
    return file;
  })();
  return bundledWorker;
}

export interface WorkerEnv {
  temporalAddress: string;
  /** The task queue the worker polls (one per test, or per lane of a test). */
  taskQueue: string;
  /** Where the worker's AWS SDK calls go (moto, or a proxy in front of it). */
  awsEndpoint: string;
  /** CUTOVER_KUBE_CLUSTERS: a file mapping cluster names to API servers. */
  kubeClusters?: string;
}

/** The worker process as the image runs it (worker/main.ts, compiled), with the run's workflow bundle. */
export class WorkerProcess {
  private child?: ChildProcess;
  private output = '';
  starts = 0;

  constructor(
    readonly name: string,
    private readonly env: WorkerEnv,
  ) {}

  /** Starts the process and waits until it polls the task queue. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [await workerEntry()], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.env.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        CUTOVER_TASK_QUEUE: this.env.taskQueue,
        CUTOVER_MODE: 'sandbox',
        CUTOVER_AWS_ENDPOINT: this.env.awsEndpoint,
        CUTOVER_WORKFLOW_BUNDLE: stack().workflowBundlePath,
        ...(this.env.kubeClusters ? { CUTOVER_KUBE_CLUSTERS: this.env.kubeClusters } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.starts++;
    const startOutput = this.output.length;
    child.stdout!.on('data', (c) => (this.output += c));
    child.stderr!.on('data', (c) => (this.output += c));
    await waitUntil(`worker ${this.name}`, async () => {
      if (child.exitCode !== null) throw new Error(`worker ${this.name} exited (${child.exitCode}):\n${this.log()}`);
      return this.output.slice(startOutput).includes('polling');
    }, { timeoutMs: 90_000 }).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.log()}`);
    });
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown, no goodbye to Temporal; running activities and workflow tasks are lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  log(): string {
    return this.output.slice(-4_000);
  }
}

// --- toxiproxy -----------------------------------------------------------------------------

export type ToxicType = 'latency' | 'reset_peer' | 'timeout' | 'bandwidth' | 'slow_close' | 'limit_data';

/** toxiproxy-server on a free loopback port, driven through its HTTP API. */
export class Toxiproxy {
  private constructor(
    private readonly group: ProcessGroup,
    readonly api: string,
  ) {}

  static async start(): Promise<Toxiproxy> {
    const group = new ProcessGroup(mkdtempSync(path.join(os.tmpdir(), 'cutover-toxiproxy-')));
    const port = await freePort();
    const proc = group.start('toxiproxy', stack().toxiproxyPath, ['-host', '127.0.0.1', '-port', String(port)]);
    const api = `http://127.0.0.1:${port}`;
    await waitUntil('toxiproxy', async () => (await fetch(`${api}/version`)).ok, { process: proc });
    return new Toxiproxy(group, api);
  }

  private async call(method: string, url: string, body?: unknown): Promise<void> {
    const res = await fetch(`${this.api}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`toxiproxy ${method} ${url}: ${res.status} ${await res.text()}`);
  }

  /** A proxy from a free loopback port to `upstream` (host:port); returns its address (host:port). */
  async proxy(name: string, upstream: string): Promise<string> {
    const listen = `127.0.0.1:${await freePort()}`;
    await this.call('POST', '/proxies', { name, listen, upstream, enabled: true });
    return listen;
  }

  async addToxic(proxy: string, toxic: string, type: ToxicType, attributes: Record<string, number>, stream: 'upstream' | 'downstream' = 'downstream'): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, { name: toxic, type, stream, toxicity: 1, attributes });
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.call('DELETE', `/proxies/${proxy}/toxics/${toxic}`);
  }

  /** A cut: the proxy stops listening and drops its connections; `true` heals it. */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${proxy}`, { enabled });
  }

  async stop(): Promise<void> {
    await this.group.stop();
  }
}

// --- Route 53 seen from moto ---------------------------------------------------------------

/** A weighted record pair: its name and the SetIdentifiers of blue's and green's record. */
export interface RecordPair {
  name: string;
  blueSetIdentifier: string;
  greenSetIdentifier: string;
}

/**
 * A world of its own in moto (blue at 1.33) and a weighted pair of its own, blue 100 / green
 * 0 with `recordTtl`. Worlds given the same `zoneName` share that hosted zone (seed the first
 * alone: it creates the zone), so one sampler reads all their pairs. Each pair has
 * SetIdentifiers of its own: moto deletes a weighted record by its SetIdentifier across the
 * whole zone, so with the seed's shared "blue" one migration's decommission would remove the others'.
 */
export async function seedFaultWorld(recordTtl: number, zoneName?: string) {
  const tag = uniqueName('f');
  const seeded = await seedWorld({ recordTtl, ...(zoneName ? { zoneName, recordName: `app-${tag}.${zoneName}` } : {}) });
  const { world } = seeded;
  const record: RecordPair = { name: `pair-${tag}.${world.zoneName}`, blueSetIdentifier: `${tag}-blue`, greenSetIdentifier: `${tag}-green` };
  const weighted = (setId: string, weight: number) => ({
    Action: 'UPSERT' as const,
    ResourceRecordSet: { Name: record.name, Type: 'CNAME' as const, SetIdentifier: setId, Weight: weight, TTL: recordTtl, ResourceRecords: [{ Value: `${setId}-lb.${world.zoneName}` }] },
  });
  await createAwsClients({ endpoint: stack().motoUrl })
    .route53(world.region)
    .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: seeded.hostedZoneId, ChangeBatch: { Changes: [weighted(record.blueSetIdentifier, 100), weighted(record.greenSetIdentifier, 0)] } }));
  return { ...seeded, record };
}

/** One reading of a record pair; blue is absent once decommissioning removed its record. */
export interface Observed {
  blue?: number;
  green?: number;
}

/** What the sampler saw of one record pair: each distinct reading, and those the plan never asked for. */
export class PairLog {
  readonly seen: Observed[] = [];
  readonly violations: string[] = [];
  private readonly allowed: Set<string>;

  constructor(
    readonly record: RecordPair,
    steps: number[],
  ) {
    this.allowed = new Set([0, ...steps].map((g) => key({ blue: 100 - g, green: g })));
  }

  observe(o: Observed): void {
    const last = this.seen.at(-1);
    if (last && last.blue === o.blue && last.green === o.green) return;
    this.seen.push(o);
    const decommissioned = o.blue === undefined && o.green === 100;
    if (!decommissioned && (o.blue === undefined || o.green === undefined || o.blue + o.green !== 100 || !this.allowed.has(key(o as Weights)))) {
      this.violations.push(`${this.record.name}: Route 53 served blue ${o.blue} green ${o.green}`);
    }
  }

  /** The latest reading. */
  get now(): Observed | undefined {
    return this.seen.at(-1);
  }

  /** Waits until Route 53 serves green `green`. */
  serves(green: number): Promise<Observed | undefined> {
    return eventually(async () => this.now, (o) => o?.green === green);
  }
}

/**
 * Reads a hosted zone straight from moto every 50 ms (never through a proxy under test) and
 * hands each tracked record pair its reading. A pair whose weights do not sum to 100, or that
 * the plan never asked for, is a violation (a missing blue record is fine only with green at
 * 100: decommissioned).
 */
export class Route53Sampler {
  readonly unreadable: string[] = [];
  readings = 0;
  private readonly pairs: PairLog[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  private readonly zoneId: string;
  private readonly region: string;

  /** Samples the hosted zone of a seeded world. */
  constructor(w: { hostedZoneId: string; world: { region: string } }) {
    this.zoneId = w.hostedZoneId;
    this.region = w.world.region;
    this.loop = this.run();
  }

  /** Tracks a weighted pair of the zone. */
  track(record: RecordPair, steps: number[]): PairLog {
    const pair = new PairLog(record, steps);
    this.pairs.push(pair);
    return pair;
  }

  private async run(): Promise<void> {
    const route53 = createAwsClients({ endpoint: stack().motoUrl }).route53(this.region);
    while (!this.stopped) {
      try {
        const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: this.zoneId }));
        this.readings++;
        for (const pair of this.pairs) {
          const { name, blueSetIdentifier, greenSetIdentifier } = pair.record;
          const sets = (page.ResourceRecordSets ?? []).filter((s) => s.Name === name && s.Type === 'CNAME');
          const weight = (id: string) => sets.find((s) => s.SetIdentifier === id)?.Weight;
          pair.observe({ blue: weight(blueSetIdentifier), green: weight(greenSetIdentifier) });
        }
      } catch (err) {
        this.unreadable.push(`could not read Route 53 from moto: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

const key = (w: Weights) => `${w.blue}/${w.green}`;

/**
 * An HTTP proxy in front of moto that, while held, answers Route 53's changes as PENDING, as
 * Route 53 does while it propagates one (moto answers INSYNC at once): the worker then waits
 * in GetChange until the hold is released. A request whose target cannot be reached (a fault
 * proxy behind it cut) has its connection cut too, as without this proxy, and is listed in
 * `unreachable` (method and path). `cutRoute53` cuts off Route 53 alone (its REST API's paths)
 * the same way, while EKS and the rest of AWS still answer.
 */
export async function startPendingRoute53(
  target = stack().motoUrl,
): Promise<{ url: string; hold(on: boolean): void; cutRoute53(on: boolean): void; unreachable(): string[]; close(): Promise<void> }> {
  let holding = false;
  let route53Cut = false;
  const unreachable: string[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (route53Cut && req.url?.startsWith('/2013-04-01/')) {
      unreachable.push(`${req.method} ${req.url}`);
      req.socket.destroy();
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...up.headers };
        if (holding && body.includes('<ChangeInfo>')) {
          body = Buffer.from(body.toString('utf8').replaceAll('<Status>INSYNC</Status>', '<Status>PENDING</Status>'));
          headers['content-length'] = String(body.length);
        }
        res.writeHead(up.statusCode ?? 502, headers).end(body);
      });
    });
    forward.on('error', () => {
      unreachable.push(`${req.method} ${req.url}`);
      req.socket.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: (on) => void (holding = on),
    cutRoute53: (on) => void (route53Cut = on),
    unreachable: () => [...unreachable],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- the API and the workflow's history ----------------------------------------------------

/** The parts of GET /v1/migrations/{id} the fault tests read. */
export interface Status {
  phase: string;
  weights: Weights;
  pendingGate?: { gate: string };
  timers: { name: string; firesAt: string }[];
  audit: { action: string; actor: string; detail?: Record<string, unknown> }[];
  workflowStatus?: string;
}

export function migrationApi(app: FastifyInstance, id: string) {
  const request = async (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) => app.inject({ method, url: `/v1/migrations/${id}${url}`, headers: auth(token), payload: payload as never });
  return {
    status: async (): Promise<Status> => (await request('GET', '', 'dev-viewer')).json(),
    approve: async (gate: string, token = 'dev-approver-1') => {
      const res = await request('POST', '/approvals', token, { gate, decision: 'approve', comment: 'fault test' });
      if (res.statusCode !== 200) throw new Error(`approve ${gate}: ${res.statusCode} ${res.body}`);
    },
    rollback: (reason: string, wait = true) => request('POST', `/rollback${wait ? '?wait=true' : ''}`, 'dev-operator', { reason }),
    request,
  };
}

export async function startMigration(app: FastifyInstance, spec: MigrationSpec): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
  if (res.statusCode !== 201) throw new Error(`start failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The run's history as the server has it (no worker needed). */
export async function history(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Activity type of each scheduled activity still waiting for its end. */
export const activitiesInFlight = (events: HistoryEvent[]): string[] => unfinishedActivities(events).map((a) => a.type);

/** Durations (ms) of timers started and neither fired nor cancelled yet. */
export function timersRunning(events: HistoryEvent[]): number[] {
  const started = new Map<string, number>();
  for (const e of events) {
    const t = e.timerStartedEventAttributes;
    if (t) {
      const d = t.startToFireTimeout;
      started.set(t.timerId ?? '', Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6));
    }
    const ended = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (ended) started.delete(ended.timerId ?? '');
  }
  return [...started.values()];
}

/** Waits until the run's history shows `what` (a pure reading of the events). */
export function untilHistory(handle: WorkflowHandle, done: (events: HistoryEvent[]) => boolean): Promise<HistoryEvent[]> {
  return eventually(() => history(handle), done);
}

/** Stops everything a test started, in reverse order, even when the test failed. */
export function cleanup(...stops: (() => Promise<unknown> | unknown)[]): void {
  onTestFinished(async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.warn(`[faults] cleanup: ${(err as Error).message}`);
      }
    }
  });
}

/** A spec for a fault world: route53 driver, auto steps, short waits. */
export function faultSpec(w: Awaited<ReturnType<typeof seedFaultWorld>>, overrides: Partial<Omit<MigrationSpec, 'traffic'>> & { traffic?: Partial<MigrationSpec['traffic']> } = {}): MigrationSpec {
  const { traffic, ...rest } = overrides;
  return {
    region: w.world.region,
    blue: { cluster: w.world.blue },
    green: { cluster: w.world.green, mode: 'create', kubernetesVersion: '1.34' },
    traffic: {
      driver: 'route53',
      route53: { hostedZoneId: w.hostedZoneId, records: [{ ...w.record, type: 'CNAME' }] },
      steps: [20, 50, 100],
      stepApproval: 'auto',
      observe: '0s',
      ...traffic,
    },
    bake: '0s',
    freeze: '0s',
    approvals: { distinctApprover: true },
    decommission: TEST_DECOMMISSION,
    ...rest,
  };
}

export interface ServerEvent {
  event: string;
  data: string;
}

/** Follows GET …/events over real HTTP (the app listening on a free loopback port); events pile up in `events`. */
export async function followEvents(app: FastifyInstance, id: string): Promise<{ events: ServerEvent[]; close(): void }> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const stop = new AbortController();
  const res = await fetch(`${address}/v1/migrations/${id}/events`, { headers: auth('dev-viewer'), signal: stop.signal });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  const events: ServerEvent[] = [];
  void (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          const event = field('event');
          if (event) events.push({ event, data: field('data') ?? '' });
        }
      }
    } catch {
      /* closed */
    }
  })();
  return { events, close: () => stop.abort() };
}

/** The worker that ran the run's latest workflow task (its identity is pid@host). */
export async function latestWorkflowWorkerPid(handle: WorkflowHandle): Promise<number | undefined> {
  const started = (await history(handle)).filter((e) => e.workflowTaskStartedEventAttributes).at(-1);
  const identity = started?.workflowTaskStartedEventAttributes?.identity ?? '';
  const pid = Number(identity.split('@')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The activity type a local activity's marker names (its `data` detail, JSON written by the SDK's core). */
function localActivityType(e: HistoryEvent): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; activityType?: string };
  return parsed.activity_type ?? parsed.activityType;
}

/**
 * Weight changes (setWeights local activities) whose result the run has recorded. Only those:
 * other local activities record markers too (the change-freeze check before every forward
 * step, calendar reads), and patch markers are not counted.
 */
export const weightChangesRecorded = (events: HistoryEvent[]) => events.filter((e) => localActivityType(e) === 'setWeights').length;
