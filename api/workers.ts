// Whether a worker polls the migrations' task queue, as Temporal's server knows it: what
// /readyz reports, and what the API says when a Query or an Update gets no answer — "no
// worker is polling" and "the worker did not answer in time" need different actions.
import type { Client } from '@temporalio/client';
import { HttpError } from './errors.js';
import { timestampMs } from './timestamps.js';

// temporal.api.enums.v1: TaskQueueKind NORMAL, TaskQueueType WORKFLOW and ACTIVITY.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;

/**
 * The server lists a poller for 5 minutes after its last poll; a live worker polls again at
 * least every minute (a long poll lasts at most 60 s). Older than this, it is gone.
 */
export const POLLER_SEEN_MS = 90_000;
const DESCRIBE_TIMEOUT_MS = 2_000;

export interface Pollers {
  taskQueue: string;
  /** Workers polling for workflow tasks: they answer Queries and accept Updates. */
  workflowPollers: number;
  /** Workers polling for activity tasks: they do the work against AWS and Kubernetes. */
  activityPollers: number;
}

export interface Workers {
  taskQueue: string;
  /** Pollers seen within POLLER_SEEN_MS; throws when Temporal does not answer. */
  pollers(): Promise<Pollers>;
  /**
   * The 503 for a request no worker took up within `waitedMs`, naming the task queue and whether
   * anyone polls it; `askTemporal` false: Temporal already failed to say so for this request, and
   * the answer names Temporal as the silent one without asking it again.
   */
  unanswered(what: string, waitedMs: number, afterwards?: string, askTemporal?: boolean): Promise<HttpError>;
  /** The 503 for a request not sent (or not taken up) because no worker polls. */
  noWorker(what: string, pollers: Pollers, afterwards?: string): HttpError;
  /** The 503 for a Query Temporal refused because it has seen no worker poll lately (errors.ts `noPollerSeen`). */
  notPolled(what: string): HttpError;
}

export function workers(client: Client, taskQueue: string): Workers {
  const count = async (type: number): Promise<number> => {
    const described = await client.withDeadline(Date.now() + DESCRIBE_TIMEOUT_MS, () =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType: type,
      }),
    );
    const now = Date.now();
    return (described.pollers ?? []).filter((p) => now - timestampMs(p.lastAccessTime) < POLLER_SEEN_MS).length;
  };
  const pollers = async (): Promise<Pollers> => {
    const [workflowPollers, activityPollers] = await Promise.all([count(TASK_QUEUE_TYPE.workflow), count(TASK_QUEUE_TYPE.activity)]);
    return { taskQueue, workflowPollers, activityPollers };
  };
  const noWorker = (what: string, seen: Pollers, afterwards = '') =>
    new HttpError(503, `no worker is polling task queue ${taskQueue}: ${what} needs one; start the worker and try again${afterwards}`, { workers: seen }, { 'retry-after': '5' });
  return {
    taskQueue,
    pollers,
    noWorker,
    notPolled: (what) =>
      new HttpError(503, `Temporal has seen no worker poll task queue ${taskQueue} recently: ${what} needs one; start the worker and try again`, {}, { 'retry-after': '5' }),
    async unanswered(what, waitedMs, afterwards = '', askTemporal = true) {
      const seen = askTemporal ? await pollers().catch(() => undefined) : undefined;
      if (seen?.workflowPollers === 0) return noWorker(what, seen, afterwards);
      // Temporal's server itself not answering is no worker's fault: say which one is silent.
      const silent = seen ? `the worker on task queue ${taskQueue}` : 'Temporal';
      const message = `${silent} did not answer ${what} within ${waitedMs / 1000} s; try again shortly${afterwards}`;
      return new HttpError(503, message, seen ? { workers: seen } : {}, { 'retry-after': '5' });
    },
  };
}
