// Metric signals: measure a query over a window (CloudWatch or Prometheus), and judge a
// metric check of the spec by it — against a threshold, or against blue. The health watcher
// reads checks through `evaluate`; anything else that needs a number (a drain, a traffic share)
// reads it through `measure`.
import { durationMs } from '../../workflows/duration.js';
import type { MetricVerdict } from '../../workflows/model.js';
import { describeRule } from '../../workflows/describe.js';
import type { MetricRule, ResolvedMetricCheck } from '../../workflows/spec-defaults.js';
import { CLUSTER_PLACEHOLDER } from '../../workflows/spec-values.js';
import { chosenSource } from '../../workflows/metric-source.js';
import type { MetricPhase } from '../../workflows/spec.js';
import type { AwsClients } from '../aws.js';
import { readAlarm, readCloudWatch, type CloudWatchQuery } from './cloudwatch.js';
import { prometheusUrl, queryPrometheus, SignalError, type PrometheusSettings } from './prometheus.js';

export { SignalError, type PrometheusSettings };

/** Where a value is read: a Prometheus the worker knows (by name, or its default), or CloudWatch in a region. */
export type SignalSource = { kind: 'prometheus'; server?: string } | { kind: 'cloudwatch'; region: string };
/** What is read: PromQL ({{window}} becomes the window, e.g. 300s), or a CloudWatch metric (or ratio). */
export type SignalQuery<S extends SignalSource> = S extends { kind: 'prometheus' } ? string : CloudWatchQuery;

/** PromQL's duration for a window: whole seconds, e.g. 300s. */
const promDuration = (windowMs: number) => `${Math.max(1, Math.round(windowMs / 1000))}s`;

/** The query for one cluster: {{cluster}} replaced by its name. */
export const forCluster = (query: string, cluster: string) => query.replaceAll(CLUSTER_PLACEHOLDER, cluster);

/** How a reading's reason begins when its value could not be read (not merely empty). */
export const NOT_READ = 'not read: ';

/** A spec's source of one number (a drain's, a traffic share's side): PromQL ({{cluster}} is the cluster's name) or a CloudWatch metric or ratio. */
export interface NumberSource {
  prometheus?: { server?: string; query: string };
  cloudwatch?: CloudWatchQuery;
}

/** Readings per window when polling a source: a change is seen soon, and a slow source is not hammered. */
const READINGS_PER_WINDOW = 10;
/** How often to read a source over `window` while waiting for a value: a tenth of it, 1–30 s. */
export const readingInterval = (window: string) => `${Math.min(30_000, Math.max(1_000, Math.round(durationMs(window) / READINGS_PER_WINDOW)))}ms`;

/** The most of a reason a reading keeps: readings travel in every heartbeat, and a breach's into history. */
const MAX_REASON = 500;
const brief = (reason: string) => (reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason);

/** Who the checks of a migration measure. */
export interface CheckContext {
  region: string;
  blue: string;
  green: string;
  phase: MetricPhase;
}

/** A verdict before the watcher counts it (consecutive failures are the watcher's). */
export type Reading = Omit<MetricVerdict, 'consecutiveFailures' | 'failureThreshold'>;

export function createSignals(deps: { aws?: AwsClients; prometheus?: PrometheusSettings }) {
  /**
   * The value of `query` over the `window` that ends now, or undefined when there is no data.
   * Throws SignalError (Prometheus) or a typed AWS failure when it cannot be read.
   */
  async function measure<S extends SignalSource>(source: S, query: SignalQuery<S>, window: string): Promise<number | undefined> {
    const windowMs = durationMs(window);
    if (source.kind === 'prometheus') {
      const url = prometheusUrl(deps.prometheus ?? {}, source.server);
      const promql = (query as string).replaceAll('{{window}}', promDuration(windowMs));
      return queryPrometheus(url, promql, `Prometheus ${source.server ?? '(default)'}`);
    }
    return readCloudWatch(cloudwatch(source.region), query as CloudWatchQuery, windowMs);
  }

  function cloudwatch(region: string) {
    if (!deps.aws) throw new SignalError('CloudWatch is not available to this worker');
    return deps.aws.cloudwatch(region);
  }

  /** The value of a spec's `source` for `cluster` over `window`; undefined with no data. */
  function measureSource(source: NumberSource, cluster: string, region: string, window: string): Promise<number | undefined> {
    const chosen = chosenSource(source);
    if (chosen.kind === 'prometheus') return measure({ kind: 'prometheus', server: chosen.prometheus.server }, forCluster(chosen.prometheus.query, cluster), window);
    return measure({ kind: 'cloudwatch', region }, { metric: chosen.cloudwatch.metric, dividedBy: chosen.cloudwatch.dividedBy }, window);
  }

  /** Green's (or blue's) value of a check. */
  function measureSide(check: ResolvedMetricCheck, ctx: CheckContext, side: 'green' | 'blue'): Promise<number | undefined> {
    const chosen = chosenSource(check);
    if (chosen.kind === 'prometheus') {
      const p = chosen.prometheus;
      const query = side === 'blue' && p.blueQuery ? p.blueQuery : p.query;
      return measure({ kind: 'prometheus', server: p.server }, forCluster(query, ctx[side]), check.window);
    }
    const cw = chosen.cloudwatch;
    const q = side === 'blue' ? cw.blue! : { metric: cw.metric!, dividedBy: cw.dividedBy };
    return measure({ kind: 'cloudwatch', region: ctx.region }, q, check.window);
  }

  /**
   * Reads a check once in the current phase and judges it. A value that cannot be read counts
   * as no data, with the error as its reason: the check's noData policy decides what it means.
   */
  async function evaluate(check: ResolvedMetricCheck, ctx: CheckContext): Promise<Reading> {
    const rule = check.phases[ctx.phase];
    if (!rule) throw new Error(`metric check ${check.name} does not run in ${ctx.phase}`);
    const base = { check: check.name, phase: ctx.phase, failsWhen: describeRule(rule, !!check.cloudwatch?.alarm), window: check.window, at: new Date().toISOString() };
    try {
      if (check.cloudwatch?.alarm) {
        const alarm = await readAlarm(cloudwatch(ctx.region), check.cloudwatch.alarm);
        if (!alarm.state) return { ...base, outcome: 'no-data', reason: `no CloudWatch alarm named ${check.cloudwatch.alarm}` };
        const outcome = alarm.state === 'ALARM' ? 'fail' : alarm.state === 'OK' ? 'pass' : 'no-data';
        return { ...base, outcome, alarmState: alarm.state, ...(alarm.threshold !== undefined && { above: alarm.threshold }), ...(alarm.reason && { reason: brief(alarm.reason) }) };
      }
      const [value, blue] = await Promise.all([measureSide(check, ctx, 'green'), rule.compareToBlue ? measureSide(check, ctx, 'blue') : undefined]);
      if (value === undefined) return { ...base, outcome: 'no-data', ...(blue !== undefined && { blue }), reason: 'the query found no data for green' };
      if (rule.compareToBlue && blue === undefined) return { ...base, outcome: 'no-data', value, reason: 'the query found no data for blue' };
      const limits = limitsOf(rule, blue);
      const fails = (limits.above !== undefined && value > limits.above) || (limits.below !== undefined && value < limits.below);
      return { ...base, outcome: fails ? 'fail' : 'pass', value, ...(blue !== undefined && { blue }), ...limits };
    } catch (err) {
      return { ...base, outcome: 'no-data', reason: brief(`${NOT_READ}${(err as Error).message}`) };
    }
  }

  return { measure, measureSource, evaluate };
}

export type Signals = ReturnType<typeof createSignals>;

/** The bounds green's value must keep: the rule's own, or blue's value with the tolerance. */
export function limitsOf(rule: Omit<MetricRule, 'failureThreshold' | 'noData'>, blue?: number): { above?: number; below?: number } {
  const c = rule.compareToBlue;
  if (!c) return { ...(rule.above !== undefined && { above: rule.above }), ...(rule.below !== undefined && { below: rule.below }) };
  const b = blue ?? 0;
  const tolerance = Math.abs(b) * (c.relative ?? 0) + (c.absolute ?? 0);
  return c.worseWhen === 'higher' ? { above: b + tolerance } : { below: b - tolerance };
}

/** A verdict in words, for a breach's reason and its notification. */
export function describeVerdict(v: MetricVerdict): string {
  const numbers =
    v.alarmState !== undefined
      ? `alarm ${v.alarmState}${v.reason ? ` (${v.reason})` : ''}`
      : v.value === undefined
        ? `no data (${v.reason ?? 'no reason given'})`
        : v.blue !== undefined
          ? `green ${v.value} vs blue ${v.blue}, fails when ${v.failsWhen} (limit ${v.above ?? v.below})`
          : `value ${v.value}, fails when ${v.failsWhen}`;
  return `metric check ${v.check}: ${numbers} over ${v.window}, ${v.consecutiveFailures} failed in a row in ${v.phase}`;
}
