// The plan of a resolved spec: its phases, steps, gates, timers and what decommissioning
// removes. What POST /v1/plans shows and the workflow follows.
import type { Static } from 'typebox';
import { describeDrain, describeObservedShare, describeRule, peakLabel } from './describe.js';
import { metricSource } from './metric-source.js';
import { describePolicy } from './approval-policy.js';
import { GATE_KINDS } from './spec-values.js';
import { describeOverrides } from './green-overrides.js';
import { describeCarryOver } from './stateful.js';
import { appliedWait } from './drivers/index.js';
import { DECOMMISSION_STEPS, LIFECYCLE, TIMERS, type DecommissionStep, type GateName, type Phase } from './model.js';
import type { PlannedMetricCheckSchema, PlannedStepSchema, PlanSchema } from './schemas.js';
import { resolveSpec, type NamedPolicies, type ResolvedMetricCheck, type ResolvedSpec } from './spec-defaults.js';
import type { MetricPhase, MigrationSpec } from './spec.js';

export type PlannedStep = Static<typeof PlannedStepSchema>;
export type PlannedMetricCheck = Static<typeof PlannedMetricCheckSchema>;
/** What POST /v1/plans shows and the workflow follows. */
export type Plan = Static<typeof PlanSchema>;

export function stepGate(index: number): GateName {
  return `step-${index}`;
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
export function fixPlan(spec: MigrationSpec, policies?: NamedPolicies): FixedPlan {
  const resolved = resolveSpec(spec, policies);
  return { spec: resolved, plan: buildPlan(resolved) };
}

export function buildPlan(spec: ResolvedSpec): Plan {
  const applied = appliedWait(spec.traffic);
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
    gates: [...(spec.stateful?.quiesce.mode === 'gate' ? (['stateful'] as const) : []), 'cutover', ...steps.flatMap((s) => (s.approvalGate ? [s.approvalGate] : [])), 'decommission'],
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
      ...(spec.decommission.lastDelay !== undefined && decommissionSteps(spec).includes('delete-cluster')
        ? [{ name: TIMERS.lastDelay, duration: spec.decommission.lastDelay, ends: `${spec.decommission.lastDelay} after the decommission gate is approved; keep-blue cancels it and returns to the gate` }]
        : []),
    ],
    ...(spec.health.metrics?.length && { metricChecks: spec.health.metrics.map(plannedMetricCheck) }),
    // Only with overrides, so every other spec plans as it did.
    ...(spec.green.overrides && { greenOverrides: describeOverrides(spec.green.overrides) }),
    // The stateful gate's policy only where a spec carries volumes: other plans read as before.
    approvalPolicies: Object.fromEntries(GATE_KINDS.filter((kind) => kind !== 'stateful' || spec.stateful).map((kind) => [kind, describePolicy(spec.approvals.policies[kind])])),
    ...(spec.stateful && {
      stateful: {
        phase: 'validating' as const,
        carryOver: describeCarryOver(spec.stateful),
        zones: spec.stateful.zones ?? {},
        zonesByDefault: "a zone not mapped here maps to itself (green's subnets must cover it); the volumes themselves are read live, so the dry run's preflight lists each claim with its zones",
      },
    }),
    decommission: {
      removeRouting: true,
      steps: decommissionSteps(spec),
      ...(decommissionSteps(spec).includes('drain-check') && { drain: describeDrain(spec.decommission.drain!) }),
      ...(spec.decommission.drainNone !== undefined && { drain: `none: ${spec.decommission.drainNone}` }),
      ...(spec.decommission.lastDelay !== undefined && decommissionSteps(spec).includes('delete-cluster') && { lastDelay: spec.decommission.lastDelay }),
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
