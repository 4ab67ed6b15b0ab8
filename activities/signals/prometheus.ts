// Prometheus as a metric source: one PromQL instant query (HTTP API /api/v1/query) against a
// server the worker is configured with. A spec names the server; its URL (which may carry
// credentials) stays in the worker's settings and is never echoed.

/** The Prometheus servers a worker may query: CUTOVER_PROMETHEUS_URL and CUTOVER_PROMETHEUS_SERVERS. */
export interface PrometheusSettings {
  /** The server a check uses when it names none. */
  defaultUrl?: string;
  /** name → base URL (e.g. https://user:pass@prometheus.example.com/). */
  servers?: Record<string, string>;
}

/** A query that could not be read (server unknown or unreachable, PromQL refused): a reason, no data. */
export class SignalError extends Error {
  override name = 'SignalError';
}

const QUERY_TIMEOUT_MS = 30_000;

/** The base URL of the server a check names (or the default), or a SignalError saying what to configure. */
export function prometheusUrl(settings: PrometheusSettings, server?: string): string {
  if (server === undefined) {
    if (!settings.defaultUrl) throw new SignalError('no Prometheus is configured in the worker (CUTOVER_PROMETHEUS_URL), and the check names no server');
    return settings.defaultUrl;
  }
  const url = settings.servers?.[server];
  if (!url) throw new SignalError(`Prometheus server "${server}" is not configured in the worker (CUTOVER_PROMETHEUS_SERVERS)`);
  return url;
}

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown };
}

/**
 * One instant query's value: a scalar, or a vector of one series. Undefined: an empty vector,
 * or NaN/±Inf (0/0 on a cluster without traffic). More than one series is an error: the query
 * must aggregate (sum, max, …) to one number.
 */
export async function queryPrometheus(baseUrl: string, promql: string, what: string): Promise<number | undefined> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (url.username || url.password) {
    // fetch refuses a URL with credentials: send them as HTTP basic auth instead.
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = url.password = '';
  }
  let answer: QueryAnswer;
  try {
    const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams({ query: promql }), signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    if (response.status === 401 || response.status === 403) {
      throw new SignalError(`${what} answered ${response.status}: it refuses the credentials in the worker's URL for it (or asks for some)`);
    }
    const text = await response.text();
    try {
      answer = JSON.parse(text) as QueryAnswer;
    } catch {
      throw new SignalError(`${what} answered ${response.status} without a Prometheus API body`);
    }
  } catch (err) {
    if (err instanceof SignalError) throw err;
    throw new SignalError(`${what} could not be reached: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (answer.status !== 'success' || !answer.data) throw new SignalError(`${what} refused the query: ${answer.error ?? 'no data in its answer'}`);
  const { resultType, result } = answer.data;
  let raw: string | undefined;
  if (resultType === 'scalar') raw = (result as [number, string])[1];
  else if (resultType === 'vector') {
    const series = result as { value: [number, string] }[];
    if (series.length > 1) throw new SignalError(`${what} answered ${series.length} series; aggregate the query to one (sum, max, …)`);
    raw = series[0]?.value[1];
  } else throw new SignalError(`${what} answered a ${resultType}; an instant query answering a scalar or one series is needed`);
  const value = raw === undefined ? undefined : Number(raw);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}
