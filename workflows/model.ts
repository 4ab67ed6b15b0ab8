// The vocabulary of a migration: phases, gates, weights, audit events and the status a
// person reads. Plain data only, shared by the workflow, the API and the tests.

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
export const PHASES = [...LIFECYCLE, 'rolled-back', 'aborted', 'cancelled', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

/** Phases a migration never leaves. */
export const TERMINAL_PHASES: readonly Phase[] = ['completed', 'aborted', 'cancelled', 'failed'];

/** Phases in which green may carry traffic, so a rollback has something to undo. */
export const ROLLBACK_PHASES: readonly Phase[] = ['shifting', 'baking', 'frozen', 'awaiting-decommission'];

/** Phases in which green carries traffic and the health watcher guards it. */
export const WATCHED_PHASES: readonly Phase[] = ['shifting', 'baking', 'frozen'];

/** The named timers a status shows. */
export const TIMERS = { bake: 'bake', freeze: 'freeze' } as const;

export type GateName = 'preflight-override' | 'bootstrap-override' | 'cutover' | 'decommission' | `step-${number}`;

export interface Weights {
  blue: number;
  green: number;
}
export const ALL_BLUE: Weights = { blue: 100, green: 0 };

export type Actor = string; // a person's subject, or WATCHER_ACTOR
export const WATCHER_ACTOR = 'watcher';
export const SYSTEM_ACTOR = 'cutover';

export interface AuditEvent {
  at: string; // ISO time, from the workflow clock
  actor: Actor;
  action: string;
  reason: string;
  detail?: Record<string, unknown>;
}

export interface PendingGate {
  gate: GateName;
  since: string;
}

export interface Finding {
  severity: 'blocking' | 'warning' | 'info';
  source: string;
  message: string;
}

export interface TimerStatus {
  name: string;
  firesAt: string;
}

export interface HealthStatus {
  watching: boolean;
  lastVerdict?: 'healthy' | 'breach';
  lastBreach?: { at: string; reason: string };
}

export interface MigrationStatus {
  id: string;
  phase: Phase;
  paused: boolean;
  weights: Weights;
  step?: { index: number; of: number; greenWeight: number };
  pendingGate?: PendingGate;
  findings: Finding[];
  timers: TimerStatus[];
  health: HealthStatus;
  greenCreatedByMigration: boolean;
  blueDeleted: boolean;
  startedBy: Actor;
  audit: AuditEvent[];
  error?: string;
}
