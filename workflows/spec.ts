// The migration spec: one TypeBox schema that types the workflow input, validates REST
// bodies and documents /openapi.json. Pure: safe to import from workflow code (types only there).
import { Type, type Static, type TOptional } from 'typebox';
import { METRIC_PHASES } from './model.js';
import { DURATION_LIMITS, EXPIRY_ACTIONS, GATE_KINDS, POLICY_NAME, QUIESCE_KINDS, TEAM_NAME, WEEKDAYS, type DurationLimit } from './spec-values.js';


const DURATION = 'Temporal duration string, e.g. "7 days", "10m", "0s"';
/** A duration field: its meaning, its default and its limits (which checkSpec checks). */
function Duration(limit: keyof typeof DURATION_LIMITS, description: string, byDefault: string) {
  const { least, most }: DurationLimit = DURATION_LIMITS[limit];
  const range = `${least.exclusive ? 'more than' : 'at least'} ${least.value}, at most ${most.value}`;
  return Type.String({ minLength: 1, maxLength: 64, description: `${DURATION}: ${description}; ${range} (default ${byDefault})`, examples: ['10m'] });
}
const Name = Type.String({ minLength: 1, maxLength: 255 });
const NameWith = (description: string) => Type.String({ minLength: 1, maxLength: 255, description });
/** A context in the worker's kubeconfig; names a context only, never carries credentials. */
const KubeContext = Type.String({
  minLength: 1,
  maxLength: 255,
  description:
    "context in the worker's kubeconfig (KUBECONFIG files merged as kubectl does); for an EKS cluster it may be left out: the context named like the cluster or by its ARN (arn:…:cluster/<name>) is found",
  examples: ['kind-blue', 'arn:aws:eks:eu-west-1:111122223333:cluster/prod-blue'],
});

/** A string limited to `values`, typed as their union (Type.Union over a mapped array loses it). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * The most items of each array in a spec: far beyond a real migration, and small enough that
 * a spec (and the list of what is wrong with it) stays a few kB. Ascending steps of 1..100
 * cannot exceed 100 anyway; the bound makes a schema error of a longer list.
 */
export const MAX_ITEMS = { steps: 100, records: 100, objects: 100, smoke: 20, peaks: 20, metrics: 20, dimensions: 30, freezes: 50, claims: 100 } as const;

/** A notification channel's name, in a spec and in the worker's channel map alike. */
export const NOTIFY_CHANNEL = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
/** A Prometheus server's name, in a spec and in the worker's server map alike. */
export const PROMETHEUS_SERVER = NOTIFY_CHANNEL;

/**
 * Fields a spec no longer takes, with what to do instead: a spec is kept in the workflow's
 * history for good, so it must name secrets, never carry them.
 */
export const RETIRED_FIELDS: Record<string, string> = {
  '/notify/webhookUrl':
    'webhook URLs are secrets and a spec is kept in history: name a channel configured in the worker instead (notify.channel; the worker maps channel → URL in CUTOVER_NOTIFY_CHANNELS or the file CUTOVER_NOTIFY_CHANNELS_FILE)',
};

export const TRAFFIC_DRIVERS = ['route53', 'alb', 'external-dns', 'service-selector'] as const;
export const BREACH_ACTIONS = ['rollback', 'pause', 'notify'] as const;
/** What a metric check does when its query finds no data (or cannot be read): counts as a pass, as a failure, or not at all. */
export const NO_DATA_POLICIES = ['pass', 'fail', 'ignore'] as const;


export const Route53Record = Type.Object(
  {
    name: Name,
    type: Type.Optional(Type.String({ minLength: 1, description: 'default CNAME' })),
    blueSetIdentifier: Type.Optional(Type.String({ minLength: 1, description: 'default blue' })),
    greenSetIdentifier: Type.Optional(Type.String({ minLength: 1, description: 'default green' })),
  },
  { additionalProperties: false },
);

/** Weighted record sets in one hosted zone (named by ID or by name). */
const Route53Settings = (description: string) =>
  Type.Object(
    {
      hostedZoneId: Type.Optional(Type.String({ minLength: 1, description: 'hosted zone ID (one of hostedZoneId, hostedZoneName is required)' })),
      hostedZoneName: Type.Optional(Type.String({ minLength: 1, description: 'hosted zone name, e.g. example.com.' })),
      records: Type.Array(Route53Record, { minItems: 1, maxItems: MAX_ITEMS.records, description: `at most ${MAX_ITEMS.records} record pairs (each shift writes them in one batch)` }),
      aliasTtl: Type.Optional(
        Duration(
          'route53.aliasTtl',
          "how long resolvers may keep the old answer of an alias record, which has no TTL of its own (Route 53 answers with its target's: 60 s for a load balancer); each shift waits this long after Route 53 is INSYNC, as it waits a plain record's TTL",
          '60s',
        ),
      ),
    },
    { additionalProperties: false, description },
  );

// Kubernetes names, as the API server checks them: namespaces are DNS labels, object names
// DNS subdomains, label keys qualified names (optional DNS prefix and a slash).
const KubeNamespace = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Kubernetes namespace' });
const KubeObjectName = Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' });
const LABEL_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LabelKey = (description: string) =>
  Type.String({ minLength: 1, maxLength: 317, pattern: `^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${LABEL_NAME}$`, description });
const LabelValue = (description: string) => Type.String({ minLength: 1, maxLength: 63, pattern: `^${LABEL_NAME}$`, description });

export const EXTERNAL_DNS_KINDS = ['Ingress', 'Service'] as const;

export const ExternalDnsObject = Type.Object(
  {
    kind: StringEnum(EXTERNAL_DNS_KINDS, { description: 'Ingress (networking.k8s.io/v1) or Service (v1)' }),
    namespace: KubeNamespace,
    name: KubeObjectName,
  },
  { additionalProperties: false, description: 'an object external-dns publishes; the same kind/namespace/name in blue and in green' },
);

// Stateful workloads carried over: which of blue's claims, how blue's writes stop, where the copies go.
const CLAIM_REF = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
const WORKLOAD_REF = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?/(${QUIESCE_KINDS.join('|')})/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`;
/** An availability zone's name ("eu-west-1a"); that it lies in the spec's region is checked by checkSpec. */
export const ZONE_NAME = '^[a-z]{2}(-[a-z0-9]+)+-[0-9][a-z]$';

export const StatefulSettings = Type.Object(
  {
    claims: Type.Optional(
      Type.Array(
        Type.Union([
          Type.String({ pattern: CLAIM_REF, maxLength: 317, description: 'a PersistentVolumeClaim of blue, "namespace/name"' }),
          Type.Object(
            {
              namespace: KubeNamespace,
              selector: Type.String({ minLength: 1, maxLength: 1000, description: 'a label selector ("app=db,tier in (data)") choosing claims in the namespace' }),
            },
            { additionalProperties: false },
          ),
        ]),
        { minItems: 1, maxItems: MAX_ITEMS.claims, description: "blue's claims to carry over (default: every claim bound to an EBS volume in the namespaces audited)" },
      ),
    ),
    quiesce: Type.Union(
      [
        Type.Object({ mode: Type.Literal('gate', { description: "gate stateful: a person confirms that writes to blue's carried volumes have stopped" }) }, { additionalProperties: false }),
        Type.Object(
          {
            mode: Type.Literal('scale-to-zero', { description: "the named workloads in blue scale to 0 (their replicas restored on rollback or cancel) and their pods are gone before the snapshots" }),
            workloads: Type.Array(Type.String({ pattern: WORKLOAD_REF, maxLength: 400, description: '"namespace/Kind/name", Kind StatefulSet or Deployment' }), {
              minItems: 1,
              maxItems: MAX_ITEMS.claims,
              uniqueItems: true,
            }),
          },
          { additionalProperties: false },
        ),
      ],
      { description: "how writes to blue's volumes stop before they are copied" },
    ),
    zones: Type.Optional(
      Type.Record(Type.String({ pattern: ZONE_NAME }), Type.String({ pattern: ZONE_NAME }), {
        // A key that is no zone's name is refused, not ignored.
        additionalProperties: false,
        description: "blue's availability zone → green's, for the copies (default: the same zone, which green's subnets must cover)",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "blue's EBS-backed PersistentVolumeClaims carried to green before validation: writes stopped, EBS snapshots, volumes from them in green's zones, the PersistentVolumes and claims in green (undone by rollback and cancel; blue's volumes are never deleted)",
  },
);

export const ExternalDnsSettings = Type.Object(
  {
    blueCluster: Type.Optional(NameWith("cluster whose objects carry blue's weight (default: blue.cluster)")),
    greenCluster: Type.Optional(NameWith("cluster whose objects carry green's weight (default: green.cluster)")),
    objects: Type.Array(ExternalDnsObject, { minItems: 1, maxItems: MAX_ITEMS.objects }),
    route53: Type.Optional(
      Route53Settings(
        "the weighted records external-dns writes from these objects (set identifiers default blue/green): when given, a shift is applied once Route 53 serves the new weights, and green's record must exist before a shift; without it, once the annotations are written",
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "driver external-dns: each cluster runs external-dns, and the external-dns.alpha.kubernetes.io/aws-weight annotation on these objects sets that cluster's Route 53 weight (objects need the set-identifier annotation)",
  },
);

export const ServiceSelectorSettings = Type.Object(
  {
    cluster: NameWith("cluster that serves the Service and both tracks' pods; it must outlive the migration (not blue when decommission.deleteBlue)"),
    namespace: KubeNamespace,
    service: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', description: 'Service name' }),
    key: Type.Optional(LabelKey('selector label that tells blue pods from green pods (default track)')),
    blueValue: Type.Optional(LabelValue('value of key on blue pods (default blue)')),
    greenValue: Type.Optional(LabelValue('value of key on green pods (default green)')),
  },
  {
    additionalProperties: false,
    description:
      "driver service-selector: one Service whose selector picks blue's or green's pods; one patch switches all traffic, so steps must be [100] (the default for this driver)",
  },
);

/** An IAM role to assume in another account; role ARNs and external IDs are not secrets. */
const AwsRole = (description: string) =>
  Type.Object(
    {
      roleArn: Type.String({ minLength: 1, maxLength: 2048, description: 'arn:<partition>:iam::<account>:role/<name>', examples: ['arn:aws:iam::111122223333:role/cutover-clusters'] }),
      externalId: Type.Optional(Type.String({ minLength: 2, maxLength: 1224, pattern: '^[\\w+=,.@:/-]+$', description: "the external ID the role's trust policy requires" })),
    },
    { additionalProperties: false, description },
  );

/** Which role the worker assumes for each account it acts in (absent: its own credentials). */
export const AwsAccounts = Type.Object(
  {
    clusters: Type.Optional(AwsRole("role in the clusters' account: EKS, ELBv2 and the EKS tokens for the clusters' API servers")),
    dns: Type.Optional(AwsRole("role in the DNS account: Route 53 (the route53 driver, external-dns's records)")),
  },
  {
    additionalProperties: false,
    description: 'roles to assume per account; each session is named after the migration ID, so CloudTrail shows which migration made a call',
  },
);

const CLOCK_TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

/** A recurring window of the week in a time zone: the traffic peak a bake must see green carry. */
export const PeakWindow = Type.Object(
  {
    days: Type.Array(StringEnum(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true, description: 'the days the window recurs on, e.g. ["mon", "tue", "wed", "thu", "fri"]' }),
    from: Type.String({ pattern: CLOCK_TIME, description: 'local start, HH:MM (24 h), e.g. 09:00' }),
    to: Type.String({ pattern: CLOCK_TIME, description: 'local end, HH:MM, later than from on the same day (a window across midnight is two windows)' }),
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the times are in, e.g. Europe/Berlin', examples: ['Europe/Berlin'] }),
  },
  { additionalProperties: false },
);

/**
 * A change-freeze window (docs/policies.md, "Change freezes"): a recurrence (cron or RRULE) with
 * a length (duration) or a local end (until), or fixed dates (from/to), in an IANA time zone.
 * Inside one, nothing moves forward; the migration waits and goes on by itself at its end.
 */
export const FreezeWindow = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'what the status and the notifications call it (default: its definition)' })),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'why nothing may move then, shown in the status and told to the channel', examples: ['weekend: no changes'] }),
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the times, e.g. Europe/Berlin', examples: ['Europe/Berlin'] }),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'when the window begins: a cron expression of local times (minute hour day-of-month month day-of-week), e.g. "0 18 * * 5" (Fridays 18:00)' })),
    rrule: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'when the window begins: an RFC 5545 RRULE of local times, e.g. "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0"' }),
    ),
    start: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "with rrule: its DTSTART, a local date-time (default 2020-01-01T00:00): what an INTERVAL counts from, and the time of day when the rule has no BYHOUR/BYMINUTE" })),
    duration: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `${DURATION}: with cron or rrule, how long each occurrence lasts (elapsed time; at most 31 days)` })),
    until: Type.Optional(Type.String({ pattern: CLOCK_TIME, description: 'with cron or rrule, instead of duration: the local time (HH:MM) it ends, the next time the clocks show it after its start' })),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'fixed dates: the start, a local date-time in timeZone (2026-12-20T00:00) or an ISO instant with its offset' })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'fixed dates: the end, after from' })),
  },
  { additionalProperties: false },
);

/** The bake's object form: at least `minimum`, and until every peak window has passed once after the bake began. */
const BakeOverPeaks = Type.Object(
  {
    minimum: Duration('bake', 'time green carries 100 % under the health watcher at the least', '7 days'),
    peaks: Type.Optional(
      Type.Array(PeakWindow, {
        maxItems: MAX_ITEMS.peaks,
        description:
          'windows that must each pass once, whole, after the bake began, with green at 100 %, no health breach and the migration not paused; a window that does not count is waited for again at its next occurrence',
      }),
    ),
  },
  { additionalProperties: false, description: 'a bake over peak traffic: it ends once the minimum has passed and every window has passed once' },
);

/** A CloudWatch metric and the statistic read of it over the check's window (one period). */
const cloudWatchMetric = (description: string) => Type.Object(
  {
    namespace: Type.String({ minLength: 1, maxLength: 255, examples: ['AWS/ApplicationELB'] }),
    metricName: Type.String({ minLength: 1, maxLength: 255, examples: ['HTTPCode_Target_5XX_Count'] }),
    dimensions: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), value: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }), {
        maxItems: MAX_ITEMS.dimensions,
        description: 'e.g. [{"name": "TargetGroup", "value": "targetgroup/green/0123456789abcdef"}]',
      }),
    ),
    stat: Type.String({ minLength: 1, maxLength: 64, description: 'Sum, Average, Minimum, Maximum, SampleCount, or a percentile such as p99', examples: ['Sum', 'p99'] }),
  },
  { additionalProperties: false, description },
);
export const CloudWatchMetric = cloudWatchMetric('a CloudWatch metric and the statistic read of it over the window (one period)');

const CloudWatchSignal = Type.Object(
  {
    alarm: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'a CloudWatch alarm: the check fails while it is in ALARM (the alarm is its own threshold; INSUFFICIENT_DATA is no data)' })),
    metric: Type.Optional(CloudWatchMetric),
    dividedBy: Type.Optional(
      cloudWatchMetric('the value is metric / dividedBy over the window, e.g. HTTPCode_Target_5XX_Count (Sum) / RequestCount (Sum): an error ratio; a zero divisor is no data'),
    ),
    blue: Type.Optional(
      Type.Object(
        { metric: CloudWatchMetric, dividedBy: Type.Optional(CloudWatchMetric) },
        { additionalProperties: false, description: "with compareToBlue: blue's metric (e.g. the same metric of blue's target group)" },
      ),
    ),
  },
  { additionalProperties: false, description: 'CloudWatch, in the spec\'s region as the clusters role (aws.clusters): an alarm, or a metric (optionally a ratio)' },
);

/** A Prometheus the worker knows, by name. */
const PrometheusServerName = Type.Optional(
  Type.String({
    pattern: PROMETHEUS_SERVER,
    maxLength: 100,
    description: "a Prometheus configured in the worker (CUTOVER_PROMETHEUS_SERVERS); default: the worker's CUTOVER_PROMETHEUS_URL. A spec names a server, never its URL",
  }),
);

const PrometheusSignal = Type.Object(
  {
    server: PrometheusServerName,
    query: Type.String({
      minLength: 1,
      maxLength: 4000,
      description:
        'PromQL instant query that answers one number (one series, or a scalar); {{window}} becomes the window in seconds (e.g. 300s), {{cluster}} green\'s cluster name (blue\'s when measuring blue)',
      examples: ['sum(rate(http_requests_total{cluster="{{cluster}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))'],
    }),
    blueQuery: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: "with compareToBlue: blue's query (default: query, with {{cluster}} as blue's name)" })),
  },
  { additionalProperties: false },
);

const CompareToBlue = Type.Object(
  {
    worseWhen: Type.Optional(StringEnum(['higher', 'lower'] as const, { description: 'which way green is worse (default higher: error ratios, latency)' })),
    relative: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: "tolerance as a fraction of blue's value: 0.2 lets green be 20 % worse" })),
    absolute: Type.Optional(Type.Number({ minimum: 0, description: 'tolerance in the metric\'s unit, added to the relative one' })),
  },
  {
    additionalProperties: false,
    description: "green fails when worse than blue, over the same window, by more than the tolerance (relative and/or absolute); no data from either side is no data",
  },
);

/** What a phase may change of a metric check. */
const MetricPhaseSettings = Type.Object(
  {
    above: Type.Optional(Type.Number({ description: "this phase's above" })),
    below: Type.Optional(Type.Number({ description: "this phase's below" })),
    compareToBlue: Type.Optional(CompareToBlue),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "this phase's consecutive failures" })),
    noData: Type.Optional(StringEnum(NO_DATA_POLICIES, { description: "this phase's no-data policy" })),
  },
  { additionalProperties: false },
);

export const MetricCheck = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'unique among the checks; names the check in status, audit and notifications' }),
    cloudwatch: Type.Optional(CloudWatchSignal),
    prometheus: Type.Optional(PrometheusSignal),
    above: Type.Optional(Type.Number({ description: 'fails when the value is above this' })),
    below: Type.Optional(Type.Number({ description: 'fails when the value is below this' })),
    compareToBlue: Type.Optional(CompareToBlue),
    window: Type.Optional(Duration('health.metrics[].window', 'the window the query reads (CloudWatch: whole minutes)', '5m')),
    noData: Type.Optional(
      StringEnum(NO_DATA_POLICIES, {
        description: 'no data (or a query that cannot be read) counts as pass (resets the failures), fail (counts as a failure) or ignore (neither; default)',
      }),
    ),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'consecutive failures that make a breach (default health.failureThreshold)' })),
    phases: Type.Optional(
      Type.Object(
        Object.fromEntries(METRIC_PHASES.map((phase) => [phase, Type.Optional(MetricPhaseSettings)])) as Record<MetricPhase, TOptional<typeof MetricPhaseSettings>>,
        {
          additionalProperties: false,
          description:
            'the phases the check runs in, each with what it changes there (e.g. {"shifting": {"failureThreshold": 1}, "baking": {}}); default: shifting, baking and frozen, and shifting alone for compareToBlue (blue carries no traffic after shifting)',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'a metric of green, read every health.interval: from CloudWatch or Prometheus, against a threshold (above/below) or against blue (compareToBlue)' },
);

/** What no data means to the drain check. */
export const DRAIN_NO_DATA = ['pass', 'fail'] as const;

/** One cluster's traffic in the observed-share check: from CloudWatch or Prometheus, exactly one. */
function TrafficSource(side: 'green' | 'blue') {
  return Type.Object(
    {
      cloudwatch: Type.Optional(
        Type.Object(
          { metric: CloudWatchMetric, dividedBy: Type.Optional(cloudWatchMetric('the value is metric / dividedBy over the window; a zero divisor is no data')) },
          { additionalProperties: false, description: `CloudWatch, in the spec's region as the clusters role: ${side}'s traffic, e.g. RequestCount (Sum) of ${side}'s target group` },
        ),
      ),
      prometheus: Type.Optional(
        Type.Object(
          {
            server: PrometheusServerName,
            query: Type.String({
              minLength: 1,
              maxLength: 4000,
              description: `PromQL instant query that answers one number: ${side}'s traffic; {{window}} becomes the window in seconds (e.g. 300s), {{cluster}} ${side}'s cluster name`,
              examples: ['sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))'],
            }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false, description: `${side}'s traffic, in the same unit as the other side's (e.g. requests)` },
  );
}

/** The share of traffic green really carries after each step, against the weight the step set. */
export const ObservedShareCheck = Type.Object(
  {
    green: TrafficSource('green'),
    blue: TrafficSource('blue'),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: "percentage points green's observed share may be off the step's green weight (default 10)" })),
    window: Type.Optional(Duration('traffic.observedShare.window', 'the window both sources are read over (CloudWatch: whole minutes)', '5m')),
    within: Type.Optional(Duration('traffic.observedShare.within', "how long a step waits for the share to come within tolerance before the migration is held (needs-attention); at least the window", '30m')),
  },
  {
    additionalProperties: false,
    description:
      "after each step's weights are applied (and its DNS wait), the step waits until green's share, green / (green + blue) × 100 over the window, is within tolerance of its weight, before its observe window; past within, the migration is held naming both",
  },
);

/** Blue's traffic, which must stay under a threshold for a window before anything of blue is deleted. */
export const DrainCheck = Type.Object(
  {
    cloudwatch: Type.Optional(
      Type.Object(
        { metric: CloudWatchMetric, dividedBy: Type.Optional(cloudWatchMetric('the value is metric / dividedBy over the window; a zero divisor is no data')) },
        { additionalProperties: false, description: "CloudWatch, in the spec's region as the clusters role: blue's traffic, e.g. RequestCount (Sum) of blue's target group" },
      ),
    ),
    prometheus: Type.Optional(
      Type.Object(
        {
          server: PrometheusServerName,
          query: Type.String({
            minLength: 1,
            maxLength: 4000,
            description: "PromQL instant query that answers one number: blue's traffic; {{window}} becomes the window in seconds (e.g. 300s), {{cluster}} blue's cluster name",
            examples: ['sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))'],
          }),
        },
        { additionalProperties: false },
      ),
    ),
    below: Type.Number({ minimum: 0, description: "blue counts as drained while its traffic, read over the window, is below this, for a whole window" }),
    window: Type.Optional(Duration('decommission.drain.window', 'the window the query reads, and how long blue must stay under below (CloudWatch: whole minutes)', '5m')),
    within: Type.Optional(Duration('decommission.drain.within', 'how long to wait for blue to drain before the migration is held (needs-attention); at least the window', '1h')),
    noData: Type.Optional(
      StringEnum(DRAIN_NO_DATA, {
        description: 'no data counts as drained (pass) or not (fail, the default: a query that finds nothing is more likely wrong than blue idle). A source that cannot be read is never drained',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "decommissioning waits (step drain-check, after blue's routing is removed) until blue's traffic stays under below for a whole window, before anything of blue is deleted; past within, the migration is held naming the last value",
  },
);

/** Who must agree before a gate lets the migration on, and what happens when nobody does in time. */
export const ApprovalPolicy = Type.Object(
  {
    required: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'distinct people who must approve (default 1; decommission 2)' })),
    groups: Type.Optional(
      Type.Array(Type.String({ pattern: POLICY_NAME, description: 'a group (OIDC groups claim, or a static token\'s groups)' }), {
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        description: 'only members of one of these groups may decide the gate (default: anyone with the approver role)',
      }),
    ),
    excludeStarter: Type.Optional(Type.Boolean({ description: 'the person who started the migration may not decide the gate (default true)' })),
    excludeApproversOf: Type.Optional(
      Type.Array(StringEnum(GATE_KINDS), {
        maxItems: GATE_KINDS.length,
        uniqueItems: true,
        description: "people who approved these gates of this migration may not approve this one (default: decommission excludes cutover's approvers)",
      }),
    ),
    expiresAfter: Type.Optional(Duration('approvals.expiresAfter', 'the gate expires this long after it opens', 'never')),
    onExpiry: Type.Optional(
      StringEnum(EXPIRY_ACTIONS, {
        description: 'reject: as if an approver rejected (traffic back to blue if it moved); hold: the migration is held (needs-attention) until a person retries; escalate: tell escalate.channel, then do escalate.then after escalate.after (default hold)',
      }),
    ),
    escalate: Type.Optional(
      Type.Object(
        {
          channel: Type.String({ pattern: NOTIFY_CHANNEL, maxLength: 100, description: "a notification channel configured in the worker (CUTOVER_NOTIFY_CHANNELS)" }),
          after: Duration('approvals.escalate.after', 'how long the escalated gate waits before it does `then`', '4h'),
          then: Type.Optional(StringEnum(['reject', 'hold'] as const, { description: 'default hold' })),
        },
        { additionalProperties: false },
      ),
    ),
    reminderInterval: Type.Optional(Duration('approvals.reminderInterval', 'the pending gate notifies again after each interval', 'approvals.reminderInterval')),
  },
  { additionalProperties: false },
);
/** A policy named in the service's settings (CUTOVER_APPROVAL_POLICIES), or one written out. */
const PolicyRef = (gates: string) =>
  Type.Optional(
    Type.Union([Type.String({ pattern: POLICY_NAME, description: 'the name of a policy in the service\'s settings (CUTOVER_APPROVAL_POLICIES)' }), ApprovalPolicy], {
      description: `the approval policy of ${gates}: a name from the service's settings, or a policy`,
    }),
  );
/** A node group's or Fargate profile's name in green.overrides, or `*` for every one of blue's. */
const OVERRIDE_KEY = '^(\\*|[A-Za-z0-9][A-Za-z0-9_-]{0,99})$';
const StringList = (description: string, maxItems = 50) => Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems, description });
const Tags = (description: string) => Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }), { maxProperties: 50, description });
/** What green.overrides may change of blue's cluster as green gets it (CreateCluster's settable fields). */
const ClusterOverrides = Type.Object(
  {
    roleArn: Type.Optional(NameWith("green's cluster IAM role instead of blue's")),
    subnetIds: Type.Optional(StringList("green's VPC subnets instead of blue's", 16)),
    securityGroupIds: Type.Optional(StringList("green's control-plane security groups instead of blue's", 5)),
    endpointPublicAccess: Type.Optional(Type.Boolean()),
    endpointPrivateAccess: Type.Optional(Type.Boolean()),
    publicAccessCidrs: Type.Optional(StringList('CIDR blocks allowed to reach the public endpoint', 40)),
    encryptionKeyArn: Type.Optional(NameWith("KMS key that encrypts green's Kubernetes secrets instead of blue's")),
    serviceIpv4Cidr: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the Kubernetes service CIDR of green' })),
    ipFamily: Type.Optional(StringEnum(['ipv4', 'ipv6'] as const)),
    logging: Type.Optional(
      Type.Array(StringEnum(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const), { maxItems: 5, description: 'the control-plane log types enabled on green (the others off)' }),
    ),
    authenticationMode: Type.Optional(StringEnum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'] as const)),
    supportType: Type.Optional(StringEnum(['STANDARD', 'EXTENDED'] as const, { description: "green's upgrade policy (support type)" })),
    tags: Type.Optional(Tags("tags added to (or replacing) blue's on green")),
  },
  { additionalProperties: false, description: "green's cluster: each field given replaces blue's" },
);
/** What green.overrides may change of a managed node group as green gets it (CreateNodegroup's settable fields). */
const NodegroupOverrides = Type.Object(
  {
    amiType: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'e.g. AL2023_x86_64_STANDARD' })),
    instanceTypes: Type.Optional(StringList('e.g. ["m6i.large"]', 20)),
    capacityType: Type.Optional(StringEnum(['ON_DEMAND', 'SPOT', 'CAPACITY_BLOCK'] as const)),
    diskSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384, description: 'GiB; not with a launch template (EKS refuses both)' })),
    subnets: Type.Optional(StringList('subnets of the node group', 16)),
    nodeRole: Type.Optional(NameWith('node IAM role')),
    scalingConfig: Type.Optional(
      Type.Object(
        { minSize: Type.Optional(Type.Integer({ minimum: 0 })), maxSize: Type.Optional(Type.Integer({ minimum: 1 })), desiredSize: Type.Optional(Type.Integer({ minimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
    updateConfig: Type.Optional(
      Type.Object({ maxUnavailable: Type.Optional(Type.Integer({ minimum: 1 })), maxUnavailablePercentage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false }),
    ),
    labels: Type.Optional(Tags('Kubernetes labels of the nodes (replacing blue\'s)')),
    taints: Type.Optional(
      Type.Array(
        Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 63 }), value: Type.Optional(Type.String({ maxLength: 63 })), effect: StringEnum(['NO_SCHEDULE', 'NO_EXECUTE', 'PREFER_NO_SCHEDULE'] as const) },
          { additionalProperties: false },
        ),
        { maxItems: 50, description: "taints of the nodes (replacing blue's)" },
      ),
    ),
    launchTemplate: Type.Optional(
      Type.Object(
        { id: Type.Optional(Name), name: Type.Optional(Name), version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
        { additionalProperties: false, description: 'an EC2 launch template (id or name) and its version' },
      ),
    ),
    remoteAccess: Type.Optional(
      Type.Object({ ec2SshKey: Type.Optional(Name), sourceSecurityGroups: Type.Optional(StringList('security groups allowed SSH', 10)) }, { additionalProperties: false }),
    ),
    tags: Type.Optional(Tags("tags added to (or replacing) blue's on the node group")),
  },
  { additionalProperties: false, description: "a node group of green: each field given replaces blue's" },
);
export const GreenOverrides = Type.Object(
  {
    cluster: Type.Optional(ClusterOverrides),
    nodegroups: Type.Optional(
      Type.Record(Type.String({ pattern: OVERRIDE_KEY }), NodegroupOverrides, {
        maxProperties: 100,
        additionalProperties: false,
        description: 'by the name of blue\'s node group, or "*" for all of them (a named entry wins over "*" field by field)',
      }),
    ),
    fargateProfiles: Type.Optional(
      Type.Record(
        Type.String({ pattern: OVERRIDE_KEY }),
        Type.Object({ subnets: Type.Optional(StringList('private subnets of the profile', 16)) }, { additionalProperties: false }),
        { maxProperties: 100, additionalProperties: false, description: 'by the name of blue\'s Fargate profile, or "*" for all of them' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: "with green.mode create: what green gets other than blue's configuration (green is otherwise blue's copy at the target version)",
    examples: [{ cluster: { publicAccessCidrs: ['203.0.113.0/24'] }, nodegroups: { '*': { amiType: 'AL2023_x86_64_STANDARD' }, web: { instanceTypes: ['m7i.large'] } } }],
  },
);

/** A spec that deletes blue without a drain check says so, and why. */
export const DrainNone = Type.Object(
  {
    none: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: "why no reading of blue's traffic is needed before blue is deleted (e.g. no clients reach blue but through the routing Cutover removes)",
      examples: ['internal service: every client resolves app.example.com, whose blue record is removed first'],
    }),
  },
  { additionalProperties: false, description: 'no drain check, with the reason (kept in the plan and the audit)' },
);

export const MigrationSpecSchema = Type.Object(
  {
    team: Type.Optional(
      Type.String({
        pattern: TEAM_NAME,
        description:
          "the team that owns the migration (one of the API's CUTOVER_TEAMS when it has teams): acting on the migration then needs a role in this team (docs/policies.md, Team scopes); lists filter by it (?team=, search attribute CutoverTeam)",
        examples: ['payments'],
      }),
    ),
    region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$', description: 'AWS region, e.g. eu-west-1' }),
    aws: Type.Optional(AwsAccounts),
    blue: Type.Object(
      {
        cluster: Type.Optional(NameWith('EKS cluster name (in region); leave it out for a cluster outside EKS, named by context')),
        context: Type.Optional(KubeContext),
      },
      { additionalProperties: false, description: 'the cluster in service: an EKS cluster, a kubeconfig context, or both (at least one)' },
    ),
    green: Type.Object(
      {
        cluster: Type.Optional(NameWith('EKS cluster name (in region); required for mode create; leave it out for a cluster outside EKS, named by context')),
        mode: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('adopt')], { description: 'create (EKS only; the default when green.cluster is given) or adopt (a cluster that exists; the default for a green named by context alone)' })),
        kubernetesVersion: Type.String({ pattern: '^1\\.\\d+$', description: 'target minor version, e.g. 1.34' }),
        context: Type.Optional(KubeContext),
        deleteOnCancel: Type.Optional(
          Type.Boolean({ description: 'on cancel, delete green if this migration created it (default false)' }),
        ),
        overrides: Type.Optional(GreenOverrides),
      },
      { additionalProperties: false, description: 'the cluster taking over: an EKS cluster, a kubeconfig context, or both (at least one)' },
    ),
    gitops: Type.Optional(
      Type.Object(
        {
          argocd: Type.Optional(
            Type.Object(
              {
                managementContext: Name,
                namespace: Type.Optional(Type.String({ description: 'default argocd' })),
                registerCluster: Type.Optional(Type.Boolean({ description: 'default false' })),
              },
              { additionalProperties: false },
            ),
          ),
          flux: Type.Optional(
            Type.Boolean({ description: "also wait for green's Flux Kustomizations/HelmReleases and suspend blue's during the freeze (default true)" }),
          ),
          syncTimeout: Type.Optional(
            Duration('gitops.syncTimeout', 'how long bootstrapping waits for GitOps to sync green before gate bootstrap-override', '30m'),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    traffic: Type.Object(
      {
        driver: StringEnum(TRAFFIC_DRIVERS, { description: 'which routing layer moves traffic; its settings go in the field of the same name (route53, alb, externalDns, serviceSelector)' }),
        route53: Type.Optional(Route53Settings('driver route53: both weights of each record pair change in one ChangeResourceRecordSets batch')),
        alb: Type.Optional(
          Type.Object(
            {
              listenerArn: Name,
              ruleArn: Type.Optional(NameWith("forward rule to set instead of the listener's default action")),
              blueTargetGroupArn: Name,
              greenTargetGroupArn: Name,
            },
            { additionalProperties: false, description: 'driver alb: one ModifyListener (or ModifyRule) sets both target-group weights' },
          ),
        ),
        externalDns: Type.Optional(ExternalDnsSettings),
        serviceSelector: Type.Optional(ServiceSelectorSettings),
        steps: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
            minItems: 1,
            maxItems: MAX_ITEMS.steps,
            description:
              'green weight (percent) after each step; ascending, ending at 100 (default 20, 50, 80, 100; for service-selector the only choice and default is [100])',
          }),
        ),
        stepApproval: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('manual')], { description: 'default auto' })),
        observe: Type.Optional(Duration('traffic.observe', 'time each step is observed under the health watcher before the next', '10m')),
        observedShare: Type.Optional(ObservedShareCheck),
      },
      { additionalProperties: false },
    ),
    health: Type.Optional(
      Type.Object(
        {
          smoke: Type.Optional(Type.Array(
            Type.Object(
              {
                url: Type.String({ pattern: '^https?://' }),
                host: Type.Optional(Type.String()),
                expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'default 200' })),
                bodyContains: Type.Optional(Type.String()),
                timeout: Type.Optional(Duration('health.smoke[].timeout', 'time limit of one check', '5s')),
              },
              { additionalProperties: false },
            ),
            { maxItems: MAX_ITEMS.smoke, description: `at most ${MAX_ITEMS.smoke} checks, all run at every health check (default none)` },
          )),
          metrics: Type.Optional(
            Type.Array(MetricCheck, { maxItems: MAX_ITEMS.metrics, description: `at most ${MAX_ITEMS.metrics} metric checks, all read at every health check (default none)` }),
          ),
          interval: Type.Optional(Duration('health.interval', 'time between two health checks of green', '1m')),
          failureThreshold: Type.Optional(Type.Integer({ minimum: 1, description: 'consecutive failures (default 3)' })),
          onBreach: Type.Optional(StringEnum(BREACH_ACTIONS, { description: 'default rollback' })),
        },
        { additionalProperties: false },
      ),
    ),
    bake: Type.Optional(
      Type.Union([Duration('bake', 'time green carries 100 % under the health watcher before the freeze', '7 days'), BakeOverPeaks], {
        description: 'a duration (green carries 100 % this long), or a minimum with peak windows that must each pass once with green at 100 % and healthy',
      }),
    ),
    freeze: Type.Optional(Duration('freeze', 'time blue is kept reachable and idle, its GitOps paused, before the decommission gate', '3 days')),
    freezes: Type.Optional(
      Type.Object(
        {
          calendars: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: MAX_ITEMS.freezes, uniqueItems: true, description: "freeze calendars of the service's settings (CUTOVER_FREEZE_CALENDARS) this migration keeps; company-wide ones apply anyway" }),
          ),
          windows: Type.Optional(Type.Array(FreezeWindow, { maxItems: MAX_ITEMS.freezes, description: "this migration's own freeze windows" })),
          bakeCounts: Type.Optional(Type.Boolean({ description: 'bake time inside a freeze counts toward the bake (default true; false is not supported yet)' })),
        },
        {
          additionalProperties: false,
          description:
            'change freezes: inside a window no cutover, forward step or decommission begins; the migration waits, shows the window in its status, tells the channel and goes on by itself when it ends. Rollback, pause and cancel are always allowed',
        },
      ),
    ),
    approvals: Type.Optional(
      Type.Object(
        {
          distinctApprover: Type.Optional(Type.Boolean({ description: 'kept for older specs: the starter may not approve (policies exclude the starter by default)' })),
          reminderInterval: Type.Optional(Duration('approvals.reminderInterval', 'a pending gate notifies again after each interval', '4h')),
          cutover: PolicyRef('the cutover gate (default: 1 approver, not the starter)'),
          step: PolicyRef("every manual step's gate (default: 1 approver, not the starter)"),
          promote: PolicyRef('a promote to 100 % (default: 1 approver, not the starter)'),
          decommission: PolicyRef("the decommission gate (default: 2 approvers, neither the starter nor a cutover approver)"),
          override: PolicyRef('the preflight-override and bootstrap-override gates (default: 1 approver, not the starter)'),
          stateful: PolicyRef("the stateful gate, where writes to blue's carried volumes are confirmed stopped (default: 1 approver, not the starter)"),
        },
        { additionalProperties: false },
      ),
    ),
    decommission: Type.Optional(
      Type.Object(
        {
          deleteBlue: Type.Optional(Type.Boolean({ description: 'default true (for an EKS blue)' })),
          drain: Type.Optional(
            Type.Union([DrainCheck, DrainNone], {
              description: 'required when blue is deleted: a source of blue\'s traffic (cloudwatch or prometheus) read before anything of blue is deleted, or {"none": "<reason>"}',
            }),
          ),
          lastDelay: Type.Optional(
            Duration('decommission.lastDelay', 'after the decommission gate, blue waits this long before anything of it is deleted, announced with the command that cancels it (keep-blue); 0s: no delay', '1h'),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    stateful: Type.Optional(StatefulSettings),
    notify: Type.Optional(
      Type.Object(
        {
          channel: Type.Optional(
            Type.String({
              pattern: NOTIFY_CHANNEL,
              maxLength: 100,
              description: "a notification channel configured in the worker (CUTOVER_NOTIFY_CHANNELS), e.g. platform-oncall; default: the worker's CUTOVER_WEBHOOK_URL, else its log",
              examples: ['platform-oncall'],
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'MigrationSpec' },
);

export type MigrationSpec = Static<typeof MigrationSpecSchema>;
/** What is wrong with a spec, at the field it names. */
export interface SpecIssue {
  path: string; // JSON pointer, e.g. /traffic/steps/2
  message: string;
}
export type TrafficDriver = (typeof TRAFFIC_DRIVERS)[number];
export type BreachAction = (typeof BREACH_ACTIONS)[number];
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];
export type MetricPhase = (typeof METRIC_PHASES)[number];
export type MetricCheck = Static<typeof MetricCheck>;
export type CloudWatchMetric = Static<typeof CloudWatchMetric>;
export type DrainCheck = Static<typeof DrainCheck>;
export type ApprovalPolicy = Static<typeof ApprovalPolicy>;
export type DrainNone = Static<typeof DrainNone>;
export type ObservedShareCheck = Static<typeof ObservedShareCheck>;
export type StatefulSettings = Static<typeof StatefulSettings>;
export type CompareToBlue = Static<typeof CompareToBlue>;
export type ExternalDnsObject = Static<typeof ExternalDnsObject>;
export type AwsAccounts = Static<typeof AwsAccounts>;
export type GreenOverrides = Static<typeof GreenOverrides>;
export type PeakWindow = Static<typeof PeakWindow>;
export type FreezeWindow = Static<typeof FreezeWindow>;
export type Weekday = (typeof WEEKDAYS)[number];
export type AwsRole = NonNullable<AwsAccounts['clusters']>;
/** A spec naming both clusters by EKS name (every spec before contexts; most tests build these). */
export type EksMigrationSpec = MigrationSpec & { blue: { cluster: string }; green: { cluster: string } };
