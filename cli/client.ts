// The CLI's view of the REST API: one request helper that turns any non-2xx answer into an
// ApiError carrying the API's own words (message, each field error, phase, request ID).
import type { ErrorBody as ApiErrorBody } from '../api/schemas.js';

export interface ApiTarget {
  url: string;
  token: string;
}

/** The API's error body, or what is left of one when a proxy answered instead. */
type ErrorBody = Partial<ApiErrorBody>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message ?? `HTTP ${status}`);
  }

  /** What a person reads: the API's message, then every field error, the phase and the request ID. */
  describe(): string {
    const lines = [`${this.status} ${this.body.error ?? 'Error'}: ${this.message}`];
    for (const e of this.body.errors ?? []) lines.push(`  ${e.path}: ${e.message}`);
    if (this.body.phase && !this.message.includes(this.body.phase)) lines.push(`  phase: ${this.body.phase}`);
    if (this.body.requestId) lines.push(`  request id: ${this.body.requestId}`);
    return lines.join('\n');
  }
}

/** The server could not be reached at all (wrong URL, API down). */
export class UnreachableError extends Error {}

export function headers(target: ApiTarget, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${target.token}`, 'user-agent': 'cutover-cli', ...extra };
}

export async function open(target: ApiTarget, method: string, path: string, init: { body?: unknown; accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
  const url = `${target.url.replace(/\/$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: headers(target, {
        accept: init.accept ?? 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      }),
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: init.signal,
    });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UnreachableError(`cannot reach the Cutover API at ${target.url} (${cause?.code ?? cause?.message ?? (err as Error).message}); set CUTOVER_API_URL or --api`);
  }
  if (!res.ok) {
    const text = await res.text();
    let body: ErrorBody;
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      body = { message: text.trim() || res.statusText };
    }
    throw new ApiError(res.status, body);
  }
  return res;
}

export async function request<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  const res = await open(target, method, path, { body });
  return (await res.json()) as T;
}
