// Pure decisions about a spec: its defaults, the checks a schema cannot express, and the
// plan (phases, steps, gates, timers). The API's POST /v1/plans and the workflow share them.
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { BreachAction, MigrationSpec } from './spec.js';
import type { GateName, Phase } from './model.js';

export const DEFAULTS = {
  steps: [20, 50, 80, 100],
  stepApproval: 'auto' as const,
  observe: '10m',
  bake: '7 days',
  freeze: '3 days',
  healthInterval: '1m',
  failureThreshold: 3,
  onBreach: 'rollback' as BreachAction,
  reminderInterval: '4h',
  gitopsSyncTimeout: '30m',
  argocdNamespace: 'argocd',
};

export interface ResolvedRecord {
  name: string;
  type: string;
  blueSetIdentifier: string;
  greenSetIdentifier: string;
}

/** A spec with every default filled in: what the workflow actually runs. */
export interface ResolvedSpec extends Omit<MigrationSpec, 'traffic' | 'health'> {
  green: MigrationSpec['green'] & { mode: 'create' | 'adopt'; deleteOnCancel: boolean };
  traffic: Omit<MigrationSpec['traffic'], 'route53'> & {
    steps: number[];
    stepApproval: 'auto' | 'manual';
    observe: string;
    route53?: { hostedZoneId?: string; hostedZoneName?: string; records: ResolvedRecord[] };
  };
  health: {
    smoke: { url: string; host?: string; expectStatus: number; bodyContains?: string; timeout?: string }[];
    interval: string;
    failureThreshold: number;
    onBreach: BreachAction;
  };
  bake: string;
  freeze: string;
  approvals: { distinctApprover: boolean; reminderInterval: string };
  decommission: { deleteBlue: boolean };
}

export function resolveSpec(spec: MigrationSpec): ResolvedSpec {
  const route53 = spec.traffic.route53;
  return {
    ...spec,
    green: { ...spec.green, mode: spec.green.mode ?? 'create', deleteOnCancel: spec.green.deleteOnCancel ?? false },
    traffic: {
      ...spec.traffic,
      steps: spec.traffic.steps ?? DEFAULTS.steps,
      stepApproval: spec.traffic.stepApproval ?? DEFAULTS.stepApproval,
      observe: spec.traffic.observe ?? DEFAULTS.observe,
      route53: route53 && {
        ...route53,
        records: route53.records.map((r) => ({
          name: r.name,
          type: r.type ?? 'CNAME',
          blueSetIdentifier: r.blueSetIdentifier ?? 'blue',
          greenSetIdentifier: r.greenSetIdentifier ?? 'green',
        })),
      },
    },
    health: {
      smoke: (spec.health?.smoke ?? []).map((s) => ({ ...s, expectStatus: s.expectStatus ?? 200 })),
      interval: spec.health?.interval ?? DEFAULTS.healthInterval,
      failureThreshold: spec.health?.failureThreshold ?? DEFAULTS.failureThreshold,
      onBreach: spec.health?.onBreach ?? DEFAULTS.onBreach,
    },
    bake: spec.bake ?? DEFAULTS.bake,
    freeze: spec.freeze ?? DEFAULTS.freeze,
    approvals: {
      distinctApprover: spec.approvals?.distinctApprover ?? false,
      reminderInterval: spec.approvals?.reminderInterval ?? DEFAULTS.reminderInterval,
    },
    decommission: { deleteBlue: spec.decommission?.deleteBlue ?? true },
  };
}

export interface SpecIssue {
  path: string; // JSON pointer, e.g. /traffic/steps/2
  message: string;
}

function isDuration(value: string): boolean {
  try {
    return msToNumber(value as never) >= 0;
  } catch {
    return false;
  }
}

/** Checks a schema-valid spec for what JSON Schema cannot say. Empty when the spec is sound. */
export function checkSpec(spec: MigrationSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const steps = spec.traffic.steps;
  if (steps) {
    steps.forEach((w, i) => {
      if (i > 0 && w <= steps[i - 1]) issues.push({ path: `/traffic/steps/${i}`, message: 'must be greater than previous step' });
    });
    if (steps[steps.length - 1] !== 100) {
      issues.push({ path: `/traffic/steps/${steps.length - 1}`, message: 'last step must be 100' });
    }
  }
  const durations: [string, string | undefined][] = [
    ['/traffic/observe', spec.traffic.observe],
    ['/bake', spec.bake],
    ['/freeze', spec.freeze],
    ['/health/interval', spec.health?.interval],
    ['/approvals/reminderInterval', spec.approvals?.reminderInterval],
    ['/gitops/syncTimeout', spec.gitops?.syncTimeout],
    ...(spec.health?.smoke ?? []).map((s, i): [string, string | undefined] => [`/health/smoke/${i}/timeout`, s.timeout]),
  ];
  for (const [path, value] of durations) {
    if (value !== undefined && !isDuration(value)) {
      issues.push({ path, message: `"${value}" is not a duration (e.g. "10m", "7 days")` });
    }
  }
  const driver = spec.traffic.driver;
  if (driver === 'route53') {
    const r53 = spec.traffic.route53;
    if (!r53) issues.push({ path: '/traffic/route53', message: 'required when driver is route53' });
    else if (!r53.hostedZoneId && !r53.hostedZoneName) {
      issues.push({ path: '/traffic/route53', message: 'needs hostedZoneId or hostedZoneName' });
    }
  }
  if (driver === 'alb' && !spec.traffic.alb) issues.push({ path: '/traffic/alb', message: 'required when driver is alb' });
  if (driver === 'external-dns' || driver === 'service-selector') {
    issues.push({ path: '/traffic/driver', message: `driver ${driver} is not available yet; use route53 or alb` });
  }
  if (spec.blue.cluster === spec.green.cluster) {
    issues.push({ path: '/green/cluster', message: 'must differ from blue cluster' });
  }
  return issues;
}

/** Compares "1.34"-style versions; negative when a < b. */
export function compareMinor(a: string, b: string): number {
  const [amaj, amin] = a.split('.').map(Number);
  const [bmaj, bmin] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

export interface PlannedStep {
  index: number; // 1-based
  weights: { blue: number; green: number };
  approvalGate?: GateName;
  observe: string;
}

export interface Plan {
  phases: Phase[];
  steps: PlannedStep[];
  gates: GateName[];
  timers: { name: string; duration: string }[];
  decommission: { removeRouting: boolean; deleteBlueCluster: string | null };
}

export function stepGate(index: number): GateName {
  return `step-${index}`;
}

export function buildPlan(spec: ResolvedSpec): Plan {
  const steps = spec.traffic.steps.map((green, i) => ({
    index: i + 1,
    weights: { blue: 100 - green, green },
    // A manual step waits for a person before it moves weights, except the first (cutover approves that).
    approvalGate: spec.traffic.stepApproval === 'manual' && i > 0 ? stepGate(i + 1) : undefined,
    observe: spec.traffic.observe,
  }));
  const phases: Phase[] = [
    'preflight',
    'provisioning',
    ...(spec.gitops ? (['bootstrapping'] as const) : []),
    'validating',
    'awaiting-cutover',
    'shifting',
    'baking',
    'frozen',
    'awaiting-decommission',
    'decommissioning',
    'completed',
  ];
  return {
    phases,
    steps,
    gates: ['cutover', ...steps.flatMap((s) => (s.approvalGate ? [s.approvalGate] : [])), 'decommission'],
    timers: [
      { name: 'bake', duration: spec.bake },
      { name: 'freeze', duration: spec.freeze },
    ],
    decommission: { removeRouting: true, deleteBlueCluster: spec.decommission.deleteBlue ? spec.blue.cluster : null },
  };
}

export function migrationId(spec: Pick<MigrationSpec, 'region' | 'blue'>): string {
  return `migration-${spec.region}-${spec.blue.cluster}`;
}
