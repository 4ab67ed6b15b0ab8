// The wire format of GET /v1/migrations/{id}/events, shared by the route and the CLI's
// `watch`. No imports: the CLI loads it at start.

/** The events a stream sends: the migration's status, that it cannot be read for now, and the end of the run. */
export const SERVER_EVENTS = ['status', 'unavailable', 'end'] as const;
export type ServerEventName = (typeof SERVER_EVENTS)[number];

/** Data of `unavailable`. */
export interface UnavailableEvent {
  message: string;
}

/** Data of `end`: how the run closed. */
export interface EndEvent {
  workflowStatus: string;
  phase: string;
  message?: string;
}

/** Seconds between a stream's keep-alive comments, unless ?heartbeat= says otherwise. */
export const DEFAULT_HEARTBEAT_S = 15;

/** The reconnection delay a stream advises (its SSE `retry:`), in ms; the CLI waits as long before it is told. */
export const EVENTS_RETRY_MS = 3_000;
