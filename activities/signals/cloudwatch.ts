// CloudWatch as a metric source: a metric (or a ratio of two) over the last complete window,
// and an alarm's state. Runs as the clusters role (aws.ts), in the migration's region.
import { DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchMetric } from '../../workflows/spec.js';
import { awsFailure } from '../errors.js';

/** A CloudWatch value: a metric's statistic, or that divided by another's (an error ratio). */
export interface CloudWatchQuery {
  metric: CloudWatchMetric;
  dividedBy?: CloudWatchMetric;
}

const stat = (id: string, m: CloudWatchMetric, periodS: number): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: (m.dimensions ?? []).map((d) => ({ Name: d.name, Value: d.value })) },
    Period: periodS,
    Stat: m.stat,
  },
});

/**
 * The query's value over the last complete window: one period as long as the window, aligned
 * to it as CloudWatch aligns periods, so the statistic (a sum, a p99) covers exactly that
 * window. A ratio is metric / dividedBy of the same period — what the metric math `m / d`
 * answers for one period, computed here. Undefined: no datapoint (or a zero divisor).
 */
export async function readCloudWatch(client: CloudWatchClient, query: CloudWatchQuery, windowMs: number, nowMs = Date.now()): Promise<number | undefined> {
  const periodS = Math.max(60, Math.round(windowMs / 60_000) * 60);
  const end = Math.floor(nowMs / (periodS * 1000)) * periodS * 1000;
  const queries = [stat('m', query.metric, periodS), ...(query.dividedBy ? [stat('d', query.dividedBy, periodS)] : [])];
  let results;
  try {
    ({ MetricDataResults: results } = await client.send(
      new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(end - periodS * 1000), EndTime: new Date(end), ScanBy: 'TimestampDescending' }),
    ));
  } catch (err) {
    throw awsFailure(err, `CloudWatch GetMetricData of ${query.metric.namespace} ${query.metric.metricName}`);
  }
  const first = (id: string) => results?.find((r) => r.Id === id)?.Values?.[0];
  const value = first('m');
  if (value === undefined || !query.dividedBy) return value;
  const divisor = first('d');
  return divisor === undefined || divisor === 0 ? undefined : value / divisor;
}

export interface AlarmReading {
  /** OK, ALARM or INSUFFICIENT_DATA; undefined when no alarm has that name. */
  state?: string;
  reason?: string;
  threshold?: number;
}

/** A metric or composite alarm's state and why CloudWatch set it. */
export async function readAlarm(client: CloudWatchClient, name: string): Promise<AlarmReading> {
  try {
    const answer = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    const metric = answer.MetricAlarms?.[0];
    const alarm = metric ?? answer.CompositeAlarms?.[0];
    if (!alarm) return {};
    return { state: alarm.StateValue, reason: alarm.StateReason, threshold: metric?.Threshold };
  } catch (err) {
    throw awsFailure(err, `CloudWatch DescribeAlarms of ${name}`);
  }
}
