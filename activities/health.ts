// Smoke checks against green with the production Host header, and the long-running
// watcher: one activity that checks every interval and heartbeats, returning only on a
// breach, so a week of checks adds no events to history.
import http from 'node:http';
import https from 'node:https';
import { durationMs } from '../workflows/duration.js';
import type { Finding, MetricVerdict } from '../workflows/model.js';
import type { MetricPhase } from '../workflows/spec.js';
import type { AwsClients } from './aws.js';
import type { HealthBreach, ValidateInput, WatchHealthInput } from './contract.js';
import { recordBreach } from './metrics.js';
import { activityContext, pollUntil } from './poll.js';
import { createSignals, describeVerdict, NOT_READ, type PrometheusSettings, type Reading } from './signals/index.js';

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
  /** The Prometheus servers metric checks may query (CUTOVER_PROMETHEUS_URL, CUTOVER_PROMETHEUS_SERVERS). */
  prometheus?: PrometheusSettings;
}

/** What the watcher heartbeats: a retried watcher resumes the counts; the API shows `checks`. */
export interface WatcherProgress {
  consecutive?: number;
  lastReason?: string;
  checks?: MetricVerdict[];
}

/** A reading counted: failures in a row go up on a failure, and on no data per the check's noData policy. */
export function countReading(reading: Reading, rule: { failureThreshold: number; noData: 'pass' | 'fail' | 'ignore' }, before: number): MetricVerdict {
  const failed = reading.outcome === 'fail' || (reading.outcome === 'no-data' && rule.noData === 'fail');
  const passed = reading.outcome === 'pass' || (reading.outcome === 'no-data' && rule.noData === 'pass');
  return { ...reading, consecutiveFailures: failed ? before + 1 : passed ? 0 : before, failureThreshold: rule.failureThreshold };
}

export function createHealthActivities(settings: HealthSettings = {}, aws?: AwsClients) {
  const allowed = settings.smokeAllowedHosts;
  const signals = createSignals({ aws, prometheus: settings.prometheus });
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
    /**
     * Smoke tests against green; failures are blocking findings. Each metric check is read
     * once: one that cannot be read (no such server, a query Prometheus refuses) blocks, so
     * a broken check is found before traffic moves, not during the bake.
     */
    async validateGreen(input: ValidateInput): Promise<{ findings: Finding[] }> {
      const metrics = (input.health.metrics ?? []).filter((c) => Object.keys(c.phases).length > 0);
      const [results, readings] = await Promise.all([
        Promise.all(input.health.smoke.map(smoke)),
        Promise.all(metrics.map((c) => signals.evaluate(c, { region: input.region, blue: input.blue, green: input.green, phase: Object.keys(c.phases)[0] as MetricPhase }))),
      ]);
      const findings: Finding[] = results.map((r) =>
        r.ok
          ? { severity: 'info', source: 'smoke', message: `${r.url} answered ${r.status} in ${r.latencyMs} ms` }
          : { severity: 'blocking', source: 'smoke', message: r.reason ?? `${r.url} failed` },
      );
      for (const r of readings) {
        const unreadable = r.reason?.startsWith(NOT_READ);
        const what = r.value !== undefined ? `reads ${r.value}${r.blue !== undefined ? ` (blue ${r.blue})` : ''}` : r.alarmState ? `alarm is ${r.alarmState}` : `has no data yet (${r.reason})`;
        findings.push({ severity: unreadable ? 'blocking' : 'info', source: 'metrics', message: `metric check ${r.check} ${unreadable ? `cannot be read: ${r.reason!.slice(NOT_READ.length)}` : what}` });
      }
      if (results.length === 0 && metrics.length === 0) findings.push({ severity: 'warning', source: 'smoke', message: 'no smoke checks configured' });
      return { findings };
    },

    /**
     * Checks every interval: the smoke checks, and the metric checks that run in this phase.
     * Returns when `failureThreshold` smoke checks in a row failed, or a metric check failed
     * its own threshold of times in a row. Each heartbeat carries the counts (and every metric
     * check's last reading), so a retried watcher resumes them and the API can show them.
     */
    async watchHealth(input: WatchHealthInput): Promise<HealthBreach> {
      const resumed = activityContext()?.info.heartbeatDetails as WatcherProgress | undefined;
      let consecutive = resumed?.consecutive ?? 0;
      const at = input.metrics;
      const checks = at ? (input.health.metrics ?? []).filter((c) => c.phases[at.phase]) : [];
      const counts = new Map((resumed?.checks ?? []).filter((v) => v.phase === at?.phase).map((v) => [v.check, v.consecutiveFailures]));
      const breach = (found: HealthBreach): HealthBreach => {
        recordBreach();
        activityContext()?.log.warn('health breach', { reason: found.reason, consecutiveFailures: found.consecutiveFailures });
        return found;
      };
      return pollUntil(
        async (round) => {
          const [results, readings] = await Promise.all([Promise.all(input.health.smoke.map(smoke)), Promise.all(checks.map((c) => signals.evaluate(c, at!)))]);
          const failed = results.find((r) => !r.ok);
          consecutive = failed ? consecutive + 1 : 0;
          const verdicts = readings.map((r, i) => countReading(r, checks[i].phases[at!.phase]!, counts.get(r.check) ?? 0));
          for (const v of verdicts) counts.set(v.check, v.consecutiveFailures);
          round.progress = { consecutive, lastReason: failed?.reason, ...(verdicts.length && { checks: verdicts }) } satisfies WatcherProgress;
          if (input.health.smoke.length > 0 && consecutive >= input.health.failureThreshold) {
            return breach({ reason: failed?.reason ?? 'smoke check failed', consecutiveFailures: consecutive });
          }
          const metric = verdicts.find((v) => v.consecutiveFailures >= v.failureThreshold);
          if (metric) return breach({ reason: describeVerdict(metric), consecutiveFailures: metric.consecutiveFailures, check: metric });
        },
        { describe: 'a health breach of green', interval: input.health.interval },
      );
    },
  };
}
