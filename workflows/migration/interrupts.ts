// A rollback or cancel, carried out once it interrupted the phase at hand (waits.ts throws
// `Interrupted`). A rollback puts traffic back on blue and keeps the migration; a cancel also
// runs every undo entry (saga.ts) and ends it.
import * as wf from '@temporalio/workflow';
import type { Actor } from '../model.js';
import { notify } from './activities.js';
import { rollBack, shift } from './effects.js';
import { compensate, undo, undoCarryOver } from './saga.js';
import { audit, enter, heldBeforeTraffic } from './state.js';
import { countRollback } from './story.js';
import type { Run, StepBack } from './types.js';

/** Carries out the rollback, cancel or step-back that interrupted a phase. */
export async function onInterrupt(run: Run): Promise<void> {
  const { state } = run;
  if (!state.interrupt && state.stepBack) return stepBack(run, state.stepBack);
  // The interrupt stays set while it is handled, so validators see a rollback or cancel in
  // progress; once handled it is cleared unless a cancel replaced it meanwhile.
  const handling = state.interrupt!;
  if (handling.kind === 'cancel') return cancel(run, handling.actor, handling.reason);
  await rollBack(run, handling.actor, handling.reason);
  // What was asked of the steps undone goes with them: a retry starts the steps afresh.
  state.promotion = undefined;
  state.gateAfterStepBack = undefined;
  // Phase first, then answer waiting rollback requests: a retry sent right after a
  // `rollback?wait=true` must find the migration rolled back.
  enter(run, 'rolled-back');
  countRollback(handling.actor);
  state.rollbacksDone++;
  if (state.interrupt === handling) state.interrupt = undefined;
  // Blue serves again: its GitOps must keep it current again.
  await undo(run, 'resume-blue-auto-sync', handling.actor, `rollback: ${handling.reason}`);
  // Blue's stateful workloads back, green's copies of their volumes gone (nothing without spec.stateful).
  await undoCarryOver(run, handling.actor, `rollback: ${handling.reason}`);
  await notify(run, 'rollback', `${run.id}: traffic back on blue (${handling.reason}, by ${handling.actor})`);
}

/** Traffic back on blue before anything else, then every compensation; the migration ends cancelled. */
export async function cancel(run: Run, actor: Actor, reason: string): Promise<void> {
  const { state } = run;
  await wf.CancellationScope.nonCancellable(async () => {
    // A held migration may serve green without the state knowing: blue's weights are written
    // regardless, unless it was held before any weight moved (the routing may be out of reach).
    const mayServeGreen = state.phase === 'needs-attention' && !(heldBeforeTraffic(state) && state.failuresHold);
    if (state.weights.green > 0 || mayServeGreen) await rollBack(run, actor, `cancel: ${reason}`);
    state.rollbacksDone++;
    await compensate(run, actor, `cancel: ${reason}`);
    audit(run, actor, 'cancel', reason);
    enter(run, 'cancelled');
    await notify(run, 'cancelled', `${run.id}: cancelled by ${actor}: ${reason}`);
  });
}

/**
 * Green back to an earlier step's weight, written like a rollback (never abandoned halfway);
 * the migration then waits at the next step's gate (an auto step too) with the reason shown.
 * Leaving the bake ends it: it starts again once green is back at 100 %.
 */
async function stepBack(run: Run, asked: StepBack): Promise<void> {
  const { state, plan } = run;
  const { toStep, actor, reason } = asked;
  const step = plan.steps[toStep - 1];
  const from = state.weights.green;
  await shift(run, step.weights, actor, `step-back to step ${toStep}/${plan.steps.length}: green ${step.weights.green}% (${reason})`, false);
  state.currentStep = toStep;
  state.stepsDone = toStep;
  state.greenFullSince = undefined;
  state.bake = undefined;
  state.timers = [];
  state.promotion = undefined;
  const why = `stepped back from green ${from}% to ${step.weights.green}% by ${actor}: ${reason}`;
  state.gateAfterStepBack = { step: toStep + 1, reason: why };
  if (state.stepBack === asked) state.stepBack = undefined;
  audit(run, actor, 'step-back', reason, { from, to: step.weights.green, step: toStep });
  if (state.phase !== 'shifting') enter(run, 'shifting');
  await notify(run, 'step-back', `${run.id}: ${why}; it waits at gate step-${toStep + 1}`);
}
