// Reading a migration from Temporal: its live status (the workflow's status Query), its
// state as Temporal's server knows it without a worker (describe + search attributes), the
// link to its run in the Web UI, and the answer to a request it refused. Shared by the routes.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { MetricVerdict } from '../workflows/model.js';
import { SEARCH_ATTRIBUTES, statusQuery } from '../workflows/messages.js';
import { byDeadline, serverCall } from './deadlines.js';
import { HttpError } from './errors.js';
import type { StatusBody } from './schemas.js';
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
  /** Phase and execution status from the server alone (no worker needed). */
  state(id: string): Promise<MigrationState>;
  /** The error for a request the migration refused: what the caller needs to know of its state. */
  refusal(status: number, id: string, message: string): Promise<HttpError>;
}

/**
 * The last reading of each metric check, from the running health watcher's last heartbeat:
 * the watcher reads every interval for weeks, and only its heartbeat (never the run's history)
 * carries the numbers. Undefined when no watcher with metric checks runs.
 */
async function watcherReadings(client: Client, described: WorkflowExecutionDescription): Promise<MetricVerdict[] | undefined> {
  const watcher = described.raw.pendingActivities?.find((a) => a.activityType?.name === 'watchHealth');
  const payloads = watcher?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  try {
    const details = await decodeFromPayloadsAtIndex<{ checks?: MetricVerdict[] }>(client.options.loadedDataConverter, 0, payloads);
    return details?.checks;
  } catch {
    return undefined; // a heartbeat this API cannot read is no reason to fail the status
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
      const handle = client.workflow.getHandle(id);
      // One bound for the whole read: Temporal's describe (a 503 of its own past it) and the worker's answer.
      const answerBy = Date.now() + queryTimeoutMs;
      const described = await byDeadline(client, answerBy, () => handle.describe(), signal);
      try {
        const [status, checks] = await Promise.all([byDeadline(client, answerBy, () => handle.query(statusQuery), signal), watcherReadings(client, described)]);
        const health = status.health.watching && checks ? { ...status.health, checks } : status.health;
        return { ...status, health, workflowStatus: described.status.name, links: links(id) };
      } catch (err) {
        if (Date.now() >= answerBy && !signal?.aborted) throw await workers.unanswered(`the status query of ${id}`, queryTimeoutMs);
        throw err;
      }
    },
    async refusal(status, id, message) {
      const known = await state(id).catch(() => ({ id }));
      return new HttpError(status, message, { ...known, links: links(id) });
    },
  };
}
