// Failure types, named once for both sides: activities raise them, and the workflow's retry
// policies stop retrying on them; and what a failure says in words. Pure: safe in workflow code.
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/** What a retry cannot fix: raised non-retryable by activities (activities/errors.ts). */
export const FAILURE = {
  notFound: 'NotFound',
  accessDenied: 'AccessDenied',
  invalidSpec: 'InvalidSpec',
  unsupported: 'Unsupported',
} as const;

/** The types every activity retry policy of the workflow gives up on at once. */
export const NON_RETRYABLE_FAILURES: string[] = Object.values(FAILURE);

/** The workflow refused a step that would break a safety rule (e.g. deleting blue too early). */
export const INVARIANT_VIOLATION = 'InvariantViolation';

/**
 * Past this many failed attempts of something the run waits on, its channel is told once: an
 * activity's (the worker's retrying notice) or a forward weight change's (the workflow's loop).
 */
export const RETRYING_NOTIFY_AT = 5;

/**
 * An API server that stays unreachable this many attempts in a row (a private endpoint the
 * worker cannot route to) is reported as a finding instead of retried forever
 * (activities/cluster-checks.ts); the dry run's retry policy allows that many attempts.
 */
export const UNREACHABLE_AFTER_ATTEMPTS = 5;

/** What a failure says, without the wrapping of the activity that raised it. */
export function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof ApplicationFailure) return err.message; // a local activity's, unwrapped
  return err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
}
