// Reading a migration from Temporal: its live status (the workflow's status Query, and the
// activities it waits on from the server's describe), a closed run's final status (kept in its
// result, so no worker is needed), its state as Temporal's server knows it without a worker
// (describe + search attributes), the link to its run in the Web UI, and the answer to a request
// it refused. Shared by the routes.
import { WorkflowFailedError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, fromPayloadsAtIndex, type Payload } from '@temporalio/common';
import type { AuditEvent, MetricVerdict, MigrationStatus } from '../workflows/model.js';
import { auditQuery, SEARCH_ATTRIBUTES, statusQuery } from '../workflows/messages.js';
import { byDeadline, serverCall } from './deadlines.js';
import { HttpError, noPollerSeen } from './errors.js';
import type { ActivityStatus, StatusBody } from './schemas.js';
import { isoTime } from './timestamps.js';
import type { Workers } from './workers.js';

export interface MigrationState {
  id: string;
  phase?: string;
  workflowStatus: string;
}

export interface MigrationReader {
  links(id: string): { temporalUi: string };
  /** Full status; throws WorkflowNotFoundError for an unknown ID. */
  status(id: string, signal?: AbortSignal): Promise<StatusBody>;
  /**
   * Every audit entry since the start, across continue-as-new: a running migration's from the
   * audit Query, a closed one's from its result (or its failure's details), no worker needed; a
   * run closed without it (terminated, or from an older release) is queried. WorkflowNotFoundError for an unknown ID.
   */
  audit(id: string, signal?: AbortSignal): Promise<AuditEvent[]>;
  /** Phase and execution status from the server alone (no worker needed). */
  state(id: string): Promise<MigrationState>;
  /** The error for a request the migration refused: what the caller needs to know of its state. */
  refusal(status: number, id: string, message: string): Promise<HttpError>;
}

type PendingActivity = NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];

/** The health watcher runs for weeks and shows under `health`, not among the activities. */
const WATCHER = 'watchHealth';

/** The first of `payloads`, through the client's data converter (its codecs, then its payload converter). */
async function decodeFirst<T>(client: Client, payloads: Payload[]): Promise<T> {
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded = payloads;
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return fromPayloadsAtIndex<T>(payloadConverter, 0, decoded);
}

/**
 * The last reading of each metric check, from the running health watcher's last heartbeat:
 * the watcher reads every interval for weeks, and only its heartbeat (never the run's history)
 * carries the numbers. Undefined when no watcher with metric checks runs.
 */
async function watcherReadings(client: Client, described: WorkflowExecutionDescription): Promise<MetricVerdict[] | undefined> {
  const watcher = described.raw.pendingActivities?.find((a) => a.activityType?.name === WATCHER);
  const payloads = watcher?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  try {
    return (await decodeFirst<{ checks?: MetricVerdict[] }>(client, payloads))?.checks;
  } catch {
    return undefined; // a heartbeat this API cannot read is no reason to fail the status
  }
}

// temporal.api.enums.v1.PendingActivityState
const PENDING_STATE: Record<number, ActivityStatus['state']> = { 1: 'scheduled', 2: 'running', 3: 'cancel-requested', 4: 'paused', 5: 'paused' };

/**
 * When each retried activity was first scheduled: the server's describe gives only the current
 * attempt's times, the history's ActivityTaskScheduled event the first. Read newest first, and
 * only as far back as those events, so a status read costs a history page only while something retries.
 */
async function firstScheduled(client: Client, execution: { workflowId: string; runId: string }, activityIds: string[], deadline: number, signal?: AbortSignal): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await byDeadline(
      client,
      deadline,
      () => client.workflowService.getWorkflowExecutionHistoryReverse({ namespace: client.options.namespace, execution, maximumPageSize: 200, nextPageToken }),
      signal,
    );
    for (const event of page.history?.events ?? []) {
      const id = event.activityTaskScheduledEventAttributes?.activityId;
      if (id && activityIds.includes(id) && !found.has(id)) found.set(id, isoTime(event.eventTime) ?? '');
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken && found.size < activityIds.length);
  return found;
}

/** Every activity the run waits on but the health watcher: what it is, its attempt, since when, and why the last attempt failed. */
async function activitiesOf(client: Client, described: WorkflowExecutionDescription, deadline: number, signal?: AbortSignal): Promise<ActivityStatus[]> {
  const pending = (described.raw.pendingActivities ?? []).filter((a) => a.activityType?.name !== WATCHER);
  const retried = pending.filter((a) => (a.attempt ?? 1) > 1).map((a) => a.activityId ?? '');
  const first = retried.length ? await firstScheduled(client, { workflowId: described.workflowId, runId: described.runId }, retried, deadline, signal) : new Map<string, string>();
  return Promise.all(pending.map(async (a: PendingActivity): Promise<ActivityStatus> => {
    const progress = await progressOf(client, a);
    const nextAttemptAt = isoTime(a.nextAttemptScheduleTime);
    const lastError = a.lastFailure?.message ?? undefined;
    const lastFailedAt = lastError ? isoTime(a.lastAttemptCompleteTime) : undefined;
    return {
      activity: a.activityType?.name ?? 'unknown',
      state: nextAttemptAt ? 'waiting-to-retry' : (PENDING_STATE[Number(a.state)] ?? 'scheduled'),
      attempt: Math.max(1, a.attempt ?? 1),
      since: first.get(a.activityId ?? '') ?? isoTime(a.scheduledTime) ?? isoTime(a.lastStartedTime) ?? new Date(0).toISOString(),
      ...(lastError && { lastError }),
      ...(lastFailedAt && { lastFailedAt }),
      ...(nextAttemptAt && { nextAttemptAt }),
      ...(progress && { progress }),
    };
  }));
}

/** The heartbeat field that carries each carry-over activity's progress (activities/stateful.ts). */
const PROGRESS_FIELD: Record<string, string> = { snapshotBlueVolumes: 'snapshots', createGreenVolumes: 'volumes', bindGreenClaims: 'claims', quiesceBlueWorkloads: 'podsLeft' };

/** What a carry-over activity's last heartbeat says of its progress; undefined for other activities, or a heartbeat this API cannot read. */
async function progressOf(client: Client, activity: PendingActivity): Promise<unknown[] | undefined> {
  const field = PROGRESS_FIELD[activity.activityType?.name ?? ''];
  const payloads = activity.heartbeatDetails?.payloads;
  if (!field || !payloads?.length) return undefined;
  try {
    const value = (await decodeFirst<Record<string, unknown>>(client, payloads))?.[field];
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isStatus = (value: unknown): value is MigrationStatus => typeof value === 'object' && value !== null && 'phase' in value && 'weights' in value;

/**
 * A closed run's final status, which it returns (or, failed, carries as its failure's details):
 * read from its close event, no worker needed. Undefined for a run that closed without one (a run
 * from before it was kept, a terminated run): the status Query then replays it on a worker.
 */
async function finalStatus(client: Client, handle: WorkflowHandle, deadline: number, signal?: AbortSignal): Promise<MigrationStatus | undefined> {
  try {
    const outcome: unknown = await byDeadline(client, deadline, () => handle.result(), signal);
    const status = (outcome as { status?: unknown } | undefined)?.status;
    return isStatus(status) ? status : undefined;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const details = err.cause instanceof ApplicationFailure ? err.cause.details : undefined;
    return isStatus(details?.[0]) ? details[0] : undefined;
  }
}

const isAudit = (value: unknown): value is AuditEvent[] => Array.isArray(value);

/** A closed run's whole audit from its result or its failure's details; undefined for a run that closed without it. */
async function finalAudit(client: Client, handle: WorkflowHandle, deadline: number, signal?: AbortSignal): Promise<AuditEvent[] | undefined> {
  try {
    const outcome: unknown = await byDeadline(client, deadline, () => handle.result(), signal);
    const audit = (outcome as { audit?: unknown } | undefined)?.audit;
    return isAudit(audit) ? audit : undefined;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const details = err.cause instanceof ApplicationFailure ? err.cause.details : undefined;
    return isAudit(details?.[1]) ? details[1] : undefined;
  }
}

/** `queryTimeoutMs`: a status Query needs a worker to replay the run; past this, the API answers 503 (saying whether any worker polls), not a hang. */
export function migrationReader(client: Client, uiUrl: string, workers: Workers, queryTimeoutMs: number): MigrationReader {
  const namespace = client.options.namespace;
  const links = (id: string) => ({
    temporalUi: `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`,
  });
  const state = async (id: string): Promise<MigrationState> => {
    const described = await serverCall(client, () => client.workflow.getHandle(id).describe());
    return { id, phase: described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase), workflowStatus: described.status.name };
  };
  return {
    links,
    state,
    async status(id, signal) {
      // One bound for the whole read: Temporal's describe (a 503 of its own past it) and the worker's answer.
      const answerBy = Date.now() + queryTimeoutMs;
      const described = await byDeadline(client, answerBy, () => client.workflow.getHandle(id).describe(), signal);
      const workflowStatus = described.status.name;
      const handle = client.workflow.getHandle(id, described.runId);
      if (workflowStatus !== 'RUNNING') {
        const final = await finalStatus(client, handle, answerBy, signal);
        if (final) return { ...final, workflowStatus, activities: [], links: links(id) };
      }
      try {
        const [status, checks, activities] = await Promise.all([
          byDeadline(client, answerBy, () => handle.query(statusQuery), signal),
          watcherReadings(client, described),
          activitiesOf(client, described, answerBy, signal),
        ]);
        const health = status.health.watching && checks ? { ...status.health, checks } : status.health;
        return { ...status, health, workflowStatus, activities, links: links(id) };
      } catch (err) {
        if (noPollerSeen(err)) throw workers.notPolled(`the status query of ${id}`);
        if (Date.now() >= answerBy && !signal?.aborted) throw await workers.unanswered(`the status query of ${id}`, queryTimeoutMs);
        throw err;
      }
    },
    async audit(id, signal) {
      const answerBy = Date.now() + queryTimeoutMs;
      const described = await byDeadline(client, answerBy, () => client.workflow.getHandle(id).describe(), signal);
      const handle = client.workflow.getHandle(id, described.runId);
      if (described.status.name !== 'RUNNING') {
        const final = await finalAudit(client, handle, answerBy, signal);
        if (final) return final;
      }
      try {
        return await byDeadline(client, answerBy, () => handle.query(auditQuery), signal);
      } catch (err) {
        if (noPollerSeen(err)) throw workers.notPolled(`the audit query of ${id}`);
        if (Date.now() >= answerBy && !signal?.aborted) throw await workers.unanswered(`the audit query of ${id}`, queryTimeoutMs);
        throw err;
      }
    },
    async refusal(status, id, message) {
      const known = await state(id).catch(() => ({ id }));
      return new HttpError(status, message, { ...known, links: links(id) });
    },
  };
}
