// What each message does to a run, and when it is refused. A validator refuses a request that
// does not apply now before anything is written to history; the handler only records the
// request, and the main loop acts on it.
import * as wf from '@temporalio/workflow';
import { REJECTION, type ActorRequest, type RollbackRequest, type StepBackRequest } from '../messages.js';
import { ROLLBACK_PHASES, STEP_BACK_PHASES } from '../model.js';
import { audit, heldBeforeTraffic, isTerminal, nonRetryable, pause, requestRollback } from './state.js';
import type { AfterRollback, Run } from './types.js';

function refuse(message: string, type: string = REJECTION.notApplicable): never {
  throw nonRetryable(type, message);
}

/** Asks for a rollback; with `wait`, answers once blue carries everything again. */
export async function rollback({ state }: Run, req: RollbackRequest) {
  const done = state.rollbacksDone;
  const held = state.attention;
  requestRollback(state, req.actor, req.reason);
  // Answers too when the rollback itself failed and the migration is held (again) for it.
  if (req.wait) await wf.condition(() => state.rollbacksDone > done || isTerminal(state) || (!!state.attention && state.attention !== held));
  return { accepted: true as const, weights: req.wait ? state.weights : undefined };
}
/** Once blue's routing removal was asked for, traffic cannot go back: finishing is the way on. */
function refuseOnceBlueRetiring(state: Run['state'], what: string): void {
  if (state.blueRetiring) refuse(`cannot ${what}: blue's retirement began (its routing is removed or being removed), so traffic cannot go back to blue; retry to finish the decommission`);
}

export function validateRollback({ state }: Run, req: RollbackRequest): void {
  if (!ROLLBACK_PHASES.includes(state.phase)) refuse(`nothing to roll back in phase ${state.phase}`);
  // Blue's workloads scaled to zero for the carry-over (spec.stateful) are something to roll back: blue serves again with them.
  const carried = state.compensations.some((c) => c.kind === 'restore-blue-workloads' || c.kind === 'delete-green-copies');
  if (heldBeforeTraffic(state) && !carried) refuse(`nothing to roll back: held in ${state.attention!.phase}, before any traffic moved; retry, abort or cancel`);
  refuseOnceBlueRetiring(state, 'roll back');
  if (state.interrupt?.kind === 'cancel') refuse('the migration is being cancelled');
  if (!req.reason?.trim()) refuse('a rollback needs a reason');
}

export function pauseRun(run: Run, req: ActorRequest): void {
  pause(run, req.actor, req.reason ?? 'paused');
}
export function validatePause({ state }: Run): void {
  if (state.paused || isTerminal(state)) refuse(`cannot pause: phase ${state.phase}${state.paused ? ', already paused' : ''}`);
}

export function resume(run: Run, req: ActorRequest): void {
  run.state.paused = false;
  audit(run, req.actor, 'resume', req.reason ?? 'resumed');
}
export function validateResume({ state }: Run): void {
  if (!state.paused) refuse(`cannot resume: not paused (phase ${state.phase})`);
}

/** Retry or abort: the choice a rolled-back or held (needs-attention) migration waits for. */
export function choose({ state }: Run, choice: AfterRollback['choice'], req: ActorRequest): void {
  state.afterRollback = { choice, actor: req.actor };
}
export function validateChoice({ state }: Run, choice: AfterRollback['choice']): void {
  const chosen = state.afterRollback;
  if (chosen) refuse(`${chosen.choice} was already chosen by ${chosen.actor}${state.paused ? '; the migration is paused: resume it to go on' : ''}`);
  if (state.interrupt || (state.phase !== 'rolled-back' && state.phase !== 'needs-attention')) {
    refuse(`only a rolled-back or held (needs-attention) migration can do that (phase ${state.phase})`);
  }
  if (state.phase === 'needs-attention' && choice === 'abort') {
    const attention = state.attention;
    const onBlue = heldBeforeTraffic(state) || (!!attention?.liveWeights?.length && attention.liveWeights.every((w) => w.green === 0));
    if (!onBlue) refuse(`green may carry traffic (${attention?.weightsUnknown ?? 'routing read as not all on blue'}): roll back first, or cancel`);
  }
}

/** Keeps blue: the last delay before its deletion ends, and the migration goes back to the decommission gate. */
export function keepBlue({ state }: Run, req: ActorRequest): void {
  state.keepBlue = { actor: req.actor, reason: req.reason?.trim() || 'blue kept' };
}
export function validateKeepBlue({ state }: Run): void {
  if (!state.lastDelay) refuse(`no last delay before blue's deletion is running (phase ${state.phase}): keep-blue applies only between the decommission gate's approval and the delay's end`);
  if (state.keepBlue) refuse(`blue is already being kept (by ${state.keepBlue.actor})`);
  if (state.interrupt) refuse(`a ${state.interrupt.kind} is under way`);
}

export function cancel({ state }: Run, req: ActorRequest): void {
  state.interrupt = { kind: 'cancel', actor: req.actor, reason: req.reason ?? 'cancelled' };
  state.stepBack = undefined;
}
export function validateCancel({ state }: Run): void {
  if (isTerminal(state) || state.phase === 'decommissioning' || state.interrupt?.kind === 'cancel') refuse(`cannot cancel in phase ${state.phase}`);
  refuseOnceBlueRetiring(state, 'cancel');
}

/** The plan's step a step-back goes to: the one whose green weight is asked for, else the one before the current step. */
function stepBackTarget(run: Run, req: StepBackRequest): number {
  const { plan, state } = run;
  const weights = plan.steps.map((s) => s.weights.green);
  if (req.weight !== undefined) {
    const index = weights.indexOf(req.weight);
    if (index < 0) refuse(`weight ${req.weight} is not a step of this migration's plan (green ${weights.join(', ')}); step back to one of them`, REJECTION.invalid);
    return index + 1;
  }
  const current = weights.indexOf(state.weights.green);
  return current < 0 ? 0 : current; // the step before the one green is at (0: none)
}

export function validateStepBack(run: Run, req: StepBackRequest): void {
  const { state } = run;
  if (!state.governance) refuse('this migration began before step-back existed: roll back instead');
  if (!STEP_BACK_PHASES.includes(state.phase)) refuse(`cannot step back in phase ${state.phase}: only while shifting or baking`);
  if (state.interrupt) refuse(`a ${state.interrupt.kind} is under way`);
  if (state.stepBack) refuse(`a step-back to step ${state.stepBack.toStep} is under way`);
  if (!req.reason?.trim()) refuse('a step-back needs a reason');
  const toStep = stepBackTarget(run, req);
  if (toStep === 0) refuse(`green is at its first step (${state.weights.green} %): there is no earlier step; roll back to put everything on blue`);
  const weight = run.plan.steps[toStep - 1].weights.green;
  if (weight >= state.weights.green) refuse(`green carries ${state.weights.green} % now: a step-back goes to a lower weight than that, not ${weight} %`);
}

/** Asks for the step-back; the main loop carries it out (interrupts.ts) at once. */
export function stepBack(run: Run, req: StepBackRequest): { step: number; greenWeight: number } {
  const toStep = stepBackTarget(run, req);
  run.state.stepBack = { toStep, actor: req.actor, reason: req.reason };
  return { step: toStep, greenWeight: run.plan.steps[toStep - 1].weights.green };
}
