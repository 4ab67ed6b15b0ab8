// The engine: runs the phase a migration is in (the table below) and enters the one that
// follows; a failure no retry fixes holds the migration for a person (`hold`). What each phase
// does is told in forward.ts (preflight to frozen), decommission.ts and choices.ts; interrupts.ts
// carries out a rollback or cancel. A phase waits only through waits.ts, so a rollback or cancel
// interrupts it anywhere.
import * as wf from '@temporalio/workflow';
import { SYSTEM_ACTOR, TERMINAL_PHASES, WATCHED_PHASES, type Attention, type Phase, type TerminalPhase } from '../model.js';
import { notify, readback } from './activities.js';
import { needsAttention, rolledBack } from './choices.js';
import { awaitingDecommission, decommissioning } from './decommission.js';
import { describeFailure } from '../failures.js';
import { adoptServedWeights, trafficInput, withHealthWatcher } from './effects.js';
import { awaitingCutover, baking, bootstrapping, frozen, preflight, provisioning, shifting, validating } from './forward.js';
import { audit, enter, isTerminal, NothingToUndo, now } from './state.js';
import type { PhaseStep, Run } from './types.js';
import { boundary, Interrupted } from './waits.js';

/**
 * What each phase does; each returns the phase that follows it (`onward`: the plan's next).
 * Every phase a run can be in has its entry: a phase added to the model without one is a compile error.
 */
const PHASES: Record<Exclude<Phase, TerminalPhase>, PhaseStep> = {
  preflight, //                                 blue against the target version; a blocking finding waits for an override
  provisioning, //                              green created (or adopted) and ACTIVE
  bootstrapping, //                             GitOps registers green and syncs its apps
  validating, //                                smoke tests, drift audit, readiness; a failure rolls back
  'awaiting-cutover': awaitingCutover, //       gate cutover
  shifting, //                                  weights step by step, each applied, then observed
  baking, //                                    green carries everything for the bake
  frozen, //                                    blue idle but ready for the freeze, its auto-sync paused
  'awaiting-decommission': awaitingDecommission, // gate decommission
  decommissioning, //                           blue's routing removed, blue deregistered and deleted
  'needs-attention': needsAttention, //         held after a failure no retry fixes: rollback, retry, abort or cancel
  'rolled-back': rolledBack, //                 waits for retry (back to validating) or abort
};

/**
 * Runs the current phase and enters the one that follows it. A failure no retry fixes, even a
 * bug in the phase's own code, holds the migration in needs-attention (`hold`), unless
 * nothing was changed yet (preflight, or provisioning that made nothing).
 */
export async function runPhase(run: Run): Promise<void> {
  await boundary(run);
  const phase = run.state.phase;
  if (isTerminal(run.state)) throw new Error(`phase ${phase} is terminal: nothing to run`);
  const step = PHASES[phase as Exclude<Phase, TerminalPhase>];
  let next: Phase = phase;
  const work = async () => {
    next = await step(run);
    // A pause holds before the next phase begins (its label and timers included), with
    // the health watcher of the current phase still on duty.
    if (!TERMINAL_PHASES.includes(next) && next !== 'rolled-back') await boundary(run);
  };
  try {
    await (WATCHED_PHASES.includes(phase) ? withHealthWatcher(run, work) : work());
  } catch (err) {
    if (err instanceof Interrupted || wf.isCancellation(err)) throw err;
    // Before it, a failure with nothing to undo ended the run failed; now a person fixes the
    // cause (credentials, a name) and retries, or aborts or cancels.
    const nothingToUndo = err instanceof NothingToUndo || phase === 'preflight';
    if (nothingToUndo && !run.state.failuresHold) throw err;
    return hold(run, phase, err instanceof NothingToUndo ? err.failure : err);
  }
  enter(run, next);
  if (next === 'completed') await notify(run, 'completed', `${run.id}: completed`);
}

/**
 * Holds the migration for a person: the error, where it happened, and what the routing serves
 * now, read live (the state may be behind a change that failed). Uses nothing of the phase
 * that failed, so a rollback from here works whatever went wrong there.
 */
export async function hold(run: Run, phase: Phase, err: unknown): Promise<void> {
  const { state } = run;
  const error = describeFailure(err);
  const attention: Attention = { error, phase, at: now() };
  if (phase === 'shifting' && state.currentStep > 0) attention.step = state.currentStep;
  try {
    const live = await readback.readWeights(trafficInput(run));
    attention.liveWeights = live;
    adoptServedWeights(run, live);
  } catch (readErr) {
    if (wf.isCancellation(readErr)) throw readErr;
    attention.weightsUnknown = `routing could not be read: ${describeFailure(readErr)}`;
  }
  state.attention = attention;
  state.error = error;
  state.retrying = undefined;
  const where = `${phase}${attention.step ? ` step ${attention.step}` : ''}`;
  audit(run, SYSTEM_ACTOR, 'hold', `${where} failed: ${error}`, attention.weightsUnknown ? { weightsUnknown: attention.weightsUnknown } : { liveWeights: attention.liveWeights });
  enter(run, 'needs-attention');
  const serving = attention.weightsUnknown ?? `routing serves ${(attention.liveWeights ?? []).map((w) => `blue ${w.blue} green ${w.green}`).join(', ')}`;
  await notify(run, 'needs-attention', `${run.id}: needs attention: ${where} failed: ${error}; ${serving}`);
}
