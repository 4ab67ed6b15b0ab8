// One place that turns any error into an HTTP answer of one shape:
// `{ error, message, requestId, errors?: [{path, message}], phase?, … }`.
// Domain and Temporal errors map to 4xx with what a person needs to act; anything else is a
// 5xx whose body says nothing about internals (the log has them under the request ID).
import type { FastifyError } from 'fastify';
import { isGrpcServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { refusalStatus } from '../workflows/messages.js';
import { RETIRED_FIELDS } from '../workflows/spec.js';
import { overrideFieldRefusal } from '../workflows/green-overrides.js';
import { BODY_LIMIT_BYTES } from './config.js';

export interface FieldError {
  path: string; // JSON pointer into the request, e.g. /traffic/steps/2 or /querystring/pageSize
  message: string;
}

/** An error whose HTTP status and body the handler chose on purpose. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> & { errors?: FieldError[] } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
export const title = (status: number) => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');

/** gRPC status codes the API answers specifically (@grpc/grpc-js Status). */
export const GRPC = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

export interface ErrorReply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** True when the cause is ours or Temporal's, not the caller's: log it in full. */
  internal?: boolean;
}

/** The most problems one answer lists: enough to fix a spec in one go, and a small body however wrong a request is. */
export const MAX_LISTED_ERRORS = 50;

/** `errors` cut to MAX_LISTED_ERRORS, the last entry saying how many more there are (also in `truncated`). */
function capped(body: Record<string, unknown>): Record<string, unknown> {
  const list = body.errors;
  if (!Array.isArray(list) || list.length <= MAX_LISTED_ERRORS) return body;
  const more = list.length - (MAX_LISTED_ERRORS - 1);
  return { ...body, errors: [...list.slice(0, MAX_LISTED_ERRORS - 1), { path: '/', message: `and ${more} more problems not listed` }], truncated: more };
}

/** The answer to `error`, its list of problems capped. */
export function errorReply(error: unknown): ErrorReply {
  const reply = uncappedReply(error);
  return { ...reply, body: capped(reply.body) };
}

function uncappedReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: title(error.status), message: error.message, ...error.extra }, headers: error.headers, internal: error.status >= 500 };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return { status: 400, body: { error: title(400), message: `invalid ${fastifyError.validationContext ?? 'request'}`, errors: validationErrors(fastifyError as FastifyError) } };
  }
  if (error instanceof WorkflowNotFoundError) {
    return { status: 404, body: { error: title(404), message: `no migration ${error.workflowId}` } };
  }
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return { status: 409, body: { error: title(409), message: `migration ${error.workflowId} is already running` } };
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const status = refusalStatus(error.cause.type);
    return { status, body: { error: title(status), message: error.cause.message } };
  }
  // The status read says which task queue nobody polls; this is any other Query Temporal refused so.
  if (noPollerSeen(error)) {
    return { status: 503, body: { error: title(503), message: "Temporal has seen no worker poll the migrations' task queue recently: start the worker and try again" }, headers: { 'retry-after': '5' }, internal: true };
  }
  // A call past its deadline surfaces as DEADLINE_EXCEEDED or, cut by our own timeout, CANCELLED.
  // The routes that wait for a worker say which task queue nobody answers on; this is the rest.
  const grpc = grpcCode(error);
  if (grpc === GRPC.UNAVAILABLE || grpc === GRPC.DEADLINE_EXCEEDED || grpc === GRPC.CANCELLED || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return { status: 503, body: { error: title(503), message: 'Temporal did not answer in time; try again shortly' }, headers: { 'retry-after': '5' }, internal: true };
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const message = `request body is larger than ${BODY_LIMIT_BYTES / 1024} kB, the most this API reads (a migration spec is a few kB)`;
    return { status: 413, body: { error: title(413), message, errors: [{ path: '/', message }] } };
  }
  // Fastify's own client errors (bad JSON, wrong content type): safe to echo.
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return { status, body: { error: title(status), message: fastifyError.message ?? title(status), errors: [{ path: '/', message: fastifyError.message ?? title(status) }] } };
  }
  return {
    status: 500,
    body: { error: title(500), message: 'something went wrong on our side; the log has details under this request ID' },
    internal: true,
  };
}

/** The gRPC error of a Temporal error, found on it or on one of its causes. */
function grpcError(error: unknown) {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e;
  }
  return undefined;
}

/** The gRPC status of a Temporal error, found on it or on one of its causes. */
export function grpcCode(error: unknown): number | undefined {
  return grpcError(error)?.code;
}

/**
 * Temporal's answer to a Query when no worker has polled the task queue for a while (by default
 * 20 s): FAILED_PRECONDITION "No poller seen for task queue recently, worker may be down".
 */
export function noPollerSeen(error: unknown): boolean {
  const grpc = grpcError(error);
  return grpc?.code === GRPC.FAILED_PRECONDITION && /no poller seen/i.test(grpc.details ?? grpc.message);
}

/** Ajv's errors as `{path, message}`, every one of them, the path naming the field itself. */
export function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext;
  const prefix = !context || context === 'body' ? '' : `/${context}`;
  return (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    let path = `${prefix}${v.instancePath ?? ''}`;
    let message = v.message ?? 'is invalid';
    if (v.keyword === 'required') {
      path += `/${String(params.missingProperty)}`;
      message = 'is required';
    } else if (v.keyword === 'additionalProperties') {
      path += `/${String(params.additionalProperty)}`;
      message = (!prefix && (RETIRED_FIELDS[path] || overrideFieldRefusal(path))) || 'is not allowed';
    } else if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.join(', ')}`;
    }
    return { path: path || '/', message };
  });
}
