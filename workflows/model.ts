// The vocabulary of a migration: phases, gates, weights, audit events and the status a
// person reads. Plain data only, shared by the workflow, the API and the tests. The shapes
// are derived from their schemas (schemas.ts), which the API serves as they are.
import type { Static } from 'typebox';
import type {
  AttentionSchema,
  AuditEventSchema,
  DecommissionStatusSchema,
  DrainReadingSchema,
  ObservedShareReadingSchema,
  BakeStatusSchema,
  CarryOverStatusSchema,
  FindingSchema,
  FreezeStatusSchema,
  HealthStatusSchema,
  MetricVerdictSchema,
  MigrationStatusSchema,
  PendingGateSchema,
  GateVoteSchema,
  RetryingSchema,
  TimerStatusSchema,
  WaitingSchema,
  WeightsSchema,
} from './schemas.js';

/** The lifecycle in order, from start to a retired blue (a plan leaves out what a spec does not need). */
export const LIFECYCLE = [
  'preflight',
  'provisioning',
  'bootstrapping',
  'validating',
  'awaiting-cutover',
  'shifting',
  'baking',
  'frozen',
  'awaiting-decommission',
  'decommissioning',
  'completed',
] as const;

/** Every phase: the lifecycle, and where a migration goes off it. */
export const PHASES = [...LIFECYCLE, 'needs-attention', 'rolled-back', 'aborted', 'cancelled', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

const TERMINAL = ['completed', 'aborted', 'cancelled', 'failed'] as const satisfies readonly Phase[];
/** Phases a migration never leaves. */
export type TerminalPhase = (typeof TERMINAL)[number];
export const TERMINAL_PHASES: readonly Phase[] = TERMINAL;

/**
 * Phases in which green may carry traffic, so a rollback has something to undo. A held
 * migration (needs-attention) can always be rolled back: what routing serves may be unknown.
 */
export const ROLLBACK_PHASES: readonly Phase[] = ['shifting', 'baking', 'frozen', 'awaiting-decommission', 'needs-attention'];

/** Where a step-back applies: green carries part of the traffic, or all of it in the bake. */
export const STEP_BACK_PHASES: readonly Phase[] = ['shifting', 'baking'];

/** The phases before the first weight change: green gets no traffic in them (before, or again after a rollback). */
export const BEFORE_TRAFFIC: readonly Phase[] = LIFECYCLE.slice(0, LIFECYCLE.indexOf('shifting'));

/** Gates every migration may meet; a manual step N also waits at gate step-N. */
export const FIXED_GATES = ['preflight-override', 'bootstrap-override', 'stateful', 'cutover', 'promote', 'decommission'] as const;
export type GateName = (typeof FIXED_GATES)[number] | `step-${number}`;
/** What a gate name looks like (steps from 1 to 999): the API validates requests with it. */
export const GATE_NAME_PATTERN = `^(${FIXED_GATES.join('|')}|step-[1-9][0-9]{0,2})$`;
/** The phase each gate waits in (a manual step's gate, step-N, in shifting). */
export const GATE_PHASE = {
  'preflight-override': 'preflight',
  'bootstrap-override': 'bootstrapping',
  // The carry-over of blue's volumes is validation's first step (spec.stateful).
  stateful: 'validating',
  cutover: 'awaiting-cutover',
  promote: 'shifting',
  'step-N': 'shifting',
  decommission: 'awaiting-decommission',
} as const satisfies Record<(typeof FIXED_GATES)[number] | 'step-N', Phase>;
/** Phases in which a gate may wait, in lifecycle order. */
export const GATE_PHASES: readonly Phase[] = LIFECYCLE.filter((phase) => (Object.values(GATE_PHASE) as Phase[]).includes(phase));

/** Phases in which green carries traffic and the health watcher guards it; a metric check runs in them (a spec names them: MetricPhase). */
export const METRIC_PHASES = ['shifting', 'baking', 'frozen'] as const satisfies readonly Phase[];
/** The watched phases, as phases (to ask whether one is watched). */
export const WATCHED_PHASES: readonly Phase[] = METRIC_PHASES;

/**
 * What decommissioning does, in this order; a plan leaves out what its spec does not need
 * (plan.ts `decommissionSteps`). Each step is idempotent, and a retry after a hold goes on
 * from the step that failed. Blue's own load balancers go before its node groups (their
 * controller runs there) and the cluster: never a cluster deleted under them.
 */
export const DECOMMISSION_STEPS = [
  /** blue's record or target group taken out of the routing (the weights are 0/100 already) */
  'remove-blue-routing',
  /** blue's traffic under a threshold for a whole window before anything of blue is deleted (with decommission.drain) */
  'drain-check',
  /** blue's cluster registration removed from Argo CD (with gitops.argocd) */
  'deregister-argocd',
  /** blue's retained PersistentVolumes, which outlive the cluster, reported as findings */
  'report-retained-volumes',
  /** blue's Ingresses and LoadBalancer Services deleted, then waited for until gone */
  'delete-load-balancers',
  /** blue's node groups deleted, waited for */
  'delete-node-groups',
  /** blue's cluster deleted, waited for */
  'delete-cluster',
] as const;
export type DecommissionStep = (typeof DECOMMISSION_STEPS)[number];

/** The named timers a status shows; a bake over peaks also shows one per window still to pass, named `peak <window>`; last-delay runs after the decommission gate. */
export const TIMERS = { bake: 'bake', freeze: 'freeze', peak: 'peak', lastDelay: 'last-delay' } as const;


export type Weights = Static<typeof WeightsSchema>;
export const ALL_BLUE: Weights = { blue: 100, green: 0 };

export type Actor = string; // a person's subject, or WATCHER_ACTOR
export const WATCHER_ACTOR = 'watcher';
export const SYSTEM_ACTOR = 'cutover';

export type AuditEvent = Static<typeof AuditEventSchema>;
export type PendingGate = Static<typeof PendingGateSchema>;
export type GateVote = Static<typeof GateVoteSchema>;
export type Finding = Static<typeof FindingSchema>;
export type TimerStatus = Static<typeof TimerStatusSchema>;
export type HealthStatus = Static<typeof HealthStatusSchema>;
export type MetricVerdict = Static<typeof MetricVerdictSchema>;
export type Attention = Static<typeof AttentionSchema>;
export type Retrying = Static<typeof RetryingSchema>;
export type DecommissionStatus = Static<typeof DecommissionStatusSchema>;
export type DrainReading = Static<typeof DrainReadingSchema>;
export type ObservedShareReading = Static<typeof ObservedShareReadingSchema>;
export type Waiting = Static<typeof WaitingSchema>;
export type BakeStatus = Static<typeof BakeStatusSchema>;
export type CarryOverStatus = Static<typeof CarryOverStatusSchema>;
export type FreezeStatus = Static<typeof FreezeStatusSchema>;
export type BakeWindow = BakeStatus['windows'][number];
/** What the status Query answers; the API adds the run's execution status and links. */
export type MigrationStatus = Static<typeof MigrationStatusSchema>;
