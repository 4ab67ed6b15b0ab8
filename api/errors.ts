// One place that maps domain and Temporal errors to HTTP answers.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { REJECTION } from '../workflows/messages.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' };

export function domainErrorReply(error: unknown): { status: number; body: Record<string, unknown> } | undefined {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: TITLES[error.status] ?? 'Error', message: error.message, ...error.extra } };
  }
  if (error instanceof WorkflowNotFoundError) {
    return { status: 404, body: { error: 'Not Found', message: `no migration ${error.workflowId}` } };
  }
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return { status: 409, body: { error: 'Conflict', message: `a migration ${error.workflowId} for this blue cluster is already running` } };
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const status = error.cause.type === REJECTION.selfApproval ? 403 : 409;
    return { status, body: { error: TITLES[status], message: error.cause.message } };
  }
  return undefined;
}
