// Every wait the API has on Temporal ends at a deadline, never at an AbortSignal alone: the
// SDK retries a call the server answers UNAVAILABLE or RESOURCE_EXHAUSTED (a server that is
// busy, restarting or out of reach) up to ten times, and an abort cancels only the first
// attempt, so a request could go minutes with no answer. A deadline holds for every attempt;
// past it a call fails with DEADLINE_EXCEEDED, within one retry backoff (5 s at most).
import type { Client } from '@temporalio/client';

/** How long a call that only Temporal's server answers (describe, start, list, count) may take. */
export const SERVER_CALL_TIMEOUT_MS = 10_000;

/**
 * Runs `fn`, whose Temporal calls fail once `deadline` (epoch ms) has passed; `signal` (the
 * caller went away) may end them sooner.
 */
export function byDeadline<T>(client: Client, deadline: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return client.withDeadline(deadline, signal ? () => client.withAbortSignal(signal, fn) : fn);
}

/** Runs `fn` as a call only the server answers: it fails after SERVER_CALL_TIMEOUT_MS. */
export function serverCall<T>(client: Client, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return byDeadline(client, Date.now() + SERVER_CALL_TIMEOUT_MS, fn, signal);
}
