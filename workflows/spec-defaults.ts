// A spec with every default filled in: what the workflow runs and the plan shows. Each
// driver's own settings resolve in its entry (workflows/drivers/). Pure: the API's
// POST /v1/plans and the workflow share it.
import type { AnyDriverEntry } from './drivers/driver.js';
import { DRIVER_FIELDS, driverEntry, DRIVERS, type DriverField, type ResolvedDriverSettings } from './drivers/index.js';
import { clusterName } from './migration-id.js';
import { METRIC_PHASES } from './model.js';
import { resolvePolicies, type PolicyRefs, type ResolvedPolicy } from './approval-policy.js';
import { GATE_KINDS, type GateKind } from './spec-values.js';
import type { ApprovalPolicy, BreachAction, DrainNone, CompareToBlue, DrainCheck, ObservedShareCheck, MetricCheck, MetricPhase, MigrationSpec, NoDataPolicy, PeakWindow } from './spec.js';

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
  lastDelay: '1h',
  observedShareTolerance: 10,
  observedShareWindow: '5m',
  observedShareWithin: '30m',
  noData: 'ignore' as NoDataPolicy,
  worseWhen: 'higher' as const,
  reminderInterval: '4h',
  gitopsSyncTimeout: '30m',
  argocdNamespace: 'argocd',
};

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
  traffic: Omit<MigrationSpec['traffic'], DriverField | 'observedShare'> &
    ResolvedDriverSettings & {
      steps: number[];
      stepApproval: 'auto' | 'manual';
      observe: string;
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
  /** Each kind of gate's policy (decided by them in runs that began with approval policies). */
  approvals: { distinctApprover: boolean; reminderInterval: string; policies: Record<GateKind, ResolvedPolicy> };
  /**
   * drain: only when the spec sets it, so a spec without it resolves as it always did.
   * drainNone: the reason a spec gives for deleting blue without a drain check. lastDelay:
   * resolved only for a spec that deletes blue (absent in plans fixed before it existed).
   */
  decommission: { deleteBlue: boolean; drain?: ResolvedDrain; drainNone?: string; lastDelay?: string };
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

/** The bake's length as the spec gives it: the duration, or the object form's minimum. */
export function bakeMinimum(spec: Pick<MigrationSpec, 'bake'>): string | undefined {
  return typeof spec.bake === 'object' ? spec.bake.minimum : spec.bake;
}

/** The settings of every driver the spec names a field of (only its own driver's, once checked), with their defaults. */
function resolveDriverSettings(spec: MigrationSpec): ResolvedDriverSettings {
  const resolved: Record<string, unknown> = {};
  for (const entry of Object.values(DRIVERS) as AnyDriverEntry[]) {
    const settings = spec.traffic[entry.field];
    if (settings !== undefined) resolved[entry.field] = entry.resolve(settings, spec);
  }
  return resolved as ResolvedDriverSettings;
}

/**
 * The spec with every default filled in. `policies` are the named approval policies of the
 * service's settings, which a spec may name (the API checks the names first).
 */
export function resolveSpec(spec: MigrationSpec, policies: NamedPolicies = {}): ResolvedSpec {
  const { observedShare, ...rest } = spec.traffic;
  // Each driver's settings come back resolved, below.
  const traffic = Object.fromEntries(Object.entries(rest).filter(([field]) => !(DRIVER_FIELDS as string[]).includes(field))) as Omit<typeof rest, DriverField>;
  const blue = resolveCluster(spec.blue);
  return {
    ...spec,
    blue: { ...spec.blue, ...blue },
    // A green outside EKS can only be adopted (checkSpec refuses create without an EKS name).
    green: { ...spec.green, ...resolveCluster(spec.green), mode: spec.green.mode ?? (spec.green.cluster === undefined ? 'adopt' : 'create'), deleteOnCancel: spec.green.deleteOnCancel ?? false },
    traffic: {
      ...traffic,
      steps: spec.traffic.steps ?? [...(driverEntry(spec.traffic.driver).defaultSteps ?? DEFAULTS.steps)],
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
      ...resolveDriverSettings(spec),
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
      policies: resolvePolicies(withNamedPolicies(spec.approvals ?? {}, policies), spec.approvals?.reminderInterval ?? DEFAULTS.reminderInterval),
    },
    // Only an EKS cluster is deleted: a blue named by context alone is kept.
    decommission: resolveDecommission(spec, blue.eks),
  };
}

/** The drain check a spec names, if it names one (not `{"none": reason}`). */
export function drainCheckOf(drain: DrainCheck | DrainNone | undefined): DrainCheck | undefined {
  return drain && !('none' in drain) ? drain : undefined;
}

function resolveDecommission(spec: MigrationSpec, eks: boolean): ResolvedSpec['decommission'] {
  const deleteBlue = spec.decommission?.deleteBlue ?? eks;
  const drain = spec.decommission?.drain;
  const check = drainCheckOf(drain);
  return {
    deleteBlue,
    ...(check && { drain: resolveDrain(check) }),
    ...(drain && 'none' in drain && { drainNone: drain.none }),
    ...(deleteBlue && eks && { lastDelay: spec.decommission?.lastDelay ?? DEFAULTS.lastDelay }),
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

/** Approval policies by name, from the service's settings (CUTOVER_APPROVAL_POLICIES). */
export type NamedPolicies = Record<string, ApprovalPolicy>;

/** The spec's policy references with each name replaced by the policy it names (kept as `name`); an unknown name stays. */
export function withNamedPolicies(approvals: PolicyRefs, named: NamedPolicies): PolicyRefs {
  const refs: PolicyRefs = {};
  for (const kind of GATE_KINDS) {
    const ref = approvals[kind];
    if (ref === undefined) continue;
    refs[kind] = typeof ref === 'string' && Object.hasOwn(named, ref) ? { ...named[ref], name: ref } as ApprovalPolicy : ref;
  }
  return refs;
}
