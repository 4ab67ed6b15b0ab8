// Where a migration waits for a person's choice: held (needs-attention) after a failure, or
// rolled back. Retry goes back (to the failed phase, or to validating after a rollback); abort
// ends the migration with traffic on blue and what was made left as made.
import * as wf from '@temporalio/workflow';
import type { Phase } from '../model.js';
import { PATCHES } from './patches.js';
import { undo } from './saga.js';
import { audit } from './state.js';
import type { AfterRollback, Run } from './types.js';
import { waitFor } from './waits.js';

/**
 * Waits for a person's retry or abort. The choice stays on record, taken, until the next phase
 * begins (enter clears it): while a pause holds that phase back, another choice is refused
 * rather than left to act on the next hold or rollback.
 */
async function takeChoice(run: Run): Promise<AfterRollback> {
  const { state } = run;
  await waitFor(run, () => !!state.afterRollback);
  const chosen = state.afterRollback!;
  state.afterRollback = wf.patched(PATCHES.choiceKeptUntilNextPhase) ? { ...chosen, taken: true } : undefined;
  return chosen;
}

/** Waits for a person: retry re-enters the failed phase (shifting at its failed step); abort leaves what was made. A rollback or cancel interrupts. */
export async function needsAttention(run: Run): Promise<Phase> {
  const { state } = run;
  const { choice, actor } = await takeChoice(run);
  const failed = state.attention!;
  if (choice === 'retry') {
    audit(run, actor, 'retry', `back to ${failed.phase}${failed.step ? ` at step ${failed.step}` : ''} after: ${failed.error}`);
    state.error = undefined;
    return failed.phase;
  }
  // Blue serves on: its GitOps must keep it current again (the rest stays as made).
  await undo(run, 'resume-blue-auto-sync', actor, 'abort: blue serves on');
  await undo(run, 'restore-blue-workloads', actor, 'abort: blue serves on');
  audit(run, actor, 'abort', `migration abandoned, traffic stays on blue; ${leftAsMade(run)}`);
  return 'aborted';
}

/** What an abort leaves behind (a cancel would undo it). */
export function leftAsMade(run: Run): string {
  const { state, spec } = run;
  const made = [
    ...(state.greenCreated ? [`green ${spec.green.cluster} (created by this migration)`] : []),
    ...(state.compensations.some((c) => c.kind === 'deregister-green') ? [`green's Argo CD registration`] : []),
    ...(state.compensations.some((c) => c.kind === 'delete-green-copies') ? [`green's copies of blue's volumes (snapshots, volumes, claims tagged cutover.io/migration)`] : []),
  ];
  return made.length ? `left as made (a cancel would undo it): ${made.join(', ')}` : 'nothing was made';
}

export async function rolledBack(run: Run): Promise<Phase> {
  const { state } = run;
  const { choice, actor } = await takeChoice(run);
  audit(run, actor, choice, choice === 'retry' ? 'back to validating' : 'migration abandoned, traffic stays on blue');
  if (choice === 'abort') {
    await undo(run, 'restore-blue-workloads', actor, 'abort: blue serves on');
    return 'aborted';
  }
  state.stepsDone = 0;
  state.timers = [];
  state.error = undefined;
  return 'validating'; // green stays as it is: validated again, then a new cutover approval
}
