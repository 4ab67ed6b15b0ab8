// Every way the workflow waits: for a condition (with a timeout), for an activity that only
// waits, at a pause boundary, on a durable timer, at a gate. Each gives way at once to a
// rollback or cancel by throwing `Interrupted`, which the main loop handles.
import * as wf from '@temporalio/workflow';
import { durationMs, type Duration } from '../duration.js';
import { FAILURE } from '../failures.js';
import { ROLLBACK_PHASES, STEP_BACK_PHASES, type TimerStatus } from '../model.js';
import { bakeMinimum } from '../spec-defaults.js';
import type { MigrationSpec } from '../spec.js';
import { PATCHES } from './patches.js';
import { nonRetryable, now, requestRollback } from './state.js';
import type { Actor } from '../model.js';
import type { Run, RunState } from './types.js';
import { tell, timerSummary } from './story.js';

/** Unwinds the current phase: a rollback or cancel is to be carried out. */
export class Interrupted extends Error {}

/** A cancel always interrupts; a rollback only where green may carry traffic; a step-back while shifting or baking. */
export function interruptPending(state: RunState): boolean {
  if (state.stepBack && STEP_BACK_PHASES.includes(state.phase)) return true;
  return !!state.interrupt && (state.interrupt.kind === 'cancel' || ROLLBACK_PHASES.includes(state.phase));
}

export function throwIfInterrupted(state: RunState): void {
  if (interruptPending(state)) throw new Interrupted();
}

/** Waits for `done` (or `timeout`), but gives way at once to a rollback or cancel. */
export async function waitFor(run: Run, done: () => boolean, timeout?: Duration, summary?: string): Promise<boolean> {
  const { state } = run;
  // No timer for a zero wait (e.g. observe: "0s"): the server would fire it only on its next tick.
  if (timeout !== undefined && durationMs(timeout) === 0) {
    throwIfInterrupted(state);
    return done();
  }
  const met =
    timeout === undefined
      ? (await wf.condition(() => done() || interruptPending(state)), true)
      : await wf.condition(() => done() || interruptPending(state), timeout, { summary });
  throwIfInterrupted(state);
  return met && done();
}

/**
 * Runs an activity that only waits (or a few side by side), cancelling it when a rollback or
 * cancel arrives. Only an interrupt cancels the work: when one of several activities fails, the
 * others run on and are ignored, since cancelling one that has just completed makes the server
 * refuse the workflow task.
 */
export async function interruptible<T>(run: Run, work: () => Promise<T>): Promise<T> {
  const working = new wf.CancellationScope();
  const watching = new wf.CancellationScope();
  try {
    const outcome = await Promise.race([
      working.run(work).then((value) => ({ value })),
      watching.run(() => wf.condition(() => interruptPending(run.state))).then(() => null),
    ]);
    if (outcome === null) {
      working.cancel();
      throw new Interrupted();
    }
    return outcome.value;
  } finally {
    watching.cancel();
  }
}

/** Shows `wait` in the status (and the Temporal UI) while `work` sits it out. */
export async function sittingOut<T>(run: Run, wait: { what: string; seconds?: number }, work: () => Promise<T>): Promise<T> {
  const since = now();
  run.state.waiting = {
    what: wait.what,
    since,
    ...(wait.seconds !== undefined && { seconds: wait.seconds, until: new Date(Date.parse(since) + wait.seconds * 1000).toISOString() }),
  };
  tell(run);
  try {
    return await work();
  } finally {
    run.state.waiting = undefined;
    tell(run);
  }
}

/**
 * A check a forward phase waits on (an activity that may retry for long: AWS or a cluster out
 * of reach). The status names it while it runs (its attempts and last error come from the
 * pending activity), and a cancel, or a rollback where one applies, cancels it at once.
 */
export function checking<T>(run: Run, what: string, work: () => Promise<T>): Promise<T> {
  if (!wf.patched(PATCHES.interruptibleChecks)) return work();
  return sittingOut(run, { what }, () => interruptible(run, work));
}

/** A person rejected going on: the rollback is requested like any other, and carried out at once. */
export function rejected(run: Run, actor: Actor, reason: string): never {
  requestRollback(run.state, actor, reason);
  throw new Interrupted();
}

/** Holds progression while paused; timers already running keep counting. */
export async function boundary(run: Run): Promise<void> {
  throwIfInterrupted(run.state);
  if (run.state.paused) await waitFor(run, () => !run.state.paused);
}

/** The latest time a Date can hold (ECMAScript: 8.64e15 ms after the epoch). */
const LAST_DATE_MS = 8.64e15;

/** A timer of `duration` from now would end after any date the workflow can keep. */
const beyondDates = (duration: Duration) => !(Date.now() + durationMs(duration) <= LAST_DATE_MS);

/** The spec's timers that could never be set (checked at start: a clear failure, not one at 100 %). */
export function timersBeyondDates(spec: Pick<MigrationSpec, 'bake' | 'freeze'>): string[] {
  let total: number;
  const bake = bakeMinimum(spec);
  try {
    total = (bake ? durationMs(bake) : 0) + (spec.freeze ? durationMs(spec.freeze) : 0);
  } catch {
    return []; // not a duration at all: checkSpec names it
  }
  return beyondDates(total) ? [`/bake, /freeze: together ${bake ?? '0'} + ${spec.freeze ?? '0'} end beyond any date a timer can reach`] : [];
}

/** A named timer shown in the status; its fire time is kept in the state, so a continue-as-new resumes it. */
export async function durableTimer(run: Run, name: string, duration: string): Promise<void> {
  const { state } = run;
  let entry = state.timers.find((t) => t.name === name);
  if (!entry) {
    if (beyondDates(duration)) {
      throw nonRetryable(FAILURE.invalidSpec, `${name} of ${duration} ends beyond any date a timer can reach`);
    }
    entry = { name, firesAt: new Date(Date.now() + durationMs(duration)).toISOString() };
    state.timers.push(entry);
  }
  tell(run);
  try {
    const remaining = Date.parse(entry.firesAt) - Date.now();
    if (remaining > 0) await waitFor(run, () => false, remaining, timerSummary(name, entry.firesAt));
  } finally {
    // An interrupted timer is gone too: the status must not show a bake that no longer runs.
    state.timers = state.timers.filter((t) => t !== entry);
    tell(run);
  }
}

/**
 * Shows `entries` among the run's timers and waits until the first of them fires. Their fire
 * times are absolute (kept in the state by the caller), so a replay or restart waits for the same.
 */
export async function untilFirstOf(run: Run, entries: TimerStatus[]): Promise<void> {
  const { state } = run;
  state.timers.push(...entries);
  tell(run);
  try {
    const first = entries.reduce((a, b) => (Date.parse(b.firesAt) < Date.parse(a.firesAt) ? b : a));
    const remaining = Date.parse(first.firesAt) - Date.now();
    if (remaining > 0) await waitFor(run, () => false, remaining, timerSummary(first.name, first.firesAt));
  } finally {
    state.timers = state.timers.filter((t) => !entries.includes(t));
    tell(run);
  }
}
