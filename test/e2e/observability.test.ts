// What an operator sees of a sandbox-like migration: the series on the API's and the worker's
// /metrics move with it, the Grafana dashboard queries only series that exist, the worker's
// logs are JSON lines naming the migration, and the Temporal UI's metadata tells the story.
import { workerLines, workerMetricsPort } from './telemetry-runtime.js';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { sandboxApiConfig } from '../../api/config.js';
import { createCutoverWorker } from '../../worker/worker.js';
import { auth, eventually, realActivities, seededSpec, stack, uniqueName } from '../helpers.js';
import { pendingActivities } from '../in-flight.js';
import { connectClient } from '../../config/connections.js';

let app: FastifyInstance;
let client: Client;
let close: () => Promise<void>;
/** Green's smoke check: healthy until the test says otherwise. */
const green = { healthy: true, url: '' };

beforeAll(async () => {
  const smoke = http.createServer((_req, res) => void res.writeHead(green.healthy ? 200 : 503).end());
  await new Promise<void>((resolve) => smoke.listen(0, '127.0.0.1', resolve));
  green.url = `http://127.0.0.1:${(smoke.address() as AddressInfo).port}/healthz`;
  const taskQueue = uniqueName('tq');
  const nativeConnection = await NativeConnection.connect({ address: stack().temporalAddress });
  const worker = await createCutoverWorker({ connection: nativeConnection, taskQueue, activities: realActivities(), workflowBundle: { codePath: stack().workflowBundlePath } });
  const running = worker.run();
  const connection = await connectClient({ address: stack().temporalAddress });
  client = new Client({ connection });
  app = await buildApp({ config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test'), temporal: client, taskQueue, metricsCacheMs: 0 });
  close = async () => {
    await app.close();
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await new Promise((r) => smoke.close(r));
  };
});
afterAll(async () => close?.());

/** Prometheus text → series (name{labels}) → value. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}
const apiText = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body;
const workerText = async () => (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
const scrapeApi = async () => parse(await apiText());
const scrapeWorker = async () => parse(await workerText());

/** The series names an endpoint serves: each sample's, and each declared family's (a gauge with no labelled value now). */
function names(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('# TYPE ')) return [line.split(' ')[2]];
    if (!line || line.startsWith('#')) return [];
    return [line.split(/[{ ]/)[0]];
  });
}

/** The value of the one series named `name` whose labels include every `labels` pair (0 if none). */
function value(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, v] of series) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, want]) => key.includes(`${k}="${want}"`))) total += v;
  }
  return total;
}

describe('observing a migration', () => {
  it("moves the metrics, logs JSON lines naming it, and tells its story in the Temporal UI", { timeout: 300_000 }, async () => {
    const { spec } = await seededSpec({
      traffic: { observe: '1h' },
      health: { smoke: [{ url: green.url, expectStatus: 200 }], interval: '1s', failureThreshold: 2, onBreach: 'rollback' },
    });
    const started = await app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');

    // The API: the migration is counted in its phase, its gate waits with an age.
    const atGate = await eventually(scrapeApi, (m) => value(m, 'cutover_pending_gate_age_seconds', { migration: id, gate: 'cutover' }) >= 0 && m.has(`cutover_pending_gate_age_seconds{migration="${id}",gate="cutover"}`));
    expect(value(atGate, 'cutover_migrations', { phase: 'awaiting-cutover' })).toBeGreaterThanOrEqual(1);
    expect(value(atGate, 'cutover_pending_gates', { gate: 'cutover' })).toBeGreaterThanOrEqual(1);
    expect(value(atGate, 'cutover_api_requests_total', { route: '/v1/migrations/:id', code: '200' })).toBeGreaterThanOrEqual(1);

    // The UI: the start's summary and details, and current details with the command to approve.
    const handle = client.workflow.getHandle(id);
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`${spec.blue.cluster} → ${spec.green.cluster} (Kubernetes ${spec.green.kubernetesVersion})`);
    expect(await described.staticDetails()).toContain('**Traffic** route53: 20% → 50% → 100%');
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**Phase** awaiting-cutover');
    expect(metadata.currentDetails).toContain(`cutover approve ${id} --gate cutover`);

    const approve = () => app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });
    const rollbacks = async (cause: string) => value(await scrapeWorker(), 'cutover_rollbacks_total', { cause });
    const byPerson = await rollbacks('person');
    await approve();
    await eventually(status, (s) => s.weights.green === 20);

    // The worker: green's weight as written, then the phase count moves on.
    await eventually(scrapeWorker, (m) => value(m, 'cutover_green_weight', { migration: id }) === 20);
    await eventually(scrapeApi, (m) => value(m, 'cutover_migrations', { phase: 'shifting' }) >= 1 && !m.has(`cutover_pending_gate_age_seconds{migration="${id}",gate="cutover"}`));
    const observing = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(observing.currentDetails).toContain('**Weights** blue 80 / green 20');

    // A person rolls back: counted by cause, green's weight back to 0.
    const rollback = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, headers: auth('dev-operator'), payload: { reason: 'error rate' } });
    expect(rollback.statusCode, rollback.body).toBe(200);
    const afterRollback = await eventually(scrapeWorker, (m) => value(m, 'cutover_rollbacks_total', { cause: 'person' }) === byPerson + 1);
    expect(value(afterRollback, 'cutover_green_weight', { migration: id })).toBe(0);

    // Tried again, green turns unhealthy at 20 %: the watcher's breach and its rollback are counted.
    // The first run's watcher, cancelled by the rollback, stops at its next heartbeat: wait for
    // that, so the breach below is found by the second run's watcher alone.
    await eventually(() => pendingActivities(handle), (pending) => !pending.some((a) => a.type === 'watchHealth'));
    const byWatcher = await rollbacks('watcher');
    expect((await app.inject({ method: 'POST', url: `/v1/migrations/${id}/retry`, headers: auth('dev-operator') })).statusCode).toBe(200);
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    await approve();
    await eventually(scrapeWorker, (m) => value(m, 'cutover_green_weight', { migration: id }) === 20);
    green.healthy = false;
    const breached = await eventually(scrapeWorker, (m) => value(m, 'cutover_rollbacks_total', { cause: 'watcher' }) === byWatcher + 1);
    expect(value(breached, 'cutover_health_breaches_total', { migration: id })).toBe(1);
    expect((await status()).phase).toBe('rolled-back');
    expect(value(await scrapeWorker(), 'cutover_green_weight', { migration: id })).toBe(0);

    // The history: the observe wait's timer and each weight change carry a summary.
    const history = await handle.fetchHistory();
    const summaries = await Promise.all(
      (history.events ?? [])
        .filter((e) => e.userMetadata?.summary)
        .map(async (e) => client.options.loadedDataConverter.payloadConverter.fromPayload<string>(e.userMetadata!.summary!)),
    );
    expect(summaries).toContain('observe green at 20% for 1h');
    expect(summaries).toContain('weights blue 80 / green 20');
    // Every activity says what it is about, not only its function name.
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.length).toBeGreaterThan(0);
    expect(scheduled.filter((e) => !e.userMetadata?.summary)).toEqual([]);
    expect(summaries.some((s) => /^preflight \S+ → \S+$/.test(s))).toBe(true);

    // The worker's logs: JSON lines about this migration name it.
    const about = workerLines.filter((l) => l.migrationId === id);
    expect(about.map((l) => l.msg)).toContain('weights set');
    expect(about.find((l) => l.msg === 'weights set')).toMatchObject({ workflowId: id, green: 20, level: 30 });


    // The dashboard queries only series the two endpoints serve.
    const served = new Set([...names(await apiText()), ...names(await workerText())]);
    const dashboard = JSON.parse(readFileSync('deploy/grafana/cutover.json', 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const queried = dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => t.expr.match(/\b(?:cutover|temporal)_[a-z_]+/g) ?? []);
    expect(queried.length).toBeGreaterThan(0);
    expect(queried.filter((name) => !served.has(name))).toEqual([]);
  });
});
