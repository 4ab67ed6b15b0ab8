// REST → workflow → real activities, with a metric gate read from a real Prometheus: green's
// p99 latency compared with blue's over the same window. While green keeps up, the status
// shows the check's numbers; once green is worse than blue beyond the tolerance, the watcher
// rolls the migration back in moto, and the audit says by how much.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import { auth, eventually, seededSpec, stack, startHarness, uniqueName, type Harness } from '../helpers.js';
import { PROMETHEUS_TIMEOUT_MS, startPrometheus, type TestPrometheus } from '../prometheus.js';

let harness: Harness;
let prom: TestPrometheus;

beforeAll(async () => {
  prom = await startPrometheus();
  // The worker knows the Prometheus by name; the spec names it, never its URL.
  harness = await startHarness(createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), health: { prometheus: { servers: { metrics: prom.url } } } }));
}, PROMETHEUS_TIMEOUT_MS);
afterAll(async () => {
  await harness?.close();
  await prom?.close();
});

describe('a metric gate over REST', () => {
  it('rolls back when green\'s p99 is worse than blue\'s beyond the tolerance, with the numbers in the audit', async () => {
    const app = uniqueName('shop');
    const { spec, w } = await seededSpec({
      traffic: { observe: '1h' },
      health: {
        metrics: [
          {
            name: 'p99-vs-blue',
            prometheus: { server: 'metrics', query: `max_over_time(p99_latency_seconds{app="${app}",cluster="{{cluster}}"}[{{window}}])` },
            compareToBlue: { relative: 0.2 },
            window: '10s',
            failureThreshold: 2,
          },
        ],
        interval: '1s',
      },
    });
    prom.set('p99_latency_seconds', { app, cluster: w.world.blue }, 0.3);
    prom.set('p99_latency_seconds', { app, cluster: w.world.green }, 0.3);
    await prom.until(`count(p99_latency_seconds{app="${app}"})`, 2);

    const plan = await harness.app.inject({ method: 'POST', url: '/v1/plans', headers: auth('dev-viewer'), payload: spec });
    expect(plan.json().plan.metricChecks).toEqual([
      { name: 'p99-vs-blue', source: expect.stringMatching(/^Prometheus metrics: /), window: '10s', phases: [{ phase: 'shifting', failsWhen: 'green > blue + 20 %', failureThreshold: 2, noData: 'ignore' }] },
    ]);

    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    const atGate = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect(atGate.findings).toContainEqual({ severity: 'info', source: 'metrics', message: 'metric check p99-vs-blue reads 0.3 (blue 0.3)' });
    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });

    // Green keeps up: the status shows the check's last reading while traffic is split.
    const healthy = await eventually(status, (s) => s.weights.green === 20 && s.health.checks?.[0]?.outcome === 'pass');
    expect(healthy.health.checks[0]).toMatchObject({ check: 'p99-vs-blue', phase: 'shifting', value: 0.3, blue: 0.3, window: '10s', consecutiveFailures: 0, failureThreshold: 2 });

    // Green slows down: two readings in a row beyond blue + 20 % roll it back.
    prom.set('p99_latency_seconds', { app, cluster: w.world.green }, 0.9);
    const rolledBack = await eventually(status, (s) => s.phase === 'rolled-back');
    const target = resolveSpec(spec).traffic.route53!;
    expect(await readRoute53Weights(createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1'), target)).toEqual([{ blue: 100, green: 0 }]);

    const audit = (await harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') })).json().audit as { action: string; actor: string; reason: string; detail?: Record<string, unknown> }[];
    const breach = audit.find((e) => e.action === 'health-breach');
    expect(breach).toMatchObject({ actor: 'watcher', detail: { consecutiveFailures: 2, onBreach: 'rollback' } });
    const check = breach!.detail!.check as Record<string, number | string>;
    expect(check).toMatchObject({ check: 'p99-vs-blue', outcome: 'fail', phase: 'shifting', value: 0.9, blue: 0.3, failsWhen: 'green > blue + 20 %', window: '10s', consecutiveFailures: 2 });
    expect(check.above).toBeCloseTo(0.36);
    expect(breach!.reason).toMatch(/^metric check p99-vs-blue: green 0.9 vs blue 0.3, fails when green > blue \+ 20 % \(limit 0.36\d*\) over 10s, 2 failed in a row in shifting$/);
    expect(rolledBack.health.lastBreach).toMatchObject({ reason: breach!.reason, check: { value: 0.9, blue: 0.3 } });
    expect(audit.filter((e) => e.action === 'set-weights').at(-1)).toMatchObject({ actor: 'watcher', reason: `health breach: ${breach!.reason}`, detail: { blue: 100, green: 0 } });
  });
});
