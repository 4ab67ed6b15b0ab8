// Tells the migration's notification channel, once, that one of its activities keeps failing:
// an activity that retries without end (AWS out of reach, wrong credentials) would otherwise
// only show in the status. Worker-side, so the workflow's commands stay as they are; the
// channel's name comes with the activity as a header (workflows/interceptors.ts).
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import type { NotifyInput } from '../activities/contract.js';
import { RETRYING_NOTIFY_AT } from '../workflows/failures.js';
import { NOTIFY_CHANNEL_HEADER } from '../workflows/interceptors.js';


/** Not reported: a notification that fails does not notify about itself, and the health watcher's retries show in its readings. */
const UNREPORTED = new Set(['notify', 'watchHealth']);

/** Whether Temporal retries the activity after this failure (its retry policy, as the worker received it). */
function willRetry(err: unknown, info: Context['info']): boolean {
  if (err instanceof CancelledFailure) return false;
  if (err instanceof ApplicationFailure && err.nonRetryable) return false;
  const type = err instanceof ApplicationFailure ? err.type : (err as Error | undefined)?.name;
  const policy = info.retryPolicy;
  if (type && policy?.nonRetryableErrorTypes?.includes(type)) return false;
  return !policy?.maximumAttempts || info.attempt < policy.maximumAttempts;
}

export function retryingNotice(ctx: Context, notify: (input: NotifyInput) => Promise<void>): ActivityInboundCallsInterceptor {
  return {
    async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
      try {
        return await next(input);
      } catch (err) {
        const { info } = ctx;
        const migrationId = info.workflowExecution?.workflowId;
        if (migrationId && info.attempt === RETRYING_NOTIFY_AT && !UNREPORTED.has(info.activityType) && willRetry(err, info)) {
          const header = input.headers[NOTIFY_CHANNEL_HEADER];
          const channel = header ? defaultPayloadConverter.fromPayload<string>(header) : undefined;
          const since = new Date(info.scheduledTimestampMs).toISOString();
          const text = `${migrationId}: ${info.activityType} keeps failing: attempt ${info.attempt} since ${since}, retrying; last error: ${(err as Error)?.message ?? String(err)}`;
          // Never changes the activity's outcome: a webhook that fails is logged, the failure goes on to Temporal.
          await notify({ migrationId, event: 'retrying', text, channel }).catch((notifyErr: unknown) =>
            ctx.log.warn('could not tell the channel that an activity keeps failing', { activity: info.activityType, error: String(notifyErr) }),
          );
        }
        throw err;
      }
    },
  };
}
