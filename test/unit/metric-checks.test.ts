// Metric checks in a spec: the rule each phase runs with, the plan that shows it, what
// checkSpec refuses (each problem naming its field and why), and the worker's Prometheus
// settings.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../workflows/plan.js';
import { checkSpec } from '../../workflows/spec-checks.js';
import { resolveMetricCheck, resolveSpec } from '../../workflows/spec-defaults.js';
import type { MetricCheck, MigrationSpec } from '../../workflows/spec.js';
import { limitsOf } from '../../activities/signals/index.js';
import { workerProcessSettings } from '../../worker/process-settings.js';

const spec = (...metrics: MetricCheck[]): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] } },
  health: { metrics },
  decommission: { drain: { none: 'unit test' } },
});
const tg = (metricName: string) => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions: [{ name: 'TargetGroup', value: 'targetgroup/green/1' }], stat: 'Sum' });
const ratio: MetricCheck = { name: 'errors', cloudwatch: { metric: tg('HTTPCode_Target_5XX_Count'), dividedBy: tg('RequestCount') }, above: 0.01 };
const p99: MetricCheck = { name: 'p99-vs-blue', prometheus: { query: 'max(p99{cluster="{{cluster}}"})' }, compareToBlue: { relative: 0.2 } };

describe('a metric check in each phase', () => {
  it('runs a threshold in every watched phase and a comparison in shifting alone, with the defaults filled in', () => {
    expect(resolveMetricCheck(ratio, 3).phases).toEqual({
      shifting: { above: 0.01, failureThreshold: 3, noData: 'ignore' },
      baking: { above: 0.01, failureThreshold: 3, noData: 'ignore' },
      frozen: { above: 0.01, failureThreshold: 3, noData: 'ignore' },
    });
    expect(resolveMetricCheck(p99, 3)).toMatchObject({ window: '5m', phases: { shifting: { compareToBlue: { worseWhen: 'higher', relative: 0.2 }, failureThreshold: 3, noData: 'ignore' } } });
    expect(Object.keys(resolveMetricCheck(p99, 3).phases)).toEqual(['shifting']);
  });

  it("runs only in the phases it names, each changing what it says: a phase's own threshold replaces the comparison", () => {
    const check: MetricCheck = { ...p99, failureThreshold: 2, phases: { shifting: { failureThreshold: 1 }, baking: { above: 0.8, noData: 'fail' } } };
    expect(resolveMetricCheck(check, 3).phases).toEqual({
      shifting: { compareToBlue: { worseWhen: 'higher', relative: 0.2 }, failureThreshold: 1, noData: 'ignore' },
      baking: { above: 0.8, failureThreshold: 2, noData: 'fail' },
    });
  });

  it('bounds green by blue with the tolerance, the way it is worse', () => {
    expect(limitsOf({ compareToBlue: { worseWhen: 'higher', relative: 0.5, absolute: 0.1 } }, 2)).toEqual({ above: 3.1 });
    expect(limitsOf({ compareToBlue: { worseWhen: 'lower', relative: 0.1 } }, 0.99)).toEqual({ below: 0.99 - 0.099 });
    expect(limitsOf({ above: 1, below: 0 })).toEqual({ above: 1, below: 0 });
  });

  it('shows each check in the plan: source, window, and the rule in each phase', () => {
    const plan = buildPlan(resolveSpec(spec(ratio, { ...p99, window: '10m' }, { name: 'alarm', cloudwatch: { alarm: 'green-5xx' }, phases: { frozen: {} } })));
    expect(plan.metricChecks).toEqual([
      {
        name: 'errors',
        source: 'CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count (Sum) / RequestCount (Sum)',
        window: '5m',
        phases: ['shifting', 'baking', 'frozen'].map((phase) => ({ phase, failsWhen: 'value > 0.01', failureThreshold: 3, noData: 'ignore' })),
      },
      { name: 'p99-vs-blue', source: 'Prometheus (default server): max(p99{cluster="{{cluster}}"})', window: '10m', phases: [{ phase: 'shifting', failsWhen: 'green > blue + 20 %', failureThreshold: 3, noData: 'ignore' }] },
      { name: 'alarm', source: 'CloudWatch alarm green-5xx', window: '5m', phases: [{ phase: 'frozen', failsWhen: 'alarm in ALARM', failureThreshold: 3, noData: 'ignore' }] },
    ]);
    // A spec without metric checks plans (and resolves) as it always did.
    const without = resolveSpec({ ...spec(), health: undefined });
    expect(without.health).toEqual({ smoke: [], interval: '1m', failureThreshold: 3, onBreach: 'rollback' });
    expect(buildPlan(without).metricChecks).toBeUndefined();
  });
});

describe('checkSpec: metric checks', () => {
  it('accepts sound checks', () => {
    expect(checkSpec(spec(ratio, p99, { name: 'alarm', cloudwatch: { alarm: 'green-5xx' } }))).toEqual([]);
  });

  it('names each field at fault and why', () => {
    const issues = checkSpec(
      spec(
        { name: 'both', cloudwatch: { alarm: 'a' }, prometheus: { query: 'vector(1)' }, above: 1 },
        { name: 'none', above: 1 },
        { name: 'alarm-threshold', cloudwatch: { alarm: 'a' }, above: 1 },
        { name: 'no-rule', prometheus: { query: 'vector(1)' } },
        { name: 'self', prometheus: { query: 'vector(1)' }, compareToBlue: { relative: 0.1 } },
        { name: 'no-tolerance', prometheus: { query: 'x{cluster="{{cluster}}"}' }, compareToBlue: {} },
        { name: 'cw-compare', cloudwatch: { metric: tg('TargetResponseTime') }, compareToBlue: { absolute: 0.1 } },
        { name: 'cw-window', cloudwatch: { metric: tg('RequestCount') }, below: 1, window: '90s' },
        { name: 'short', prometheus: { query: 'vector(1)' }, above: 1, window: '5s' },
        { name: 'upside-down', prometheus: { query: 'vector(1)' }, above: 1, below: 2 },
        { name: 'errors', prometheus: { query: 'vector(1)' }, above: 1 },
        { name: 'errors', prometheus: { query: 'vector(1)' }, above: 1 },
        { name: 'nowhere', prometheus: { query: 'vector(1)' }, above: 1, phases: {} },
      ),
    );
    expect(issues).toEqual([
      { path: '/health/metrics/8/window', message: expect.stringMatching(/^health.metrics\[8\].window "5s" must be at least 10s: /) },
      { path: '/health/metrics/0', message: 'needs exactly one source: cloudwatch or prometheus' },
      { path: '/health/metrics/1', message: 'needs exactly one source: cloudwatch or prometheus' },
      { path: '/health/metrics/2', message: 'an alarm is judged by its own threshold (ALARM fails): leave out above, below and compareToBlue' },
      { path: '/health/metrics/3', message: 'has nothing to judge green by in shifting: give above, below or compareToBlue' },
      { path: '/health/metrics/3', message: 'has nothing to judge green by in baking: give above, below or compareToBlue' },
      { path: '/health/metrics/3', message: 'has nothing to judge green by in frozen: give above, below or compareToBlue' },
      { path: '/health/metrics/4/prometheus/query', message: 'compareToBlue needs the query to tell the clusters apart: put {{cluster}} where the cluster\'s name goes, or give blueQuery' },
      { path: '/health/metrics/5/compareToBlue', message: 'needs a tolerance: relative (a fraction of blue) and/or absolute' },
      { path: '/health/metrics/6/cloudwatch/blue', message: "compareToBlue needs blue's metric here (cloudwatch.blue), e.g. the same metric of blue's target group" },
      { path: '/health/metrics/7/window', message: 'must be whole minutes for CloudWatch ("90s"): the window is one CloudWatch period' },
      { path: '/health/metrics/9/below', message: 'must be less than above (1): no value could pass' },
      { path: '/health/metrics/12/phases', message: 'names no phase, so the check would never run: name some of shifting, baking, frozen, or leave phases out for all of them' },
      { path: '/health/metrics/11/name', message: '"errors" is also the name of /health/metrics/10: each check needs its own name' },
    ]);
  });
});

describe('worker settings: Prometheus', () => {
  it('reads the default server and named ones; a bad one is named without its URL', () => {
    const settings = workerProcessSettings({ CUTOVER_PROMETHEUS_URL: 'http://prom:9090', CUTOVER_PROMETHEUS_SERVERS: '{"eu": "https://user:secret@eu.prom.example/"}' });
    expect(settings.health.prometheus).toEqual({ defaultUrl: 'http://prom:9090', servers: { eu: 'https://user:secret@eu.prom.example/' } });
    expect(() => workerProcessSettings({ CUTOVER_PROMETHEUS_SERVERS: '{"eu": "ftp://user:secret@eu/"}' })).toThrow(/CUTOVER_PROMETHEUS_SERVERS: server eu needs an http\(s\) URL/);
    expect(() => workerProcessSettings({ CUTOVER_PROMETHEUS_SERVERS: '{"eu": "ftp://user:secret@eu/"}' })).not.toThrow(/secret/);
    expect(() => workerProcessSettings({ CUTOVER_PROMETHEUS_SERVERS: '[1]' })).toThrow(/CUTOVER_PROMETHEUS_SERVERS: must be a JSON object/);
  });
});
