// Waiting inside an activity: a check polled until it passes, or an AWS SDK waiter, with
// heartbeats meanwhile, so Temporal notices a lost worker within the heartbeat timeout and
// a cancel reaches the wait. Outside an activity (a script, a direct call) the same code
// simply waits.
import { setTimeout as sleepOutside } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { durationMs, type Duration } from '../workflows/duration.js';

/** How often each kind of wait looks again. */
export const POLL_INTERVAL = {
  /** New weights being served: every step and rollback waits on it, so look often. */
  traffic: '500ms',
  /** EKS clusters, node groups and add-ons take minutes to change state. */
  eks: '2s',
  /** GitOps converging on green (a spec may ask for another interval). */
  gitops: '5s',
} as const satisfies Record<string, Duration>;

/** A wait longer than this heartbeats in between too, so a cancel never waits a whole interval. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Failure types of a wait that ends without what it waited for. */
export const WAIT_FAILURE = {
  /** Not reached in time; a retry waits again. */
  timedOut: 'WaitTimedOut',
  /** What was awaited can no longer happen (a cluster FAILED instead of ACTIVE). */
  failed: 'WaitFailed',
} as const;

/** The running activity's context, or undefined outside an activity. */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats when running as an activity; a no-op elsewhere (nobody to tell). */
export function pulse(details: unknown): void {
  activityContext()?.heartbeat(details);
}

/** Sleeps `ms`, heartbeating `details` at least every few seconds; rejects once the activity is cancelled. */
async function waitHeartbeating(ms: number, details: unknown): Promise<void> {
  const context = activityContext();
  if (!context) return sleepOutside(ms);
  for (let waited = 0; waited < ms; waited += HEARTBEAT_EVERY_MS) {
    await context.sleep(Math.min(HEARTBEAT_EVERY_MS, ms - waited));
    context.heartbeat(details);
  }
}

export interface PollOptions {
  /** What is awaited, for heartbeats and failures: "cluster x ACTIVE". */
  describe: string;
  interval: Duration;
  /** Give up after this long; without it (and `deadline`), the activity's own timeouts bound the wait. */
  timeout?: Duration;
  /** When to give up, as epoch ms, for a caller that keeps it across attempts (instead of `timeout`). */
  deadline?: number;
}

/** What a check learns about its round, and may add to the heartbeat. */
export interface PollRound {
  /** Checks made before this one. */
  polls: number;
  /** The deadline has passed: the last check. What it returns is the result; nothing means WaitTimedOut. */
  last: boolean;
  /** Set by the check: what it still waits for, sent with the heartbeats until the next check. */
  progress?: Record<string, unknown>;
}

/**
 * Calls `check` at once and then every `interval` until it returns a value (anything but
 * undefined or false), heartbeating after each check and while waiting. A cancelled activity
 * stops waiting with Temporal's CancelledFailure.
 */
export async function pollUntil<T>(check: (round: PollRound) => Promise<T | undefined | false>, opts: PollOptions): Promise<T> {
  const interval = durationMs(opts.interval);
  const deadline = opts.deadline ?? (opts.timeout === undefined ? undefined : Date.now() + durationMs(opts.timeout));
  for (let polls = 0; ; polls++) {
    const round: PollRound = { polls, last: deadline !== undefined && Date.now() >= deadline };
    const value = await check(round);
    const details = { waitingFor: opts.describe, polls, ...(deadline === undefined ? {} : { deadline }), ...round.progress };
    pulse(details);
    if (value !== undefined && value !== false) return value;
    if (round.last) throw timedOut(`${opts.describe}: not reached ${opts.timeout === undefined ? `by ${new Date(deadline!).toISOString()}` : `within ${opts.timeout}`}`);
    await waitHeartbeating(interval, details);
  }
}

/** One reading of a wait until within: what was read (absent values left out), and why it is not within. */
export interface WithinReading<R> {
  reading: R;
  /** Undefined when the reading is within. */
  reason?: string;
}

export interface WithinOptions<R> {
  /** What is awaited, for heartbeats and failures. */
  describe: string;
  interval: Duration;
  /** When to answer anyway (epoch ms, the workflow's): with the last reading and why it is not within. */
  deadline: number;
  /** How long the readings must stay within, every one of them; without it, one reading within is enough. */
  holdFor?: Duration;
  /** Why not within at the deadline when the readings were, but not for all of holdFor (since: ISO). */
  heldTooShort?: (since: string) => string;
  /** What the heartbeat shows of a reading taken `at`; `since`: when the readings became within, with holdFor. */
  progress: (reading: WithinReading<R>, since: string | undefined, at: string) => Record<string, unknown>;
}

/** The end of a wait until within: the last reading, when it was taken, and why it is not within. */
export type WithinResult<R> = R & { within: boolean; at: string; reason?: string };

/**
 * Reads until the readings are within (for all of `holdFor`), heartbeating, or answers at the
 * deadline with the last reading and why it is not: the workflow decides then, so running out
 * of time is an answer, not a failure. A retry starts over, which only waits longer.
 */
export async function pollUntilWithin<R extends object>(read: () => Promise<WithinReading<R>>, opts: WithinOptions<R>): Promise<WithinResult<R>> {
  const holdMs = opts.holdFor === undefined ? 0 : durationMs(opts.holdFor);
  let since: number | undefined;
  return pollUntil(
    async (round): Promise<WithinResult<R> | undefined> => {
      const at = Date.now();
      const reading = await read();
      since = reading.reason === undefined ? (since ?? at) : undefined;
      const sinceIso = since === undefined ? undefined : new Date(since).toISOString();
      const last = { ...reading.reading, at: new Date(at).toISOString() };
      round.progress = opts.progress(reading, opts.holdFor === undefined ? undefined : sinceIso, last.at);
      if (since !== undefined && at - since >= holdMs) return { within: true, ...last };
      if (!round.last) return undefined;
      return { within: false, ...last, reason: reading.reason ?? opts.heldTooShort?.(sinceIso!) ?? `within since ${sinceIso}, less than ${opts.holdFor}` };
    },
    { describe: opts.describe, interval: opts.interval, deadline: opts.deadline },
  );
}

/** The options every AWS SDK waiter takes (delays and wait time in seconds). */
export interface WaiterParams {
  minDelay: number;
  maxDelay: number;
  maxWaitTime: number;
  abortSignal?: AbortSignal;
}

/** An AWS SDK waiter with its client and input bound: `(params) => waitUntilX({ client, ...params }, input)`. */
export type Waiter = (params: WaiterParams) => Promise<unknown>;

/** A waiter's maxWaitTime when the caller sets none: the activity's own timeouts end the wait first. */
const UNBOUNDED_WAIT_S = 7 * 24 * 3600;

/**
 * Runs an AWS SDK waiter (`waitUntilClusterActive`, …) the way pollUntil polls: first look at
 * once, then every `interval` (with `maxInterval`, backing off towards it, with jitter), heartbeating meanwhile and stopping on cancel. A
 * waiter that reaches a failure state fails for good; one out of time fails retryably, naming
 * what AWS answered meanwhile (a waiter retries errors such as AccessDenied silently).
 */
export async function runWaiter(waiter: Waiter, opts: Omit<PollOptions, 'deadline'> & { maxInterval?: Duration }): Promise<void> {
  const context = activityContext();
  const intervalMs = durationMs(opts.interval);
  const details = { waitingFor: opts.describe };
  const beat = context && setInterval(() => context.heartbeat(details), Math.min(intervalMs, HEARTBEAT_EVERY_MS));
  try {
    context?.heartbeat(details);
    await waiter({
      minDelay: intervalMs / 1000,
      maxDelay: durationMs(opts.maxInterval ?? opts.interval) / 1000,
      maxWaitTime: opts.timeout === undefined ? UNBOUNDED_WAIT_S : durationMs(opts.timeout) / 1000,
      abortSignal: context?.cancellationSignal,
    });
  } catch (err) {
    if (context?.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    const outcome = waiterOutcome(err);
    if ((err as Error).name === 'TimeoutError') throw timedOut(`${opts.describe}: not reached within ${opts.timeout ?? `${UNBOUNDED_WAIT_S} s`}${outcome}`);
    throw ApplicationFailure.create({ type: WAIT_FAILURE.failed, nonRetryable: true, message: `${opts.describe}: will not happen${outcome}` });
  } finally {
    clearInterval(beat);
  }
}

function timedOut(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WAIT_FAILURE.timedOut, nonRetryable: false, message });
}

/**
 * What a waiter's error says it saw: the status of the resource it stopped on, or the answers
 * it got meanwhile. The SDK puts its result into the error message as JSON.
 */
function waiterOutcome(err: unknown): string {
  let result: { reason?: unknown; observedResponses?: Record<string, number> };
  try {
    result = JSON.parse((err as Error).message);
  } catch {
    return `: ${(err as Error).message}`;
  }
  const reason = typeof result.reason === 'object' && result.reason ? result.reason : {};
  const resource = Object.values(reason).find((v): v is { status: string } => typeof (v as { status?: unknown })?.status === 'string');
  if (resource) return ` (status ${resource.status})`;
  const answers = Object.entries(result.observedResponses ?? {}).map(([answer, times]) => `${answer} (×${times})`);
  return answers.length ? `; AWS answered ${answers.join(', ')}` : '';
}
