// Typed failures: the workflow retries what a retry can fix and stops on what it cannot. The
// types are named in workflows/failures.ts, whose list the workflow's retry policies use.
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../workflows/failures.js';

export { FAILURE };

export function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE.notFound, message, nonRetryable: true });
}
export function invalidSpec(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE.invalidSpec, message, nonRetryable: true });
}

const NOT_FOUND_NAMES = new Set(['ResourceNotFoundException', 'NoSuchHostedZone', 'ListenerNotFoundException', 'RuleNotFoundException', 'TargetGroupNotFoundException', 'NotFoundException']);
// Credentials missing, refused or expired: no retry heals these until a person fixes the access.
const ACCESS_DENIED_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);
const UNSUPPORTED_NAMES = new Set(['NotImplementedError', 'NotImplemented', 'UnknownOperationException', 'InvalidAction']);

/** The AWS error name, also for endpoints (like moto) that answer an unknown call with a bare 404/501. */
function awsErrorName(err: unknown): string {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  // moto answers a call it lacks with an HTML 404 page, which the SDK fails to parse.
  const unparsed = !e?.name || ['UnknownError', 'Error', 'SyntaxError'].includes(e.name);
  if ((status === 404 || status === 501) && unparsed) return 'NotImplemented';
  return e?.name ?? 'Error';
}

/** True when the endpoint does not offer this call (moto, or an account without the feature): the SDK's error, or awsFailure's of it. */
export function isUnsupported(err: unknown): boolean {
  return (err as { type?: string })?.type === FAILURE.unsupported || UNSUPPORTED_NAMES.has(awsErrorName(err));
}

/** True when the credentials were refused (access denied, expired, unknown): a read-only check says it could not run. */
export function isAccessDenied(err: unknown): boolean {
  return ACCESS_DENIED_NAMES.has(awsErrorName(err));
}

/** Maps an AWS SDK error to a typed failure naming `what`; throttling and 5xx stay retryable. */
export function awsFailure(err: unknown, what: string): Error {
  const name = awsErrorName(err);
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (NOT_FOUND_NAMES.has(name)) return ApplicationFailure.create({ type: FAILURE.notFound, message, nonRetryable: true, cause: err as Error });
  if (ACCESS_DENIED_NAMES.has(name)) return ApplicationFailure.create({ type: FAILURE.accessDenied, message, nonRetryable: true, cause: err as Error });
  if (UNSUPPORTED_NAMES.has(name)) return ApplicationFailure.create({ type: FAILURE.unsupported, message, nonRetryable: true, cause: err as Error });
  if (name === 'InvalidParameterException' || name === 'InvalidInput' || name === 'ValidationError') {
    return ApplicationFailure.create({ type: FAILURE.invalidSpec, message, nonRetryable: true, cause: err as Error });
  }
  return ApplicationFailure.create({ type: name, message, nonRetryable: false, cause: err as Error });
}
