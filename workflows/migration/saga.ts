// The undo of every step that created or changed something outside, kept in the run's state
// from the moment the step is taken. Entries are plain JSON descriptors (they survive a
// continue-as-new), newest first. A cancel runs them all; a rollback undoes only what blue
// needs to serve again (its auto-sync).
import { longPoll } from './activities.js';
import { audited, deregisterFromArgo, resumeBlueAutoSync } from './effects.js';
import { deleteGreenCopies, restoreBlueWorkloads } from './stateful.js';
import type { Compensation, Run } from './types.js';
import type { Actor } from '../model.js';

type Kind = Compensation['kind'];

/**
 * Remembers the undo of a step. Called before the step's activity when an interrupt may cut
 * off its answer although the step took effect: every undo is harmless when there is nothing
 * to undo.
 */
export function remember(run: Run, compensation: Compensation): void {
  if (!pending(run, compensation.kind)) run.state.compensations.unshift(compensation);
}

export function pending(run: Run, kind: Kind): boolean {
  return run.state.compensations.some((c) => c.kind === kind);
}

/** Runs one pending undo now, and forgets it. */
export async function undo(run: Run, kind: Kind, actor: Actor, reason: string): Promise<void> {
  const compensation = run.state.compensations.find((c) => c.kind === kind);
  if (!compensation) return;
  await UNDO[kind](run, actor, reason);
  run.state.compensations = run.state.compensations.filter((c) => c !== compensation);
}

/**
 * Blue serves again (a rollback, a failed validation, an abort): its workloads back first, then
 * green's copies of its volumes deleted, so a retry copies blue's data afresh.
 */
export async function undoCarryOver(run: Run, actor: Actor, reason: string): Promise<void> {
  await undo(run, 'restore-blue-workloads', actor, reason);
  await undo(run, 'delete-green-copies', actor, reason);
}

/** Runs every pending undo, newest first (cancel; later, a failure that leaves nothing to retry). */
export async function compensate(run: Run, actor: Actor, reason: string): Promise<void> {
  for (const { kind } of [...run.state.compensations]) await undo(run, kind, actor, reason);
}

const UNDO: Record<Kind, (run: Run, actor: Actor, reason: string) => Promise<void>> = {
  'delete-green': async (run, actor, reason) => {
    const green = run.spec.green.cluster;
    await audited(run, { actor, action: 'delete-cluster', reason, detail: () => ({ cluster: green }) }, () => longPoll.deleteCluster({ region: run.spec.region, cluster: green }));
  },
  'deregister-green': (run, actor, reason) => deregisterFromArgo(run, run.spec.green.cluster, actor, reason),
  'resume-blue-auto-sync': (run, actor, reason) => resumeBlueAutoSync(run, actor, reason),
  'restore-blue-workloads': (run, actor, reason) => restoreBlueWorkloads(run, actor, reason),
  'delete-green-copies': (run, actor, reason) => deleteGreenCopies(run, actor, reason),
};
