// Where a metric check, the drain check or a side of the observed share reads its number: a
// spec gives exactly one of cloudwatch and prometheus (checkSpec). The choice is made here,
// for the words of the plan and the status and for the activities that read the number.

interface Sources {
  cloudwatch?: unknown;
  prometheus?: unknown;
}

/** The one source a check reads, by kind. */
export type ChosenSource<C extends Sources> = { kind: 'prometheus'; prometheus: NonNullable<C['prometheus']> } | { kind: 'cloudwatch'; cloudwatch: NonNullable<C['cloudwatch']> };

export function chosenSource<C extends Sources>(check: C): ChosenSource<C> {
  return (check.prometheus !== undefined ? { kind: 'prometheus', prometheus: check.prometheus } : { kind: 'cloudwatch', cloudwatch: check.cloudwatch }) as ChosenSource<C>;
}

interface CloudWatchWords {
  alarm?: string;
  metric?: { namespace: string; metricName: string; stat: string };
  dividedBy?: { metricName: string; stat: string };
}

/** Where a check reads its value, in words. */
export function metricSource(check: { cloudwatch?: CloudWatchWords; prometheus?: { server?: string; query: string } }): string {
  const source = chosenSource(check);
  if (source.kind === 'prometheus') return `Prometheus ${source.prometheus.server ?? '(default server)'}: ${source.prometheus.query}`;
  const cw = source.cloudwatch;
  if (cw.alarm) return `CloudWatch alarm ${cw.alarm}`;
  return `CloudWatch ${cw.metric?.namespace} ${cw.metric?.metricName} (${cw.metric?.stat})${cw.dividedBy ? ` / ${cw.dividedBy.metricName} (${cw.dividedBy.stat})` : ''}`;
}
