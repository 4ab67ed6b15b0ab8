// Metric checks against their real sources: CloudWatch in moto (metric data, a ratio of two
// metrics, alarms set by hand) and a real Prometheus scraping an exporter the test runs.
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthBreach } from '../../activities/contract.js';
import { createHealthActivities, type WatcherProgress } from '../../activities/health.js';
import { createAwsClients } from '../../activities/aws.js';
import { createSignals, SignalError } from '../../activities/signals/index.js';
import { resolveMetricCheck } from '../../workflows/spec-defaults.js';
import type { CloudWatchMetric, MetricCheck } from '../../workflows/spec.js';
import { stack, uniqueName } from '../helpers.js';
import { PROMETHEUS_TIMEOUT_MS, PROMETHEUS_USER, startPrometheus, type TestPrometheus } from '../prometheus.js';
import { startActivity } from './support.js';

const region = 'eu-west-1';
const ctx = { region, blue: 'prod-blue', green: 'prod-green', phase: 'shifting' as const };
const aws = () => createAwsClients({ endpoint: stack().motoUrl });
const cloudwatch = () => new CloudWatchClient({ endpoint: stack().motoUrl, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const resolved = (check: MetricCheck) => resolveMetricCheck(check, 3);

/** A target-group metric of ALB's namespace, as green's would be. */
const albMetric = (metricName: string, targetGroup: string, stat = 'Sum'): CloudWatchMetric => ({
  namespace: 'AWS/ApplicationELB',
  metricName,
  dimensions: [{ name: 'TargetGroup', value: targetGroup }],
  stat,
});

/**
 * Puts `value` at the start of each of the last three minutes (and this one): whichever minute
 * is the last complete one when the check reads, it holds exactly this value.
 */
async function putEachMinute(metricName: string, targetGroup: string, value: number): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const MetricData = [-3, -2, -1, 0].map((m) => ({ MetricName: metricName, Dimensions: [{ Name: 'TargetGroup', Value: targetGroup }], Value: value, Timestamp: new Date(minute + m * 60_000 + 1_000) }));
  await cloudwatch().send(new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData }));
}

describe('CloudWatch (moto)', () => {
  const signals = () => createSignals({ aws: aws() });

  it('measures a ratio of two metrics over the last complete window: 5xx / requests of green\'s target group', async () => {
    const tg = uniqueName('targetgroup/green');
    await putEachMinute('HTTPCode_Target_5XX_Count', tg, 5);
    await putEachMinute('RequestCount', tg, 200);
    const source = { kind: 'cloudwatch' as const, region };
    expect(await signals().measure(source, { metric: albMetric('HTTPCode_Target_5XX_Count', tg), dividedBy: albMetric('RequestCount', tg) }, '1m')).toBe(0.025);
    expect(await signals().measure(source, { metric: albMetric('RequestCount', tg, 'Sum') }, '1m')).toBe(200);
    // Another target group has no data; a zero divisor is no data too, not Infinity.
    expect(await signals().measure(source, { metric: albMetric('RequestCount', uniqueName('targetgroup/none')) }, '1m')).toBeUndefined();
    const idle = uniqueName('targetgroup/idle');
    await putEachMinute('HTTPCode_Target_5XX_Count', idle, 0);
    await putEachMinute('RequestCount', idle, 0);
    expect(await signals().measure(source, { metric: albMetric('HTTPCode_Target_5XX_Count', idle), dividedBy: albMetric('RequestCount', idle) }, '1m')).toBeUndefined();
  });

  it('judges the ratio against its threshold and carries the numbers', async () => {
    const tg = uniqueName('targetgroup/green');
    await putEachMinute('HTTPCode_Target_5XX_Count', tg, 9);
    await putEachMinute('RequestCount', tg, 100);
    const check = resolved({ name: 'green-5xx', cloudwatch: { metric: albMetric('HTTPCode_Target_5XX_Count', tg), dividedBy: albMetric('RequestCount', tg) }, above: 0.05, window: '1m' });
    expect(await signals().evaluate(check, ctx)).toMatchObject({ check: 'green-5xx', outcome: 'fail', value: 0.09, above: 0.05, failsWhen: 'value > 0.05', window: '1m', phase: 'shifting' });
  });

  it("reads an alarm's state: ALARM fails with CloudWatch's reason and threshold, OK passes, INSUFFICIENT_DATA and a missing alarm are no data", async () => {
    const name = uniqueName('green-5xx');
    const tg = uniqueName('targetgroup/green');
    await cloudwatch().send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Dimensions: [{ Name: 'TargetGroup', Value: tg }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    const check = resolved({ name: 'alarm', cloudwatch: { alarm: name } });
    const reason = 'Threshold Crossed: 1 datapoint [25.0] was greater than the threshold (10.0).';
    await cloudwatch().send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: reason }));
    expect(await signals().evaluate(check, ctx)).toMatchObject({ outcome: 'fail', alarmState: 'ALARM', above: 10, reason, failsWhen: 'alarm in ALARM' });
    await cloudwatch().send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'back to normal' }));
    expect(await signals().evaluate(check, ctx)).toMatchObject({ outcome: 'pass', alarmState: 'OK' });
    await cloudwatch().send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'INSUFFICIENT_DATA', StateReason: 'no datapoints' }));
    expect(await signals().evaluate(check, ctx)).toMatchObject({ outcome: 'no-data', alarmState: 'INSUFFICIENT_DATA' });
    expect(await signals().evaluate(resolved({ name: 'gone', cloudwatch: { alarm: uniqueName('no-such-alarm') } }), ctx)).toMatchObject({ outcome: 'no-data', reason: expect.stringMatching(/^no CloudWatch alarm named/) });
  });
});

describe('Prometheus (real, scraping a test exporter)', () => {
  let prom: TestPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  }, PROMETHEUS_TIMEOUT_MS);
  afterAll(async () => prom?.close());
  const signals = () => createSignals({ prometheus: { defaultUrl: prom.url, servers: { main: prom.url, down: 'http://127.0.0.1:9/' } } });

  it('measures an instant query, with {{window}} as the window in seconds; an empty answer is no data', async () => {
    const app = uniqueName('app');
    prom.set('request_latency_p99_seconds', { app, cluster: 'prod-green' }, 0.25);
    await prom.until(`request_latency_p99_seconds{app="${app}"}`, 0.25);
    const query = `max_over_time(request_latency_p99_seconds{app="${app}",cluster="prod-green"}[{{window}}])`;
    expect(await signals().measure({ kind: 'prometheus' }, query, '30s')).toBe(0.25);
    expect(await signals().measure({ kind: 'prometheus', server: 'main' }, query, '5m')).toBe(0.25);
    expect(await signals().measure({ kind: 'prometheus' }, `request_latency_p99_seconds{app="${app}",cluster="nowhere"}`, '1m')).toBeUndefined();
  });

  it('refuses what it cannot read, saying why: several series, bad PromQL, an unknown or unreachable server', async () => {
    const app = uniqueName('app');
    prom.set('requests_total', { app, cluster: 'a' }, 1);
    prom.set('requests_total', { app, cluster: 'b' }, 2);
    await prom.until(`count(requests_total{app="${app}"})`, 2);
    const measure = (query: string, server?: string) => signals().measure({ kind: 'prometheus', server }, query, '1m');
    await expect(measure(`requests_total{app="${app}"}`)).rejects.toThrow(/answered 2 series; aggregate the query to one/);
    await expect(measure('sum(rate(requests_total[{{window}}]')).rejects.toThrow(/refused the query: .*parse error/);
    await expect(measure('vector(1)', 'elsewhere')).rejects.toThrow(new SignalError('Prometheus server "elsewhere" is not configured in the worker (CUTOVER_PROMETHEUS_SERVERS)'));
    await expect(measure('vector(1)', 'down')).rejects.toThrow(/Prometheus down could not be reached/);
  });

  it('compares green with blue over the same window: {{cluster}} becomes each side\'s name', async () => {
    const app = uniqueName('app');
    prom.set('latency_seconds', { app, cluster: 'prod-green' }, 0.9);
    prom.set('latency_seconds', { app, cluster: 'prod-blue' }, 0.5);
    await prom.until(`count(latency_seconds{app="${app}"})`, 2);
    const check = (relative: number) =>
      resolved({ name: 'latency-vs-blue', prometheus: { query: `max_over_time(latency_seconds{app="${app}",cluster="{{cluster}}"}[{{window}}])` }, compareToBlue: { relative }, window: '30s' });
    expect(await signals().evaluate(check(0.5), ctx)).toMatchObject({ outcome: 'fail', value: 0.9, blue: 0.5, above: 0.75, failsWhen: 'green > blue + 50 %' });
    expect(await signals().evaluate(check(1), ctx)).toMatchObject({ outcome: 'pass', value: 0.9, blue: 0.5, above: 1 });
  });

  it('the watcher counts each check per phase, heartbeats the numbers, and breaches with them; no data counts per the check', async () => {
    const app = uniqueName('app');
    prom.set('error_ratio', { app, cluster: 'prod-green' }, 0.2);
    await prom.until(`error_ratio{app="${app}"}`, 0.2);
    const acts = createHealthActivities({ prometheus: { defaultUrl: prom.url } });
    const checks: MetricCheck[] = [
      // Fails every reading, but only three in a row in shifting make a breach.
      { name: 'errors', prometheus: { query: `max(error_ratio{app="${app}",cluster="{{cluster}}"})` }, above: 0.1, phases: { shifting: { failureThreshold: 3 }, baking: { failureThreshold: 1 } } },
      // No data, ignored: never counts.
      { name: 'quiet', prometheus: { query: `max(error_ratio{app="${app}",cluster="nowhere"})` }, above: 0.1, noData: 'ignore' },
    ];
    const health = { smoke: [], metrics: checks.map(resolved), interval: '200ms', failureThreshold: 3, onBreach: 'rollback' as const };
    const running = startActivity(acts.watchHealth, { health, metrics: { ...ctx, phase: 'shifting' } });
    const breach = await running.result;
    expect(breach.check).toMatchObject({ check: 'errors', outcome: 'fail', value: 0.2, above: 0.1, consecutiveFailures: 3, failureThreshold: 3, phase: 'shifting' });
    expect(breach.reason).toBe('metric check errors: value 0.2, fails when value > 0.1 over 5m, 3 failed in a row in shifting');
    const progress = running.heartbeats as WatcherProgress[];
    const errors = progress.map((p) => p.checks?.find((c) => c.check === 'errors')?.consecutiveFailures);
    expect(errors.filter((c, i) => c !== errors[i - 1])).toEqual([1, 2, 3]);
    expect(progress.at(-1)?.checks?.find((c) => c.check === 'quiet')).toMatchObject({ outcome: 'no-data', consecutiveFailures: 0 });

    // In baking the same check breaches at its first failure; with noData fail, an empty query breaches too.
    const baking = await startActivity(acts.watchHealth, { health, metrics: { ...ctx, phase: 'baking' } }).result;
    expect(baking.check).toMatchObject({ check: 'errors', consecutiveFailures: 1, failureThreshold: 1, phase: 'baking' });
    const strict = { ...health, metrics: [resolved({ ...checks[1], noData: 'fail', failureThreshold: 2 })] };
    const empty: HealthBreach = await startActivity(acts.watchHealth, { health: strict, metrics: { ...ctx, phase: 'frozen' } }).result;
    expect(empty.check).toMatchObject({ check: 'quiet', outcome: 'no-data', consecutiveFailures: 2, reason: 'the query found no data for green' });
  });

  it('validation reads each check once: one that cannot be read blocks, one without data yet is information', async () => {
    const acts = createHealthActivities({ prometheus: { defaultUrl: prom.url } });
    const metrics = [
      resolved({ name: 'broken', prometheus: { query: 'sum(rate(x[{{window}}]' }, above: 1 }),
      resolved({ name: 'elsewhere', prometheus: { server: 'nope', query: 'vector(1)' }, above: 1 }),
      resolved({ name: 'empty', prometheus: { query: 'absent_metric_for_cutover' }, above: 1 }),
    ];
    const { findings } = await acts.validateGreen({ region, blue: 'prod-blue', green: 'prod-green', health: { smoke: [], metrics, interval: '1m', failureThreshold: 3, onBreach: 'rollback' } });
    expect(findings).toEqual([
      { severity: 'blocking', source: 'metrics', message: expect.stringMatching(/^metric check broken cannot be read: Prometheus \(default\) refused the query: .*parse error/) },
      { severity: 'blocking', source: 'metrics', message: 'metric check elsewhere cannot be read: Prometheus server "nope" is not configured in the worker (CUTOVER_PROMETHEUS_SERVERS)' },
      { severity: 'info', source: 'metrics', message: 'metric check empty has no data yet (the query found no data for green)' },
    ]);
  });
});

describe('Prometheus behind basic auth', () => {
  let prom: TestPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus({ basicAuth: true });
  }, PROMETHEUS_TIMEOUT_MS);
  afterAll(async () => prom?.close());

  it("sends the credentials of the worker's URL as basic auth, and never repeats them", async () => {
    const port = new URL(prom.url).port;
    const signals = createSignals({
      prometheus: { servers: { secured: `http://${PROMETHEUS_USER.name}:${PROMETHEUS_USER.password}@127.0.0.1:${port}/`, wrong: `http://${PROMETHEUS_USER.name}:not-the-password@127.0.0.1:${port}/` } },
    });
    expect(await signals.measure({ kind: 'prometheus', server: 'secured' }, 'vector(42)', '1m')).toBe(42);
    const refused = await signals.measure({ kind: 'prometheus', server: 'wrong' }, 'vector(42)', '1m').catch((err: Error) => err);
    expect(refused).toBeInstanceOf(SignalError);
    expect((refused as Error).message).toBe("Prometheus wrong answered 401: it refuses the credentials in the worker's URL for it (or asks for some)");
  });
});
