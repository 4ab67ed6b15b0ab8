// Pure decisions about a spec: its defaults, the checks a schema cannot express, and the
// plan (phases, steps, gates, timers). The API's POST /v1/plans and the workflow share them.
import { durationMs } from './duration.js';
import type { Static } from 'typebox';
import { DURATION_LIMITS, METRIC_PHASES, WEEKDAYS, type DurationLimit } from './spec-values.js';
import type { BreachAction, CompareToBlue, DrainCheck, ObservedShareCheck, ExternalDnsObject, MetricCheck, MetricPhase, MigrationSpec, NoDataPolicy, PeakWindow, TrafficDriver } from './spec.js';
import { DECOMMISSION_STEPS, LIFECYCLE, TIMERS, type DecommissionStep, type GateName, type Phase } from './model.js';
import type { PlannedMetricCheckSchema, PlannedStepSchema, PlanSchema } from './schemas.js';

export const DEFAULTS = {
  steps: [20, 50, 80, 100],
  stepApproval: 'auto' as const,
  observe: '10m',
  bake: '7 days',
  freeze: '3 days',
  healthInterval: '1m',
  failureThreshold: 3,
  onBreach: 'rollback' as BreachAction,
  metricWindow: '5m',
  drainWindow: '5m',
  drainWithin: '1h',
  drainNoData: 'fail' as const,
  observedShareTolerance: 10,
  observedShareWindow: '5m',
  observedShareWithin: '30m',
  noData: 'ignore' as NoDataPolicy,
  worseWhen: 'higher' as const,
  reminderInterval: '4h',
  gitopsSyncTimeout: '30m',
  argocdNamespace: 'argocd',
  /** A selector switch moves everything at once: one step. */
  serviceSelectorSteps: [100],
  selectorKey: 'track',
  blueTrack: 'blue',
  greenTrack: 'green',
  blueSetIdentifier: 'blue',
  greenSetIdentifier: 'green',
  /** What EKS Blueprints sets for alias records: Route 53 answers them with the load balancer's 60 s. */
  aliasTtl: '60s',
};

export interface ResolvedRecord {
  name: string;
  type: string;
  blueSetIdentifier: string;
  greenSetIdentifier: string;
}

/** Weighted record pairs in one hosted zone (driver route53, and external-dns's records). */
export interface ResolvedRoute53 {
  hostedZoneId?: string;
  hostedZoneName?: string;
  records: ResolvedRecord[];
  /** How long an alias record (no TTL of its own) is waited for after a change; default 60s. */
  aliasTtl: string;
}

/** traffic.externalDns with its defaults: the activities' ExternalDnsTarget. */
export interface ResolvedExternalDns {
  /** Default: the spec's blue.cluster. */
  blueCluster: string;
  /** Default: the spec's green.cluster. */
  greenCluster: string;
  objects: ExternalDnsObject[];
  /** The weighted records external-dns writes; when given, "applied" means Route 53 serves the weights. */
  route53?: ResolvedRoute53;
}

/** traffic.serviceSelector with its defaults: the activities' ServiceSelectorTarget. */
export interface ResolvedServiceSelector {
  cluster: string;
  namespace: string;
  service: string;
  /** Selector label that tells the two tracks apart; default `track`. */
  key: string;
  /** Default `blue`. */
  blueValue: string;
  /** Default `green`. */
  greenValue: string;
}

/**
 * A cluster as the migration names it: `cluster` is the name every step, message and audit
 * entry uses (the EKS cluster's name, else the kubeconfig context); `eks` says whether the
 * spec names an EKS cluster (EKS-only steps are skipped for one that does not).
 */
export interface ResolvedCluster {
  cluster: string;
  context?: string;
  eks: boolean;
}

/** The name a spec's blue or green goes by: its EKS cluster, else its kubeconfig context. */
export const clusterName = (side: { cluster?: string; context?: string }): string => side.cluster ?? side.context ?? '';

function resolveCluster(side: { cluster?: string; context?: string }): ResolvedCluster {
  return { ...side, cluster: clusterName(side), eks: side.cluster !== undefined };
}

/**
 * How activities reach a cluster the spec names by kubeconfig context: absent for a cluster
 * named by EKS name only, so an input without contexts is what it always was.
 */
export function kubeContextOf(side: ResolvedCluster): KubeContextRef | undefined {
  return side.context === undefined ? undefined : { context: side.context, eks: side.eks };
}
export interface KubeContextRef {
  context: string;
  /** False when the spec names no EKS cluster: EKS calls are skipped for it. */
  eks: boolean;
}

/** How a metric check judges green in one phase. */
export interface MetricRule {
  above?: number;
  below?: number;
  compareToBlue?: Required<Pick<CompareToBlue, 'worseWhen'>> & Omit<CompareToBlue, 'worseWhen'>;
  failureThreshold: number;
  noData: NoDataPolicy;
}

/** A metric check with its defaults: the source, the window, and its rule in each phase it runs in. */
export interface ResolvedMetricCheck {
  name: string;
  cloudwatch?: MetricCheck['cloudwatch'];
  prometheus?: MetricCheck['prometheus'];
  window: string;
  phases: Partial<Record<MetricPhase, MetricRule>>;
}

/** A spec with every default filled in: what the workflow actually runs. */
export interface ResolvedSpec extends Omit<MigrationSpec, 'traffic' | 'health' | 'blue' | 'green' | 'bake'> {
  blue: MigrationSpec['blue'] & ResolvedCluster;
  green: MigrationSpec['green'] & ResolvedCluster & { mode: 'create' | 'adopt'; deleteOnCancel: boolean };
  traffic: Omit<MigrationSpec['traffic'], 'route53' | 'externalDns' | 'serviceSelector' | 'observedShare'> & {
    steps: number[];
    stepApproval: 'auto' | 'manual';
    observe: string;
    route53?: ResolvedRoute53;
    externalDns?: ResolvedExternalDns;
    serviceSelector?: ResolvedServiceSelector;
    /** Only when the spec sets it, so a spec without it resolves as it always did. */
    observedShare?: ResolvedObservedShare;
  };
  health: {
    smoke: { url: string; host?: string; expectStatus: number; bodyContains?: string; timeout?: string }[];
    /** Absent in inputs built before metric checks (and in tests that need none): none. */
    metrics?: ResolvedMetricCheck[];
    interval: string;
    failureThreshold: number;
    onBreach: BreachAction;
  };
  /** The bake's length, or its minimum when it also waits for peak windows. */
  bake: string;
  /** Windows the bake must see pass once each (bake.peaks); empty for a bake that is a duration. */
  bakePeaks: PeakWindow[];
  freeze: string;
  approvals: { distinctApprover: boolean; reminderInterval: string };
  /** drain: only when the spec sets it, so a spec without it resolves as it always did. */
  decommission: { deleteBlue: boolean; drain?: ResolvedDrain };
}

/** The observed-share check with its defaults: green's share within `tolerance` points of the step's weight, waited for at most `within`. */
export interface ResolvedObservedShare {
  green: ObservedShareCheck['green'];
  blue: ObservedShareCheck['blue'];
  tolerance: number;
  window: string;
  within: string;
}

/** The drain check with its defaults: blue's traffic under `below` for a whole `window`, waited for at most `within`. */
export interface ResolvedDrain {
  cloudwatch?: DrainCheck['cloudwatch'];
  prometheus?: DrainCheck['prometheus'];
  below: number;
  window: string;
  within: string;
  noData: 'pass' | 'fail';
}

type Route53Settings = NonNullable<MigrationSpec['traffic']['route53']>;

function resolveRoute53(route53: Route53Settings): ResolvedRoute53 {
  return {
    ...route53,
    aliasTtl: route53.aliasTtl ?? DEFAULTS.aliasTtl,
    records: route53.records.map((r) => ({
      name: r.name,
      type: r.type ?? 'CNAME',
      blueSetIdentifier: r.blueSetIdentifier ?? DEFAULTS.blueSetIdentifier,
      greenSetIdentifier: r.greenSetIdentifier ?? DEFAULTS.greenSetIdentifier,
    })),
  };
}

/** Steps when the spec gives none: the driver decides (a selector switch has only one). */
export function defaultSteps(driver: TrafficDriver): number[] {
  return [...(driver === 'service-selector' ? DEFAULTS.serviceSelectorSteps : DEFAULTS.steps)];
}

/** The bake's length as the spec gives it: the duration, or the object form's minimum. */
export function bakeMinimum(spec: Pick<MigrationSpec, 'bake'>): string | undefined {
  return typeof spec.bake === 'object' ? spec.bake.minimum : spec.bake;
}

export function resolveSpec(spec: MigrationSpec): ResolvedSpec {
  const { route53, externalDns, serviceSelector, observedShare, ...traffic } = spec.traffic;
  const blue = resolveCluster(spec.blue);
  return {
    ...spec,
    blue: { ...spec.blue, ...blue },
    // A green outside EKS can only be adopted (checkSpec refuses create without an EKS name).
    green: { ...spec.green, ...resolveCluster(spec.green), mode: spec.green.mode ?? (spec.green.cluster === undefined ? 'adopt' : 'create'), deleteOnCancel: spec.green.deleteOnCancel ?? false },
    traffic: {
      ...traffic,
      steps: spec.traffic.steps ?? defaultSteps(spec.traffic.driver),
      stepApproval: spec.traffic.stepApproval ?? DEFAULTS.stepApproval,
      observe: spec.traffic.observe ?? DEFAULTS.observe,
      // Only the settings a spec gives appear, so a route53 spec resolves as it always did.
      ...(observedShare && {
        observedShare: {
          green: observedShare.green,
          blue: observedShare.blue,
          tolerance: observedShare.tolerance ?? DEFAULTS.observedShareTolerance,
          window: observedShare.window ?? DEFAULTS.observedShareWindow,
          within: observedShare.within ?? DEFAULTS.observedShareWithin,
        },
      }),
      ...(route53 && { route53: resolveRoute53(route53) }),
      ...(externalDns && {
        externalDns: {
          blueCluster: externalDns.blueCluster ?? clusterName(spec.blue),
          greenCluster: externalDns.greenCluster ?? clusterName(spec.green),
          objects: externalDns.objects.map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name })),
          ...(externalDns.route53 && { route53: resolveRoute53(externalDns.route53) }),
        },
      }),
      ...(serviceSelector && {
        serviceSelector: {
          cluster: serviceSelector.cluster,
          namespace: serviceSelector.namespace,
          service: serviceSelector.service,
          key: serviceSelector.key ?? DEFAULTS.selectorKey,
          blueValue: serviceSelector.blueValue ?? DEFAULTS.blueTrack,
          greenValue: serviceSelector.greenValue ?? DEFAULTS.greenTrack,
        },
      }),
    },
    health: {
      smoke: (spec.health?.smoke ?? []).map((s) => ({ ...s, expectStatus: s.expectStatus ?? 200 })),
      // Only with metric checks: a spec without them resolves (and reaches the activities) as it always did.
      ...(spec.health?.metrics?.length && { metrics: spec.health.metrics.map((m) => resolveMetricCheck(m, spec.health?.failureThreshold ?? DEFAULTS.failureThreshold)) }),
      interval: spec.health?.interval ?? DEFAULTS.healthInterval,
      failureThreshold: spec.health?.failureThreshold ?? DEFAULTS.failureThreshold,
      onBreach: spec.health?.onBreach ?? DEFAULTS.onBreach,
    },
    bake: bakeMinimum(spec) ?? DEFAULTS.bake,
    bakePeaks: typeof spec.bake === 'object' ? (spec.bake.peaks ?? []) : [],
    freeze: spec.freeze ?? DEFAULTS.freeze,
    approvals: {
      distinctApprover: spec.approvals?.distinctApprover ?? false,
      reminderInterval: spec.approvals?.reminderInterval ?? DEFAULTS.reminderInterval,
    },
    // Only an EKS cluster is deleted: a blue named by context alone is kept.
    decommission: { deleteBlue: spec.decommission?.deleteBlue ?? blue.eks, ...(spec.decommission?.drain && { drain: resolveDrain(spec.decommission.drain) }) },
  };
}

function resolveDrain(drain: DrainCheck): ResolvedDrain {
  return {
    ...(drain.cloudwatch && { cloudwatch: drain.cloudwatch }),
    ...(drain.prometheus && { prometheus: drain.prometheus }),
    below: drain.below,
    window: drain.window ?? DEFAULTS.drainWindow,
    within: drain.within ?? DEFAULTS.drainWithin,
    noData: drain.noData ?? DEFAULTS.drainNoData,
  };
}

/**
 * The phases a metric check runs in, each with its rule: the check's own settings with the
 * phase's changes over them. Without `phases`, every watched phase; a comparison with blue
 * only shifting, since blue carries no traffic once green has it all.
 */
export function resolveMetricCheck(check: MetricCheck, failureThreshold: number): ResolvedMetricCheck {
  const base = { above: check.above, below: check.below, compareToBlue: check.compareToBlue, failureThreshold: check.failureThreshold, noData: check.noData };
  const named: NonNullable<MetricCheck['phases']> = check.phases ?? Object.fromEntries((check.compareToBlue ? ['shifting'] : METRIC_PHASES).map((p) => [p, {}]));
  const phases: Partial<Record<MetricPhase, MetricRule>> = {};
  for (const phase of METRIC_PHASES) {
    const own = named[phase];
    if (!own) continue;
    const merged = { ...base, ...definedOnly(own) };
    const hasAbsolute = own.above !== undefined || own.below !== undefined;
    const compare = own.compareToBlue ?? (hasAbsolute ? undefined : merged.compareToBlue);
    phases[phase] = {
      // A phase that sets a threshold of its own replaces the check's comparison, and the other way round.
      ...(!own.compareToBlue && merged.above !== undefined && { above: merged.above }),
      ...(!own.compareToBlue && merged.below !== undefined && { below: merged.below }),
      ...(compare && { compareToBlue: { worseWhen: compare.worseWhen ?? DEFAULTS.worseWhen, ...definedOnly({ relative: compare.relative, absolute: compare.absolute }) } }),
      failureThreshold: merged.failureThreshold ?? failureThreshold,
      noData: merged.noData ?? DEFAULTS.noData,
    };
  }
  return { name: check.name, ...(check.cloudwatch && { cloudwatch: check.cloudwatch }), ...(check.prometheus && { prometheus: check.prometheus }), window: check.window ?? DEFAULTS.metricWindow, phases };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface SpecIssue {
  path: string; // JSON pointer, e.g. /traffic/steps/2
  message: string;
}

function isDuration(value: string): boolean {
  try {
    return durationMs(value as never) >= 0;
  } catch {
    return false;
  }
}

/** A workflow ID as Cutover makes them (printable ASCII, no spaces; Temporal's own limit is 1,000 bytes). */
export const MIGRATION_ID_PATTERN = '^[!-~]{1,400}$';
const MIGRATION_ID = new RegExp(MIGRATION_ID_PATTERN);

/** An IAM role ARN in any partition (aws, aws-cn, aws-us-gov, …); path and name as IAM allows them. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** A target version: the schema allows any digits; Temporal caps a search attribute value, and no minor has 4 digits. */
export const KUBERNETES_MINOR = /^1\.\d{1,3}$/;


interface DurationField {
  path: string;
  /** How a message names it, e.g. health.smoke[1].timeout. */
  field: string;
  limit: keyof typeof DURATION_LIMITS;
  value: string | undefined;
}

function durationFields(spec: MigrationSpec): DurationField[] {
  return [
    { path: '/traffic/observe', field: 'traffic.observe', limit: 'traffic.observe', value: spec.traffic.observe },
    typeof spec.bake === 'object'
      ? { path: '/bake/minimum', field: 'bake.minimum', limit: 'bake', value: spec.bake.minimum }
      : { path: '/bake', field: 'bake', limit: 'bake', value: spec.bake },
    { path: '/freeze', field: 'freeze', limit: 'freeze', value: spec.freeze },
    { path: '/traffic/route53/aliasTtl', field: 'traffic.route53.aliasTtl', limit: 'route53.aliasTtl', value: spec.traffic.route53?.aliasTtl },
    { path: '/traffic/externalDns/route53/aliasTtl', field: 'traffic.externalDns.route53.aliasTtl', limit: 'route53.aliasTtl', value: spec.traffic.externalDns?.route53?.aliasTtl },
    { path: '/health/interval', field: 'health.interval', limit: 'health.interval', value: spec.health?.interval },
    { path: '/approvals/reminderInterval', field: 'approvals.reminderInterval', limit: 'approvals.reminderInterval', value: spec.approvals?.reminderInterval },
    { path: '/gitops/syncTimeout', field: 'gitops.syncTimeout', limit: 'gitops.syncTimeout', value: spec.gitops?.syncTimeout },
    ...(spec.health?.smoke ?? []).map(
      (s, i): DurationField => ({ path: `/health/smoke/${i}/timeout`, field: `health.smoke[${i}].timeout`, limit: 'health.smoke[].timeout', value: s.timeout }),
    ),
    { path: '/traffic/observedShare/window', field: 'traffic.observedShare.window', limit: 'traffic.observedShare.window', value: spec.traffic.observedShare?.window },
    { path: '/traffic/observedShare/within', field: 'traffic.observedShare.within', limit: 'traffic.observedShare.within', value: spec.traffic.observedShare?.within },
    { path: '/decommission/drain/window', field: 'decommission.drain.window', limit: 'decommission.drain.window', value: spec.decommission?.drain?.window },
    { path: '/decommission/drain/within', field: 'decommission.drain.within', limit: 'decommission.drain.within', value: spec.decommission?.drain?.within },
    ...(spec.health?.metrics ?? []).map(
      (m, i): DurationField => ({ path: `/health/metrics/${i}/window`, field: `health.metrics[${i}].window`, limit: 'health.metrics[].window', value: m.window }),
    ),
  ];
}

/**
 * Every duration of a spec that does not parse or lies outside DURATION_LIMITS. Part of
 * checkSpec; the workflow checks its spec with it again, so no path can start one that breaks it.
 */
export function durationIssues(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const { path, field, limit, value } of durationFields(spec)) {
    if (value === undefined) continue;
    if (!isDuration(value)) {
      issues.push({ path, message: `"${value}" is not a duration (e.g. "10m", "7 days")` });
      continue;
    }
    const millis = durationMs(value as never);
    const { least, most }: DurationLimit = DURATION_LIMITS[limit];
    const leastMs = durationMs(least.value as never);
    if (least.exclusive ? millis <= leastMs : millis < leastMs) {
      issues.push({ path, message: `${field} "${value}" must be ${least.exclusive ? 'more than' : 'at least'} ${least.value}: ${least.why}` });
    } else if (millis > durationMs(most.value as never)) {
      issues.push({ path, message: `${field} "${value}" must be at most ${most.value}: ${most.why}` });
    }
  }
  return issues;
}

/**
 * An absolute http(s) URL with a host. The schema only asks for an http(s) prefix, and a URL
 * that cannot be parsed would fail every check. URL is a global in Node and in Temporal's
 * workflow sandbox (which injects Node's), and parsing is deterministic.
 */
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Checks a schema-valid spec for what JSON Schema cannot say: everything that needs only the
 * spec (the API adds blue's version, which needs EKS). Empty when the spec is sound.
 */
export function checkSpec(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (!MIGRATION_ID.test(migrationId(spec))) {
    // The ID is migration-<region>-<blue>; the region's own pattern already excludes odd characters.
    const path = spec.region.length > 50 ? '/region' : spec.blue.cluster === undefined ? '/blue/context' : '/blue/cluster';
    issues.push({ path, message: 'must be printable ASCII without spaces and short enough to name the migration (ID at most 400 characters)' });
  }
  if (!KUBERNETES_MINOR.test(spec.green.kubernetesVersion)) {
    issues.push({ path: '/green/kubernetesVersion', message: 'must be a Kubernetes minor version such as 1.34' });
  }
  const steps = spec.traffic.steps;
  if (steps) {
    steps.forEach((w, i) => {
      if (i > 0 && w <= steps[i - 1]) issues.push({ path: `/traffic/steps/${i}`, message: 'must be greater than previous step' });
    });
    if (steps[steps.length - 1] !== 100) {
      issues.push({ path: `/traffic/steps/${steps.length - 1}`, message: 'last step must be 100' });
    }
  }
  issues.push(...durationIssues(spec));
  const urls: [string, string | undefined][] = [
    ...(spec.health?.smoke ?? []).map((c, i): [string, string] => [`/health/smoke/${i}/url`, c.url]),
  ];
  for (const [path, url] of urls) {
    if (url !== undefined && !isHttpUrl(url)) issues.push({ path, message: `"${url}" is not a valid http(s) URL` });
  }
  issues.push(...driverIssues(spec));
  for (const account of ['clusters', 'dns'] as const) {
    const arn = spec.aws?.[account]?.roleArn;
    if (arn !== undefined && !ROLE_ARN.test(arn)) {
      issues.push({ path: `/aws/${account}/roleArn`, message: `"${arn}" is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)` });
    }
  }
  issues.push(...clusterIssues(spec));
  issues.push(...peakIssues(spec));
  (spec.health?.metrics ?? []).forEach((m, i) => issues.push(...metricIssues(m, `/health/metrics/${i}`)));
  const names = new Map<string, number>();
  (spec.health?.metrics ?? []).forEach((m, i) => {
    const first = names.get(m.name);
    if (first !== undefined) issues.push({ path: `/health/metrics/${i}/name`, message: `"${m.name}" is also the name of /health/metrics/${first}: each check needs its own name` });
    else names.set(m.name, i);
  });
  if (spec.decommission?.drain) issues.push(...drainIssues(spec.decommission.drain, spec));
  if (spec.traffic.observedShare) issues.push(...observedShareIssues(spec.traffic.observedShare));
  return issues;
}

/** The observed-share check: one source per side, a window the step can be judged in. */
function observedShareIssues(check: ObservedShareCheck): SpecIssue[] {
  const at = '/traffic/observedShare';
  const issues: SpecIssue[] = [];
  for (const side of ['green', 'blue'] as const) {
    const source = check[side];
    if (!source.cloudwatch === !source.prometheus) issues.push({ path: `${at}/${side}`, message: `needs exactly one source of ${side}'s traffic: cloudwatch or prometheus` });
  }
  const window = check.window ?? DEFAULTS.observedShareWindow;
  const within = check.within ?? DEFAULTS.observedShareWithin;
  if (isDuration(window) && isDuration(within) && durationMs(within as never) < durationMs(window as never)) {
    issues.push({ path: `${at}/within`, message: `"${within}" is shorter than the window (${window}): the share is read over a whole window, so a step could never be judged in time` });
  }
  const cloudwatch = !!(check.green.cloudwatch || check.blue.cloudwatch);
  if (cloudwatch && check.window !== undefined && isDuration(check.window) && durationMs(check.window as never) % 60_000 !== 0) {
    issues.push({ path: `${at}/window`, message: `must be whole minutes for CloudWatch ("${check.window}"): the window is one CloudWatch period` });
  }
  return issues;
}

/** The drain check: one source, a window it can be judged in, and blue there to drain. */
function drainIssues(drain: DrainCheck, spec: MigrationSpec): SpecIssue[] {
  const at = '/decommission/drain';
  const issues: SpecIssue[] = [];
  if (!drain.cloudwatch === !drain.prometheus) issues.push({ path: at, message: "needs exactly one source of blue's traffic: cloudwatch or prometheus" });
  const window = drain.window ?? DEFAULTS.drainWindow;
  const within = drain.within ?? DEFAULTS.drainWithin;
  if (isDuration(window) && isDuration(within) && durationMs(within as never) < durationMs(window as never)) {
    issues.push({ path: `${at}/within`, message: `"${within}" is shorter than the window (${window}): blue must stay under below for a whole window, so it could never drain in time` });
  }
  if (drain.cloudwatch && drain.window !== undefined && isDuration(drain.window) && durationMs(drain.window as never) % 60_000 !== 0) {
    issues.push({ path: `${at}/window`, message: `must be whole minutes for CloudWatch ("${drain.window}"): the window is one CloudWatch period` });
  }
  const deletesBlue = spec.blue.cluster !== undefined && (spec.decommission?.deleteBlue ?? true);
  if (!deletesBlue) {
    issues.push({ path: at, message: 'is checked before anything of blue is deleted, and blue is kept (deleteBlue false, or a blue named by context): leave drain out' });
  }
  return issues;
}

/** A placeholder in a PromQL query that each side's cluster name replaces. */
export const CLUSTER_PLACEHOLDER = '{{cluster}}';

/** One metric check: one source, and a way to judge it in every phase it runs in. */
function metricIssues(check: MetricCheck, at: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const { cloudwatch: cw, prometheus: prom } = check;
  if (!cw === !prom) {
    return [{ path: at, message: 'needs exactly one source: cloudwatch or prometheus' }];
  }
  const comparing = !!check.compareToBlue || Object.values(check.phases ?? {}).some((p) => p?.compareToBlue);
  if (cw) {
    if (!cw.alarm === !cw.metric) issues.push({ path: `${at}/cloudwatch`, message: 'needs exactly one of alarm (an alarm\'s state) or metric (a value with a threshold)' });
    if (cw.alarm && (cw.dividedBy || cw.blue)) issues.push({ path: `${at}/cloudwatch/${cw.dividedBy ? 'dividedBy' : 'blue'}`, message: 'goes with metric, not with alarm' });
    if (cw.blue && !comparing) issues.push({ path: `${at}/cloudwatch/blue`, message: 'is read only with compareToBlue' });
    if (!cw.alarm && comparing && !cw.blue) issues.push({ path: `${at}/cloudwatch/blue`, message: "compareToBlue needs blue's metric here (cloudwatch.blue), e.g. the same metric of blue's target group" });
    if (check.window !== undefined && isDuration(check.window) && durationMs(check.window as never) % 60_000 !== 0) {
      issues.push({ path: `${at}/window`, message: `must be whole minutes for CloudWatch ("${check.window}"): the window is one CloudWatch period` });
    }
  }
  if (prom) {
    if (prom.blueQuery && !comparing) issues.push({ path: `${at}/prometheus/blueQuery`, message: 'is read only with compareToBlue' });
    if (comparing && !prom.blueQuery && !prom.query.includes(CLUSTER_PLACEHOLDER)) {
      issues.push({ path: `${at}/prometheus/query`, message: `compareToBlue needs the query to tell the clusters apart: put ${CLUSTER_PLACEHOLDER} where the cluster's name goes, or give blueQuery` });
    }
  }
  if (check.phases && !METRIC_PHASES.some((p) => check.phases?.[p])) {
    issues.push({ path: `${at}/phases`, message: `names no phase, so the check would never run: name some of ${METRIC_PHASES.join(', ')}, or leave phases out for all of them` });
  }
  const alarm = !!cw?.alarm;
  const rules: [string, Pick<MetricCheck, 'above' | 'below' | 'compareToBlue'>][] = [[at, check]];
  for (const phase of METRIC_PHASES) {
    const own = check.phases?.[phase];
    if (own) rules.push([`${at}/phases/${phase}`, own]);
  }
  for (const [path, rule] of rules) {
    const absolute = rule.above !== undefined || rule.below !== undefined;
    if (alarm && (absolute || rule.compareToBlue)) issues.push({ path, message: 'an alarm is judged by its own threshold (ALARM fails): leave out above, below and compareToBlue' });
    if (absolute && rule.compareToBlue) issues.push({ path: `${path}/compareToBlue`, message: 'judges green against blue; above/below judge it against a number: choose one' });
    if (rule.compareToBlue && rule.compareToBlue.relative === undefined && rule.compareToBlue.absolute === undefined) {
      issues.push({ path: `${path}/compareToBlue`, message: 'needs a tolerance: relative (a fraction of blue) and/or absolute' });
    }
    if (rule.above !== undefined && rule.below !== undefined && rule.below >= rule.above) {
      issues.push({ path: `${path}/below`, message: `must be less than above (${rule.above}): no value could pass` });
    }
  }
  if (!alarm && issues.length === 0) {
    const resolved = resolveMetricCheck(check, DEFAULTS.failureThreshold);
    for (const [phase, rule] of Object.entries(resolved.phases)) {
      if (rule.above === undefined && rule.below === undefined && !rule.compareToBlue) {
        issues.push({ path: check.phases?.[phase as MetricPhase] ? `${at}/phases/${phase}` : at, message: `has nothing to judge green by in ${phase}: give above, below or compareToBlue` });
      }
    }
  }
  return issues;
}

/**
 * A time zone the worker's clock library knows (IANA names such as Europe/Berlin, or UTC).
 * Only the API calls this: the workflow never does time-zone arithmetic (ICU differs between
 * Node versions), the bake's windows are computed by an activity and recorded.
 */
function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z]/.test(name)) return false; // an offset such as +01:00 is no zone: it knows no summer time
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Each peak window lies within a day (from before to) in a time zone that exists. */
function peakIssues(spec: MigrationSpec): SpecIssue[] {
  if (typeof spec.bake !== 'object') return [];
  const issues: SpecIssue[] = [];
  (spec.bake.peaks ?? []).forEach((peak, i) => {
    const path = `/bake/peaks/${i}`;
    if (!isTimeZone(peak.timeZone)) issues.push({ path: `${path}/timeZone`, message: `"${peak.timeZone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)` });
    if (peak.from >= peak.to) {
      issues.push({ path: `${path}/to`, message: `must be later than from (${peak.from}) on the same day; a window across midnight is two windows (…–23:59 and 00:00–…)` });
    }
  });
  return issues;
}

/** "mon–fri 09:00–11:00 Europe/Berlin": a peak window as a person reads it. */
export function peakLabel(peak: PeakWindow): string {
  const days = WEEKDAYS.filter((d) => peak.days.includes(d));
  // Runs of consecutive days read as ranges (mon–fri), the rest one by one.
  const runs: (typeof days)[] = [];
  for (const day of days) {
    const last = runs[runs.length - 1];
    if (last && WEEKDAYS.indexOf(day) === WEEKDAYS.indexOf(last[last.length - 1]) + 1) last.push(day);
    else runs.push([day]);
  }
  const named = runs.map((r) => (r.length > 2 ? `${r[0]}–${r[r.length - 1]}` : r.join(', '))).join(', ');
  return `${named} ${peak.from}–${peak.to} ${peak.timeZone}`;
}

/** Blue and green are each named (by EKS cluster, kubeconfig context or both), and differ. */
function clusterIssues(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const side of ['blue', 'green'] as const) {
    if (spec[side].cluster === undefined && spec[side].context === undefined) {
      issues.push({ path: `/${side}/cluster`, message: `${side} needs an EKS cluster name (${side}.cluster), a kubeconfig context (${side}.context), or both: the worker has no other way to find it` });
    }
  }
  // Without an EKS name green's mode defaults to adopt; create must be asked for.
  if (spec.green.mode === 'create' && spec.green.cluster === undefined && spec.green.context !== undefined) {
    issues.push({
      path: '/green/mode',
      message: 'green.mode create makes an EKS cluster and needs its name (green.cluster); a cluster outside EKS, named by context alone, can only be adopted (green.mode adopt)',
    });
  }
  if ((spec.green.mode ?? 'create') === 'create' && spec.green.cluster !== undefined && spec.blue.cluster === undefined && spec.blue.context !== undefined) {
    issues.push({
      path: '/green/mode',
      message: "green.mode create copies blue's EKS configuration (network, roles, node groups, add-ons), and blue is named by kubeconfig context alone: name blue's EKS cluster (blue.cluster), or adopt a green made another way (green.mode adopt)",
    });
  }
  if (spec.blue.cluster !== undefined && spec.blue.cluster === spec.green.cluster) {
    issues.push({ path: '/green/cluster', message: 'must differ from blue cluster' });
  } else if (clusterName(spec.blue) && clusterName(spec.blue) === clusterName(spec.green)) {
    issues.push({ path: '/green/context', message: `must differ from blue's (both are ${clusterName(spec.blue)})` });
  }
  if (spec.decommission?.deleteBlue && spec.blue.cluster === undefined) {
    issues.push({
      path: '/decommission/deleteBlue',
      message: 'blue is named by kubeconfig context alone, not as an EKS cluster: Cutover deletes only EKS clusters; leave deleteBlue out (decommissioning then removes blue from routing and GitOps and keeps the cluster)',
    });
  }
  return issues;
}

/** Each driver's settings live in the traffic field of the same name. */
export const DRIVER_FIELDS = { route53: 'route53', alb: 'alb', 'external-dns': 'externalDns', 'service-selector': 'serviceSelector' } as const satisfies Record<
  TrafficDriver,
  keyof MigrationSpec['traffic']
>;

function zoneIssue(path: string, zone: Route53Settings): SpecIssue[] {
  return zone.hostedZoneId || zone.hostedZoneName ? [] : [{ path, message: 'needs hostedZoneId or hostedZoneName' }];
}

/** The chosen driver's settings are there and make sense; no other driver's settings linger. */
function driverIssues(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const traffic = spec.traffic;
  const driver = traffic.driver;
  const field = DRIVER_FIELDS[driver];
  if (!traffic[field]) issues.push({ path: `/traffic/${field}`, message: `required when driver is ${driver}` });
  for (const [other, otherField] of Object.entries(DRIVER_FIELDS)) {
    if (other === driver || traffic[otherField] === undefined) continue;
    const hint = driver === 'external-dns' && otherField === 'route53' ? '; the records external-dns writes go in /traffic/externalDns/route53' : '';
    issues.push({ path: `/traffic/${otherField}`, message: `is read only by driver ${other}, and this spec's driver is ${driver}: remove it${hint}` });
  }
  if (driver === 'route53' && traffic.route53) issues.push(...zoneIssue('/traffic/route53', traffic.route53));

  if (driver === 'external-dns' && traffic.externalDns) {
    const x = traffic.externalDns;
    if (x.route53) issues.push(...zoneIssue('/traffic/externalDns/route53', x.route53));
    const blue = x.blueCluster ?? clusterName(spec.blue);
    const green = x.greenCluster ?? clusterName(spec.green);
    if (blue === green) {
      issues.push({
        path: x.greenCluster !== undefined ? '/traffic/externalDns/greenCluster' : '/traffic/externalDns/blueCluster',
        message: `blue and green objects must live in different clusters (both are ${blue}); for one cluster use driver service-selector`,
      });
    }
    const seen = new Map<string, number>();
    x.objects.forEach((o, i) => {
      const key = `${o.kind}/${o.namespace}/${o.name}`;
      const first = seen.get(key);
      if (first !== undefined) issues.push({ path: `/traffic/externalDns/objects/${i}`, message: `same object as /traffic/externalDns/objects/${first}` });
      else seen.set(key, i);
    });
  }

  if (driver === 'service-selector') {
    // One selector patch moves everything; a partial weight cannot exist (the driver refuses it too).
    const steps = traffic.steps;
    if (steps && (steps.length !== 1 || steps[0] !== 100)) {
      issues.push({ path: '/traffic/steps', message: 'must be [100] (or left out) for driver service-selector: a selector switch moves all traffic at once' });
    }
    const sel = traffic.serviceSelector;
    if (sel) {
      const blueValue = sel.blueValue ?? DEFAULTS.blueTrack;
      if ((sel.greenValue ?? DEFAULTS.greenTrack) === blueValue) {
        issues.push({ path: sel.greenValue !== undefined ? '/traffic/serviceSelector/greenValue' : '/traffic/serviceSelector/blueValue', message: `blue and green must differ (both are ${blueValue})` });
      }
      if (sel.cluster === clusterName(spec.blue) && (spec.decommission?.deleteBlue ?? spec.blue.cluster !== undefined)) {
        issues.push({
          path: '/traffic/serviceSelector/cluster',
          message: `is blue (${sel.cluster}), which decommissioning deletes with the Service that routes green's traffic; route from a cluster that stays, or set decommission.deleteBlue false`,
        });
      }
    }
  }
  return issues;
}

/** Compares "1.34"-style versions; negative when a < b. */
export function compareMinor(a: string, b: string): number {
  const [amaj, amin] = a.split('.').map(Number);
  const [bmaj, bmin] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

export type PlannedStep = Static<typeof PlannedStepSchema>;
export type PlannedMetricCheck = Static<typeof PlannedMetricCheckSchema>;
/** What POST /v1/plans shows and the workflow follows. */
export type Plan = Static<typeof PlanSchema>;

export function stepGate(index: number): GateName {
  return `step-${index}`;
}

/**
 * Route 53 propagates a change to all its name servers "generally within 60 seconds" (AWS).
 * external-dns makes its own changes, whose IDs Cutover cannot ask GetChange about, so a
 * shift through external-dns waits this long once Route 53 holds the new weights.
 */
export const ROUTE53_PROPAGATION_SECONDS = 60;

const seconds = (duration: string) => `${durationMs(duration) / 1000} s`;

/** What the alias TTL of `route53` is and where it comes from, for the plan. */
function aliasTtlNote(route53: ResolvedRoute53, field: string): string {
  return `alias records (no TTL of their own): TTL ${seconds(route53.aliasTtl)} (${field}${route53.aliasTtl === DEFAULTS.aliasTtl ? ', the default' : ''})`;
}

/** What tells a shift applied, per driver: what the status names while a shift waits for it. */
export function appliedWhen(traffic: ResolvedSpec['traffic']): string {
  switch (traffic.driver) {
    case 'route53':
      return 'Route 53 reports the change INSYNC';
    case 'external-dns':
      return traffic.externalDns?.route53 ? 'Route 53 holds the weights external-dns writes' : 'the aws-weight annotations read back in both clusters';
    case 'alb':
      return 'the listener describes both weights';
    case 'service-selector':
      return "the Service's selector reads back";
  }
}

/** What a shift waits for before its observe window, and why: the plan shows it for every step. */
export function appliedWait(spec: ResolvedSpec): string {
  const { traffic } = spec;
  const when = appliedWhen(traffic);
  const ttl = "then the records' TTL as Route 53 holds it, read at each change";
  if (traffic.driver === 'route53') return `${when}, ${ttl}; ${aliasTtlNote(traffic.route53!, 'traffic.route53.aliasTtl')}`;
  const r53 = traffic.externalDns?.route53;
  if (r53) {
    const propagation = `${ROUTE53_PROPAGATION_SECONDS} s for Route 53 to propagate them (INSYNC: external-dns's own change cannot be asked about)`;
    return `${when}, then ${propagation}, ${ttl}; ${aliasTtlNote(r53, 'traffic.externalDns.route53.aliasTtl')}`;
  }
  if (traffic.driver === 'external-dns') return `${when}; no DNS wait: no Route 53 records named (traffic.externalDns.route53)`;
  return `${when}; no DNS wait`;
}

/** A migration's spec with its defaults and its plan, fixed when it starts (see `fixPlan`). */
export interface FixedPlan {
  spec: ResolvedSpec;
  plan: Plan;
}

/**
 * Resolves the spec and builds its plan once, when the migration starts: the starter puts the
 * result in the workflow's input and a continue-as-new hands it on, so a worker deployed
 * later with other defaults never changes a running migration's plan (nor fails its replay).
 */
export function fixPlan(spec: MigrationSpec): FixedPlan {
  const resolved = resolveSpec(spec);
  return { spec: resolved, plan: buildPlan(resolved) };
}

export function buildPlan(spec: ResolvedSpec): Plan {
  const applied = appliedWait(spec);
  const observedShare = spec.traffic.observedShare;
  const steps = spec.traffic.steps.map((green, i): PlannedStep => ({
    index: i + 1,
    weights: { blue: 100 - green, green },
    // A manual step waits for a person before it moves weights, except the first (cutover approves that).
    approvalGate: spec.traffic.stepApproval === 'manual' && i > 0 ? stepGate(i + 1) : undefined,
    applied,
    ...(observedShare && { observedShare: describeObservedShare(observedShare, green) }),
    observe: spec.traffic.observe,
  }));
  return {
    // GitOps bootstrapping only when the spec names a GitOps tool.
    phases: LIFECYCLE.filter((p) => p !== 'bootstrapping' || !!spec.gitops),
    steps,
    gates: ['cutover', ...steps.flatMap((s) => (s.approvalGate ? [s.approvalGate] : [])), 'decommission'],
    timers: [
      spec.bakePeaks.length
        ? {
            name: TIMERS.bake,
            duration: spec.bake,
            peaks: spec.bakePeaks.map(peakLabel),
            ends: `${spec.bake} after the bake begins (green at 100 %, its last step observed) at the earliest, and not before the end of the last of these windows to pass whole after it began (each once, with green at 100 %, no health breach and the migration not paused; a window that does not count is waited for again at its next occurrence)`,
          }
        : { name: TIMERS.bake, duration: spec.bake },
      { name: TIMERS.freeze, duration: spec.freeze },
    ],
    ...(spec.health.metrics?.length && { metricChecks: spec.health.metrics.map(plannedMetricCheck) }),
    decommission: {
      removeRouting: true,
      steps: decommissionSteps(spec),
      ...(decommissionSteps(spec).includes('drain-check') && { drain: describeDrain(spec.decommission.drain!) }),
      ...(spec.decommission.deleteBlue && { deleteBlueCluster: spec.blue.cluster }),
      ...(!spec.blue.eks && {
        keptBecause: `blue ${spec.blue.cluster} is named by kubeconfig context, not as an EKS cluster: decommissioning removes its routing and GitOps registration and leaves the cluster running`,
      }),
    },
  };
}

/** What decommissioning does for this spec, in DECOMMISSION_STEPS' order. */
export function decommissionSteps(spec: ResolvedSpec): DecommissionStep[] {
  const deletesBlue = spec.decommission.deleteBlue && spec.blue.cluster !== undefined;
  const planned: Record<DecommissionStep, boolean> = {
    'remove-blue-routing': true,
    'drain-check': deletesBlue && !!spec.decommission.drain,
    'deregister-argocd': !!spec.gitops?.argocd,
    'report-retained-volumes': deletesBlue,
    'delete-load-balancers': deletesBlue,
    'delete-node-groups': deletesBlue,
    'delete-cluster': deletesBlue,
  };
  return DECOMMISSION_STEPS.filter((step) => planned[step]);
}

/** The observed-share check of a step in words: "green's share 45–55 % (…), waited for at most 30m". */
export function describeObservedShare(check: ResolvedObservedShare, green: number): string {
  const low = Math.max(0, green - check.tolerance);
  const high = Math.min(100, green + check.tolerance);
  return `green's share of traffic within ${low}–${high} % over ${check.window} (green: ${metricSource(check.green)}; blue: ${metricSource(check.blue)}), waited for at most ${check.within}`;
}

/** The drain check in words: "Prometheus main: … below 1 for 5m, waited for at most 1h (no data: not drained)". */
export function describeDrain(drain: ResolvedDrain): string {
  return `${metricSource(drain)} below ${drain.below} for ${drain.window}, waited for at most ${drain.within} (no data: ${drain.noData === 'pass' ? 'drained' : 'not drained'})`;
}

/** Where a check reads its value, in words. */
export function metricSource(check: Pick<ResolvedMetricCheck, 'cloudwatch' | 'prometheus'>): string {
  const cw = check.cloudwatch;
  if (cw?.alarm) return `CloudWatch alarm ${cw.alarm}`;
  if (cw?.metric) return `CloudWatch ${cw.metric.namespace} ${cw.metric.metricName} (${cw.metric.stat})${cw.dividedBy ? ` / ${cw.dividedBy.metricName} (${cw.dividedBy.stat})` : ''}`;
  return `Prometheus ${check.prometheus?.server ?? '(default server)'}: ${check.prometheus?.query}`;
}

/** When a rule fails, in words: "value > 0.01", "green > blue + 20 % + 0.5". */
export function describeRule(rule: Omit<MetricRule, 'failureThreshold' | 'noData'>, alarm = false): string {
  if (alarm) return 'alarm in ALARM';
  const c = rule.compareToBlue;
  if (c) {
    const tolerance = [c.relative !== undefined && `${round(c.relative * 100)} %`, c.absolute !== undefined && `${c.absolute}`].filter(Boolean).join(' + ');
    return c.worseWhen === 'higher' ? `green > blue + ${tolerance}` : `green < blue - ${tolerance}`;
  }
  return [rule.above !== undefined && `value > ${rule.above}`, rule.below !== undefined && `value < ${rule.below}`].filter(Boolean).join(' or ');
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function plannedMetricCheck(check: ResolvedMetricCheck): PlannedMetricCheck {
  return {
    name: check.name,
    source: metricSource(check),
    window: check.window,
    phases: Object.entries(check.phases).map(([phase, rule]) => ({
      phase: phase as MetricPhase,
      failsWhen: describeRule(rule, !!check.cloudwatch?.alarm),
      failureThreshold: rule.failureThreshold,
      noData: rule.noData,
    })),
  };
}

/** The phase that follows `phase` when all goes well. */
export function phaseAfter(plan: Plan, phase: Phase): Phase {
  const next = plan.phases[plan.phases.indexOf(phase) + 1];
  if (!next) throw new Error(`no phase follows ${phase} in this plan`);
  return next;
}

export function migrationId(spec: Pick<MigrationSpec, 'region' | 'blue'>): string {
  // A context may hold slashes (an EKS ARN); an ID is one segment of a URL path.
  return `migration-${spec.region}-${clusterName(spec.blue).replaceAll('/', '-')}`;
}
