// One migration run: what it was asked to do, the state it carries from run to run, and the
// status a person reads of it. The state is plain JSON: a continue-as-new hands it on as it is.
import * as wf from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES } from '../messages.js';
import {
  ALL_BLUE,
  BEFORE_TRAFFIC,
  LIFECYCLE,
  type DecommissionStatus,
  type ObservedShareReading,
  TERMINAL_PHASES,
  type Actor,
  type GateVote,
  type MigrationStatus,
  type Phase,
} from '../model.js';
import { fixPlan, phaseAfter } from '../plan.js';
import { kubeContextsOf } from './inputs.js';
import { keepBlueCommand, tell } from './story.js';
import { mayStillApprove, type GateContext } from '../approval-policy.js';
import type { MigrationInput, Run, RunState } from './types.js';

export function newRun(input: MigrationInput): Run {
  const { spec, plan } = input.fixed ?? fixPlan(input.spec);
  return {
    id: wf.workflowInfo().workflowId,
    spec,
    plan,
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
    ...(state.promotion && { promotion: promotionStatus(run) }),
    findings: [
      ...state.findings.preflight,
      ...(state.findings.provisioning ?? []),
      ...(state.findings.gitops ?? []),
      ...(state.findings.stateful ?? []),
      ...state.findings.validation,
      ...(state.findings.targets ?? []),
      ...(state.findings.decommission ?? []),
    ],
    timers: state.timers,
    health: state.health,
    greenCreatedByMigration: state.greenCreated,
    blueDeleted: state.blueDeleted,
    ...(state.stateful && { stateful: state.stateful }),
    startedBy: run.startedBy,
    ...(run.spec.team && { team: run.spec.team }),
    audit: state.audit.slice(-AUDIT_IN_STATUS),
    error: state.error,
    attention: state.attention,
    retrying: state.retrying,
    decommission: decommissionStatus(run),
    waiting: state.waiting,
    plan,
    ...(state.freeze && { freeze: state.freeze }),
    ...(state.lastDelay && { lastDelay: { ...state.lastDelay, keepBlue: keepBlueCommand(run.id) } }),
    bake: state.bake && { ...state.bake, endsAt: [state.bake.minimumEndsAt, ...state.bake.windows.map((w) => w.to)].reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) },
  };
}

/** What a gate's policy knows of this migration when it judges who may decide `gate`. */
export const gateContext = (run: Run, gate: string, approvals: GateVote[]): GateContext => ({
  gate,
  startedBy: run.startedBy,
  approvedBefore: run.state.approvedBy ?? {},
  approvedNow: approvals.map((a) => a.actor),
});

/** A promote asked for: its approvals, and who may still approve while it is not met. */
function promotionStatus(run: Run): MigrationStatus['promotion'] {
  const promotion = run.state.promotion;
  if (!promotion) return undefined;
  return { ...promotion, ...(!promotion.met && { mayApprove: mayStillApprove(run.spec.approvals.policies.promote, gateContext(run, 'promote', promotion.approvals)) }) };
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
      status: progress.done.includes(step) ? 'done' : progress.skipped?.includes(step) ? 'skipped' : step === progress.current ? (held ? 'failed' : 'running') : 'pending',
    })),
    ...(progress.drain && { drain: progress.drain }),
    ...(progress.protection?.protected && { keptBecause: progress.protection.reason }),
  };
}

/** The workflow's clock (deterministic), as an ISO time. */
export const now = () => new Date().toISOString();

/** The message of an audit entry's log line: a SIEM collects the worker's lines with this `msg`. */
export const AUDIT_LOG_MESSAGE = 'audit';

/**
 * Records an entry in the run's audit (the state carries it whole across continue-as-new) and
 * writes it as one JSON log line (migration, actor, action, reason, details) through the
 * workflow logger, which is silent while the worker replays history: each entry is logged once.
 */
export function audit(run: Run, actor: Actor, action: string, reason: string, detail?: Record<string, unknown>): void {
  const entry = { at: now(), actor, action, reason, ...(detail ? { detail } : {}) };
  run.state.audit.push(entry);
  wf.log.info(AUDIT_LOG_MESSAGE, { audit: true, migration: run.id, at: entry.at, actor, action, reason, ...(detail ? { details: detail } : {}), ...(run.spec.team && { team: run.spec.team }) });
}

export const isTerminal = (state: RunState) => TERMINAL_PHASES.includes(state.phase);

/** Held (needs-attention) after a failure before any weight moved: blue carries everything, nothing to roll back. */
export const heldBeforeTraffic = (state: RunState) =>
  state.phase === 'needs-attention' && !!state.attention && BEFORE_TRAFFIC.includes(state.attention.phase) && state.weights.green === 0;

/**
 * A failure no retry fixes. Thrown by a validator it refuses the Update; thrown by a phase it
 * holds the migration (needs-attention) with this message, which says what to check.
 */
export function nonRetryable(type: string, message: string): wf.ApplicationFailure {
  return wf.ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** A wait that ended without what it waited for (decommission's drain and load balancers, a step's observed share). */
export interface NotWithin {
  type: 'BlueNotDrained' | 'LoadBalancersRemain' | 'ShareNotObserved';
  /** What did not happen in time, and what is therefore not done. */
  expected: string;
  /** What was seen last. */
  seen: string;
  /** What a person looks at before going on. */
  check: string;
  /** Traffic is split: a rollback is a way on too. */
  orRollBack?: boolean;
}

/** Holds the migration (needs-attention) after such a wait, saying what was seen; a retry waits again. */
export function heldAfterWait(w: NotWithin): never {
  throw nonRetryable(w.type, `${w.expected}: ${w.seen}. ${w.check}, then retry${w.orRollBack ? ' or roll back' : ''}`);
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
  state.stepBack = undefined; // everything goes back to blue: a step-back asked for is moot
}

/**
 * A failure that leaves nothing to undo (provisioning that made nothing): in runs before
 * failures held (`failuresHold`), the run ends `failed` with `failure`; now it is held.
 */
export class NothingToUndo extends Error {
  constructor(readonly failure: unknown) {
    super('a failure that left nothing to undo');
  }
}

/** The next phase of the plan: the phase at hand went well. */
export const onward = (run: Run): Phase => phaseAfter(run.plan, run.state.phase);

/** The contexts the run's spec names, for the activities that reach blue and green (inputs.ts). */
export const kubeContexts = (run: Run) => kubeContextsOf(run.spec);
