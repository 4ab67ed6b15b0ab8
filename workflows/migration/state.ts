// One migration run: what it was asked to do, the state it carries from run to run, and the
// status a person reads of it. The state is plain JSON: a continue-as-new hands it on as it is.
import * as wf from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES } from '../messages.js';
import {
  ALL_BLUE,
  LIFECYCLE,
  type Attention,
  type DecommissionStatus,
  type DecommissionStep,
  type DrainReading,
  type ObservedShareReading,
  TERMINAL_PHASES,
  type Actor,
  type AuditEvent,
  type BakeStatus,
  type Finding,
  type HealthStatus,
  type MigrationStatus,
  type PendingGate,
  type Phase,
  type Retrying,
  type TimerStatus,
  type Waiting,
  type Weights,
} from '../model.js';
import { buildPlan, type Plan } from '../plan.js';
import { resolveSpec, type ResolvedSpec } from '../spec-defaults.js';
import type { MigrationSpec } from '../spec.js';
import type { Compensation } from './saga.js';
import { tell } from './story.js';

export interface MigrationInput {
  spec: MigrationSpec;
  startedBy: Actor;
  /** State carried over a continue-as-new; absent on the first run. */
  carried?: RunState;
  /** Continue-as-new at the next phase boundary once history is this long (besides the server's suggestion). */
  historyLimit?: number;
}

export interface MigrationOutcome {
  phase: Phase;
  weights: Weights;
  error?: string;
}

/** A rollback or cancel asked for and not yet carried out. */
export interface Interrupt {
  kind: 'rollback' | 'cancel';
  actor: Actor;
  reason: string;
}
/** A person's choice where a migration waits for one: rolled-back or needs-attention. */
export interface AfterRollback {
  choice: 'retry' | 'abort';
  actor: Actor;
  /** Acted on, with the next phase still to begin (a pause holds it): another choice is refused until then. */
  taken?: boolean;
}
export interface Decision {
  decision: 'approve' | 'reject';
  actor: Actor;
  comment?: string;
}

/** Everything a run needs to continue where it stood. */
export interface RunState {
  phase: Phase;
  paused: boolean;
  weights: Weights;
  stepsDone: number;
  /** The step whose weights are in place (observed now, or last applied). */
  currentStep: number;
  pendingGate?: PendingGate;
  decisions: Record<string, Decision>;
  /** Findings of the last preflight, provisioning (what could not be copied from blue), GitOps bootstrap, validation and check of green's targets. */
  findings: { preflight: Finding[]; provisioning?: Finding[]; gitops?: Finding[]; validation: Finding[]; targets?: Finding[]; decommission?: Finding[] };
  timers: TimerStatus[];
  health: HealthStatus;
  greenCreated: boolean;
  blueDeleted: boolean;
  /** The undo of each step that changed something outside, newest first (saga.ts). */
  compensations: Compensation[];
  /** When green first carried 100 % (ISO); bake+freeze count from here. */
  greenFullSince?: string;
  /** Who approved the traffic now moving to green (cutover or the last step gate). */
  shiftApprovedBy?: Actor;
  /** Who approved decommissioning in this cycle (cleared by a rollback). */
  decommissionApprovedBy?: Actor;
  /** Blue's routing removal was asked for: from then on traffic cannot go back to blue. */
  blueRetiring?: boolean;
  /** Decommissioning's steps done, and the one under way (or held); absent until it begins (and in runs that decommissioned before the steps existed). */
  decommission?: { done: DecommissionStep[]; current?: DecommissionStep; drain?: DrainReading };
  /** The observed-share check's last reading, of the step it belongs to (with traffic.observedShare; absent in runs before it). */
  observedShare?: ObservedShareReading & { step: number };
  /** The rollback or cancel to carry out, set until it is carried out. */
  interrupt?: Interrupt;
  /** Rollbacks carried out so far: a `rollback?wait=true` answers once this count moves. */
  rollbacksDone: number;
  afterRollback?: AfterRollback;
  audit: AuditEvent[];
  error?: string;
  /** Why the migration is held in needs-attention; set only there. */
  attention?: Attention;
  /** A forward weight change that keeps failing, while it is retried. */
  retrying?: Retrying;
  /** The wait the run sits out now (a change applying, the records' TTL, an observe window), while it lasts. */
  waiting?: Waiting;
  /** A bake over peak windows while it runs (bake.ts); `endsAt` is derived for the status. */
  bake?: Omit<BakeStatus, 'endsAt'>;
}

/** What the GitOps activities need to know of the spec (no credentials: those stay in the worker). */
export type GitopsRef = Pick<NonNullable<MigrationSpec['gitops']>, 'argocd' | 'flux'>;

/** The run every part of the workflow works on: what it was asked, and where it stands. */
export interface Run {
  readonly id: string;
  readonly spec: ResolvedSpec;
  readonly plan: Plan;
  readonly startedBy: Actor;
  readonly gitops?: GitopsRef;
  readonly state: RunState;
  /** Settles when the last health watcher has stopped (not merely been asked to). */
  watcherStopped: Promise<unknown>;
}

export function newRun(input: MigrationInput): Run {
  const spec = resolveSpec(input.spec);
  return {
    id: wf.workflowInfo().workflowId,
    spec,
    plan: buildPlan(spec),
    startedBy: input.startedBy,
    gitops: spec.gitops && { argocd: spec.gitops.argocd, flux: spec.gitops.flux },
    state: input.carried ?? initialState(),
    watcherStopped: Promise.resolve(),
  };
}

function initialState(): RunState {
  return {
    phase: LIFECYCLE[0],
    paused: false,
    weights: { ...ALL_BLUE },
    stepsDone: 0,
    currentStep: 0,
    decisions: {},
    findings: { preflight: [], validation: [] },
    timers: [],
    health: { watching: false },
    greenCreated: false,
    blueDeleted: false,
    compensations: [],
    rollbacksDone: 0,
    audit: [],
  };
}

/** The status carries only the latest audit events; the audit query returns all of them. */
const AUDIT_IN_STATUS = 20;

export function statusOf(run: Run): MigrationStatus {
  const { state, plan } = run;
  const step = state.currentStep > 0 ? plan.steps[state.currentStep - 1] : undefined;
  return {
    id: run.id,
    phase: state.phase,
    paused: state.paused,
    weights: state.weights,
    step: step && {
      index: step.index,
      of: plan.steps.length,
      greenWeight: step.weights.green,
      ...(state.observedShare?.step === step.index && { observedShare: observedShareReading(state.observedShare) }),
    },
    pendingGate: state.pendingGate,
    findings: [
      ...state.findings.preflight,
      ...(state.findings.provisioning ?? []),
      ...(state.findings.gitops ?? []),
      ...state.findings.validation,
      ...(state.findings.targets ?? []),
      ...(state.findings.decommission ?? []),
    ],
    timers: state.timers,
    health: state.health,
    greenCreatedByMigration: state.greenCreated,
    blueDeleted: state.blueDeleted,
    startedBy: run.startedBy,
    audit: state.audit.slice(-AUDIT_IN_STATUS),
    error: state.error,
    attention: state.attention,
    retrying: state.retrying,
    decommission: decommissionStatus(run),
    waiting: state.waiting,
    bake: state.bake && { ...state.bake, endsAt: [state.bake.minimumEndsAt, ...state.bake.windows.map((w) => w.to)].reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) },
  };
}

/** The reading without the step it belongs to (the status shows it under that step). */
function observedShareReading({ step: _step, ...reading }: ObservedShareReading & { step: number }): ObservedShareReading {
  return reading;
}

/** The plan's decommission steps with how far each got; only once decommissioning began. */
function decommissionStatus(run: Run): DecommissionStatus | undefined {
  const progress = run.state.decommission;
  if (!progress) return undefined;
  const held = run.state.phase !== 'decommissioning';
  return {
    steps: run.plan.decommission.steps.map((step) => ({
      step,
      status: progress.done.includes(step) ? 'done' : step === progress.current ? (held ? 'failed' : 'running') : 'pending',
    })),
    ...(progress.drain && { drain: progress.drain }),
  };
}

/** The workflow's clock (deterministic), as an ISO time. */
export const now = () => new Date().toISOString();

export function audit(run: Run, actor: Actor, action: string, reason: string, detail?: Record<string, unknown>): void {
  run.state.audit.push({ at: now(), actor, action, reason, ...(detail ? { detail } : {}) });
}

export const isTerminal = (state: RunState) => TERMINAL_PHASES.includes(state.phase);

/**
 * A failure no retry fixes. Thrown by a validator it refuses the Update; thrown by a phase it
 * holds the migration (needs-attention) with this message, which says what to check.
 */
export function nonRetryable(type: string, message: string): wf.ApplicationFailure {
  return wf.ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function enter(run: Run, phase: Phase): void {
  run.state.phase = phase;
  // A retry or abort answers one rollback or hold; a choice from an earlier one must not linger.
  if (phase === 'rolled-back' || run.state.afterRollback?.taken) run.state.afterRollback = undefined;
  if (phase !== 'needs-attention') run.state.attention = undefined;
  wf.upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: phase }]);
  tell(run);
}

/** Holds progression at the next boundary (a person, the watcher, or green not ready). */
export function pause(run: Run, actor: Actor, reason: string): void {
  run.state.paused = true;
  audit(run, actor, 'pause', reason);
}

/**
 * Asks for traffic back on blue: a person's request, a rejected gate or a health breach. The
 * first request still waiting is the one carried out (its actor and reason are on record).
 */
export function requestRollback(state: RunState, actor: Actor, reason: string): void {
  state.interrupt ??= { kind: 'rollback', actor, reason };
}
