// Smoke checks against green with the production Host header, and the long-running
// watcher: one activity that checks every interval and heartbeats, returning only on a
// breach, so a week of checks adds no events to history.
import http from 'node:http';
import https from 'node:https';
import { durationMs } from '../workflows/duration.js';
import type { Finding } from '../workflows/model.js';
import type { HealthBreach, ValidateInput, WatchHealthInput } from './contract.js';
import { recordBreach } from './metrics.js';
import { activityContext, pollUntil } from './poll.js';

type SmokeCheck = WatchHealthInput['health']['smoke'][number];

export interface SmokeResult {
  url: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  reason?: string;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_BODY = 256 * 1024;

export function runSmokeCheck(check: SmokeCheck): Promise<SmokeResult> {
  const started = performance.now();
  const url = new URL(check.url);
  const timeout = check.timeout ? durationMs(check.timeout) : DEFAULT_TIMEOUT_MS;
  const get = url.protocol === 'https:' ? https.get : http.get;
  const result = (ok: boolean, extra: Partial<SmokeResult>): SmokeResult => ({ url: check.url, ok, latencyMs: Math.round(performance.now() - started), ...extra });
  return new Promise((resolve) => {
    // fetch() will not send a custom Host header; node:http does, as a load balancer expects.
    const req = get(url, { headers: check.host ? { host: check.host } : {}, timeout, servername: check.host }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== check.expectStatus) return resolve(result(false, { status, reason: `${check.url} answered ${status}, expected ${check.expectStatus}` }));
        if (check.bodyContains && !body.includes(check.bodyContains)) {
          return resolve(result(false, { status, reason: `${check.url} body lacks "${check.bodyContains}"` }));
        }
        resolve(result(true, { status }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', (err) => resolve(result(false, { reason: `${check.url}: ${err.message}` })));
  });
}

/**
 * Whether `hostname` matches one of the worker's smoke-check host patterns: a host name or
 * address as is, or `*.example.com` for any name under example.com. Case does not matter.
 */
export function hostAllowed(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p;
  });
}

export interface HealthSettings {
  /**
   * Host patterns smoke checks may call (CUTOVER_SMOKE_ALLOWED_HOSTS); undefined lets them
   * call any host. A spec's URLs are the worker's outgoing requests: this keeps them off
   * hosts that are not green's load balancers.
   */
  smokeAllowedHosts?: readonly string[];
}

export function createHealthActivities(settings: HealthSettings = {}) {
  const allowed = settings.smokeAllowedHosts;
  /** A smoke check, or a failure without any request when its host is not allowed. */
  const smoke = (check: SmokeCheck): Promise<SmokeResult> => {
    const hostname = new URL(check.url).hostname;
    if (allowed && !hostAllowed(hostname, allowed)) {
      const reason = `${check.url}: host ${hostname} is not in the worker's smoke-check allow-list (CUTOVER_SMOKE_ALLOWED_HOSTS), so it was not called`;
      return Promise.resolve({ url: check.url, ok: false, latencyMs: 0, reason });
    }
    return runSmokeCheck(check);
  };
  return {
    /** Smoke tests against green; failures are blocking findings. */
    async validateGreen(input: ValidateInput): Promise<{ findings: Finding[] }> {
      const results = await Promise.all(input.health.smoke.map(smoke));
      const findings: Finding[] = results.map((r) =>
        r.ok
          ? { severity: 'info', source: 'smoke', message: `${r.url} answered ${r.status} in ${r.latencyMs} ms` }
          : { severity: 'blocking', source: 'smoke', message: r.reason ?? `${r.url} failed` },
      );
      if (results.length === 0) findings.push({ severity: 'warning', source: 'smoke', message: 'no smoke checks configured' });
      return { findings };
    },

    /**
     * Checks every interval; returns when `failureThreshold` checks in a row failed. Each
     * heartbeat carries the count, so a retried watcher resumes it.
     */
    async watchHealth(input: WatchHealthInput): Promise<HealthBreach> {
      let consecutive = (activityContext()?.info.heartbeatDetails as { consecutive?: number } | undefined)?.consecutive ?? 0;
      return pollUntil(
        async (round) => {
          const results = await Promise.all(input.health.smoke.map(smoke));
          const failed = results.find((r) => !r.ok);
          consecutive = failed ? consecutive + 1 : 0;
          round.progress = { consecutive, lastReason: failed?.reason };
          if (consecutive >= input.health.failureThreshold) {
            recordBreach();
            activityContext()?.log.warn('health breach', { reason: failed?.reason, consecutiveFailures: consecutive });
            return { reason: failed?.reason ?? 'smoke check failed', consecutiveFailures: consecutive };
          }
        },
        { describe: 'a health breach of green', interval: input.health.interval },
      );
    },
  };
}
