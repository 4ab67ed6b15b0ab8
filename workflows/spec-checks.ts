// The checks a JSON Schema cannot express: everything about a spec that needs only the spec
// (the API adds blue's version, which needs EKS). The API and the workflow share them.
import type { AnyDriverEntry } from './drivers/driver.js';
import { driverEntry, DRIVERS } from './drivers/index.js';
import { durationMs } from './duration.js';
import { overrideIssues } from './green-overrides.js';
import { KUBERNETES_MINOR } from './kubernetes-version.js';
import { clusterName, MIGRATION_ID_PATTERN, migrationId } from './migration-id.js';
import { DEFAULTS, drainCheckOf, resolveMetricCheck } from './spec-defaults.js';
import { METRIC_PHASES } from './model.js';
import { statefulIssues } from './stateful.js';
import { CLUSTER_PLACEHOLDER, DURATION_LIMITS, GATE_KINDS, type DurationField, type DurationLimit } from './spec-values.js';
import type { ApprovalPolicy, DrainCheck, MetricCheck, MetricPhase, MigrationSpec, ObservedShareCheck, SpecIssue } from './spec.js';

function isDuration(value: string): boolean {
  try {
    return durationMs(value as never) >= 0;
  } catch {
    return false;
  }
}

const MIGRATION_ID = new RegExp(MIGRATION_ID_PATTERN);

/** An IAM role ARN in any partition (aws, aws-cn, aws-us-gov, …); path and name as IAM allows them. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The durations of an approval policy at `path` (a spec's, or one in the service's settings). */
export function policyDurationFields(policy: ApprovalPolicy, path: string, field: string): DurationField[] {
  return [
    { path: `${path}/expiresAfter`, field: `${field}.expiresAfter`, limit: 'approvals.expiresAfter', value: policy.expiresAfter },
    { path: `${path}/escalate/after`, field: `${field}.escalate.after`, limit: 'approvals.escalate.after', value: policy.escalate?.after },
    { path: `${path}/reminderInterval`, field: `${field}.reminderInterval`, limit: 'approvals.reminderInterval', value: policy.reminderInterval },
  ];
}

/** What an approval policy says that cannot work: an expiry action without an expiry, an escalation without its channel. */
export function policyIssues(policy: ApprovalPolicy, path: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (policy.onExpiry && !policy.expiresAfter) issues.push({ path: `${path}/onExpiry`, message: 'needs expiresAfter: without it the gate never expires' });
  if (policy.onExpiry === 'escalate' && !policy.escalate) issues.push({ path: `${path}/escalate`, message: 'onExpiry escalate needs escalate: {channel, after}, the channel told and how long it then waits' });
  if (policy.escalate && policy.onExpiry !== 'escalate') issues.push({ path: `${path}/escalate`, message: 'is used only with onExpiry escalate' });
  return issues;
}

function durationFields(spec: MigrationSpec): DurationField[] {
  return [
    { path: '/traffic/observe', field: 'traffic.observe', limit: 'traffic.observe', value: spec.traffic.observe },
    typeof spec.bake === 'object'
      ? { path: '/bake/minimum', field: 'bake.minimum', limit: 'bake', value: spec.bake.minimum }
      : { path: '/bake', field: 'bake', limit: 'bake', value: spec.bake },
    { path: '/freeze', field: 'freeze', limit: 'freeze', value: spec.freeze },
    ...(Object.values(DRIVERS) as AnyDriverEntry[]).flatMap((d) => d.durations?.(spec.traffic[d.field]) ?? []),
    { path: '/health/interval', field: 'health.interval', limit: 'health.interval', value: spec.health?.interval },
    { path: '/approvals/reminderInterval', field: 'approvals.reminderInterval', limit: 'approvals.reminderInterval', value: spec.approvals?.reminderInterval },
    { path: '/gitops/syncTimeout', field: 'gitops.syncTimeout', limit: 'gitops.syncTimeout', value: spec.gitops?.syncTimeout },
    ...GATE_KINDS.flatMap((kind) => {
      const policy = spec.approvals?.[kind];
      return typeof policy === 'object' ? policyDurationFields(policy, `/approvals/${kind}`, `approvals.${kind}`) : [];
    }),
    ...(spec.health?.smoke ?? []).map(
      (s, i): DurationField => ({ path: `/health/smoke/${i}/timeout`, field: `health.smoke[${i}].timeout`, limit: 'health.smoke[].timeout', value: s.timeout }),
    ),
    { path: '/traffic/observedShare/window', field: 'traffic.observedShare.window', limit: 'traffic.observedShare.window', value: spec.traffic.observedShare?.window },
    { path: '/traffic/observedShare/within', field: 'traffic.observedShare.within', limit: 'traffic.observedShare.within', value: spec.traffic.observedShare?.within },
    { path: '/decommission/drain/window', field: 'decommission.drain.window', limit: 'decommission.drain.window', value: drainCheckOf(spec.decommission?.drain)?.window },
    { path: '/decommission/drain/within', field: 'decommission.drain.within', limit: 'decommission.drain.within', value: drainCheckOf(spec.decommission?.drain)?.within },
    { path: '/decommission/lastDelay', field: 'decommission.lastDelay', limit: 'decommission.lastDelay', value: spec.decommission?.lastDelay },
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
  return durationFieldIssues(durationFields(spec));
}

/** Each of `fields` that does not parse or lies outside its DURATION_LIMITS. */
export function durationFieldIssues(fields: DurationField[]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const { path, field, limit, value } of fields) {
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
  issues.push(...overrideIssues(spec));
  issues.push(...peakIssues(spec));
  (spec.health?.metrics ?? []).forEach((m, i) => issues.push(...metricIssues(m, `/health/metrics/${i}`)));
  const names = new Map<string, number>();
  (spec.health?.metrics ?? []).forEach((m, i) => {
    const first = names.get(m.name);
    if (first !== undefined) issues.push({ path: `/health/metrics/${i}/name`, message: `"${m.name}" is also the name of /health/metrics/${first}: each check needs its own name` });
    else names.set(m.name, i);
  });
  issues.push(...guardedDestroyIssues(spec));
  if (spec.stateful) issues.push(...statefulIssues(spec.stateful, spec.region));
  if (spec.traffic.observedShare) issues.push(...observedShareIssues(spec.traffic.observedShare));
  for (const kind of GATE_KINDS) {
    const policy = spec.approvals?.[kind];
    if (typeof policy === 'object') issues.push(...policyIssues(policy, `/approvals/${kind}`));
  }
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

/**
 * A spec that deletes blue names how blue is seen to carry no traffic (a drain check) or says
 * there is none to read, and why; a spec that keeps blue has neither, nor a last delay.
 */
function guardedDestroyIssues(spec: MigrationSpec): SpecIssue[] {
  const drain = spec.decommission?.drain;
  const deletesBlue = spec.blue.cluster !== undefined && (spec.decommission?.deleteBlue ?? true);
  if (deletesBlue && !drain) {
    return [
      {
        path: '/decommission/drain',
        message:
          'is required when blue is deleted (decommission.deleteBlue, default true for an EKS blue): name a source of blue\'s traffic (cloudwatch or prometheus) that shows blue carries none before it is deleted, or say {"none": "<reason>"} why no reading is needed',
      },
    ];
  }
  const issues: SpecIssue[] = [];
  if (!deletesBlue && spec.decommission?.lastDelay !== undefined) {
    issues.push({ path: '/decommission/lastDelay', message: 'is the wait before blue is deleted, and blue is kept (deleteBlue false, or a blue named by context): leave lastDelay out' });
  }
  if (!drain) return issues;
  if ('none' in drain) {
    if (!drain.none.trim()) issues.push({ path: '/decommission/drain/none', message: 'must give the reason no drain reading is needed (it goes into the plan and the audit)' });
    if (!deletesBlue) issues.push({ path: '/decommission/drain', message: 'says why blue is deleted without a drain check, and blue is kept (deleteBlue false, or a blue named by context): leave drain out' });
    return issues;
  }
  return [...issues, ...drainIssues(drain, deletesBlue)];
}

/** The drain check: one source, a window it can be judged in, and blue there to drain. */
function drainIssues(drain: DrainCheck, deletesBlue: boolean): SpecIssue[] {
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
  if (!deletesBlue) {
    issues.push({ path: at, message: 'is checked before anything of blue is deleted, and blue is kept (deleteBlue false, or a blue named by context): leave drain out' });
  }
  return issues;
}

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

/** The chosen driver's settings are there and make sense; no other driver's settings linger. */
function driverIssues(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const traffic = spec.traffic;
  const driver = traffic.driver;
  const entry = driverEntry(driver);
  if (!traffic[entry.field]) issues.push({ path: `/traffic/${entry.field}`, message: `required when driver is ${driver}` });
  for (const [other, { field }] of Object.entries(DRIVERS)) {
    if (other === driver || traffic[field] === undefined) continue;
    const hint = entry.misplaced?.[field];
    issues.push({ path: `/traffic/${field}`, message: `is read only by driver ${other}, and this spec's driver is ${driver}: remove it${hint ? `; ${hint}` : ''}` });
  }
  issues.push(...entry.issues(traffic[entry.field], spec));
  return issues;
}
