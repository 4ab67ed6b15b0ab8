// The activities the workflow calls, in a few option presets: one place for timeouts and
// retries. Only the type of the activities is imported: their code runs in the worker.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { durationMs } from '../duration.js';
import { NON_RETRYABLE_FAILURES as NON_RETRYABLE } from '../failures.js';
import type { Run } from './types.js';

/** Reads and checks that answer within a minute. */
export const quick = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Changes to the cloud. */
export const cloudMutation = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // Short first retry: a rollback must land in well under a second even after a blip.
  retry: { initialInterval: '100ms', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Undo steps that are reported when they fail, never fatal (a cluster's Argo CD registration
 * removed, blue's auto-sync resumed): a few attempts, then the caller names what was left, so a
 * management cluster out of reach never holds a rollback, a cancel or a decommission.
 */
export const bestEffort = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', maximumInterval: '2s', maximumAttempts: 4, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * A weight change runs as a local activity: in the worker, within the workflow task that
 * decided it, with no activity task round trip through the server (a rollback lands sooner).
 * Only the change itself (a few calls): a wait for it to apply can take minutes and stays an activity.
 */
export const LOCAL_MUTATION: wf.LocalActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
};
export const localMutation = wf.proxyLocalActivities<Activities>(LOCAL_MUTATION);

/**
 * Reads after something went wrong (what the routing serves, whether green was created): a
 * few attempts, then the workflow says it does not know rather than waiting on.
 */
export const readback = wf.proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * A forward weight change: a few attempts per call, and the workflow loops over calls
 * (effects.ts `shift`), so a change that keeps failing shows in the status between calls and
 * gives up after a bound instead of retrying forever. A rollback's change stays `localMutation`.
 */
export const FORWARD_ATTEMPTS_PER_CALL = 3;
export const LOCAL_FORWARD: wf.LocalActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', maximumInterval: '2s', maximumAttempts: FORWARD_ATTEMPTS_PER_CALL, nonRetryableErrorTypes: NON_RETRYABLE },
};
export const localForward = wf.proxyLocalActivities<Activities>(LOCAL_FORWARD);

/** Waits for the cloud: a cluster to become active or go, a change to apply. */
export const longPoll = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Waits whose activity gives up by itself at `within` and then answers what still waits: GitOps
 * converging on green (syncTimeout), green's observed share of traffic, blue's drain.
 */
export const waitUpTo = (within: string) =>
  wf.proxyActivities<Activities>({
    startToCloseTimeout: durationMs(within) + 10 * 60_000,
    heartbeatTimeout: '1m',
    retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
  });

/** The health watcher heartbeats once per check, so its heartbeat timeout follows the check interval. */
export const healthWatcher = (interval: string) =>
  wf.proxyActivities<Activities>({
    startToCloseTimeout: '3650 days',
    heartbeatTimeout: 2 * durationMs(interval) + 60_000,
    // Settles only once the watcher has stopped, so a continue-as-new never leaves one running.
    // The watcher heartbeats every few seconds (activities/health.ts), so this is quick.
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', maximumInterval: '1m' },
  });

/**
 * Wall-clock windows in time zones (nextPeakWindows): pure computation in the worker, recorded
 * as a local activity's answer, so the workflow never does time-zone arithmetic itself.
 */
export const calendar = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '100ms', maximumInterval: '1s', nonRetryableErrorTypes: NON_RETRYABLE },
});

type NotifyEvent = Parameters<Activities['notify']>[0]['event'];

/**
 * Notifications: a few attempts (seconds apart; the webhook call itself gives up after 10 s),
 * then the run goes on without: a webhook out of
 * reach must never hold a gate, a rollback's end or a cancel's (retry options are not part of
 * what a replay compares, so open runs take this too).
 */
const notifications = wf.proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 4, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Tells people (webhook; the spec's channel unless another is named); a notification that fails is logged and never stops the migration. */
export async function notify(run: Run, event: NotifyEvent, text: string, channel = run.spec.notify?.channel): Promise<void> {
  try {
    await notifications.notify({ migrationId: run.id, event, text, channel });
  } catch (err) {
    wf.log.warn('notification failed', { event, error: String(err) });
  }
}
