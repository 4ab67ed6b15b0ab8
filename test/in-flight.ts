// The activities a run has in flight, as the tests read them: from its history (what the
// server recorded: works with no worker and on the time-skipping test server), or from
// Temporal's describe (each pending activity's attempt and last failure while it retries).
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface UnfinishedActivity {
  type: string;
  activityId: string;
  /** The workflow asked to cancel it; its end (cancelled, or completed after all) is still to be recorded. */
  cancelRequested: boolean;
}

/** Activities scheduled in `events` whose end the server has not recorded yet. */
export function unfinishedActivities(events: HistoryEvent[]): UnfinishedActivity[] {
  const open = new Map<number, UnfinishedActivity>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) open.set(Number(e.eventId), { type: scheduled.activityType?.name ?? '', activityId: scheduled.activityId ?? '', cancelRequested: false });
    const cancelling = e.activityTaskCancelRequestedEventAttributes;
    const activity = cancelling && open.get(Number(cancelling.scheduledEventId));
    if (activity) activity.cancelRequested = true;
    const ended = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (ended) open.delete(Number(ended.scheduledEventId));
  }
  return [...open.values()];
}

export interface PendingActivity {
  type: string;
  /** 1 for the first attempt. */
  attempt: number;
  lastFailure?: string;
}

/** The run's pending activities as Temporal describes them (no worker needed). */
export async function pendingActivities(handle: WorkflowHandle): Promise<PendingActivity[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name ?? '', attempt: a.attempt ?? 0, lastFailure: a.lastFailure?.message ?? undefined }));
}
