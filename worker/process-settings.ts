// The worker process's own settings, beside Temporal's (config/connections.ts): read once at
// start, every wrong one reported by its name before the worker connects — and a webhook URL
// (a secret) never echoed.
import { logLevel as readLogLevel, type LogLevel } from '../config/log-level.js';
import { integerSetting, jsonObjectSetting } from '../config/settings.js';
import { readFreezeCalendars, type FreezeCalendars } from '../config/freeze-calendars.js';
import type { HealthSettings } from '../activities/health.js';
import type { NotifySettings } from '../activities/notify.js';
import { NOTIFY_CHANNEL, PROMETHEUS_SERVER } from '../workflows/spec.js';
import type { PrometheusSettings } from '../activities/signals/index.js';
import { DEFAULT_CACHED_WORKFLOWS, prebuiltWorkflowBundle } from './worker.js';

export interface WorkerProcessSettings {
  /** CUTOVER_WORKER_HEALTH_PORT: serve /healthz and /readyz there (unset: no health server). */
  healthPort?: number;
  /** CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS: how long a stop waits for running activities (default 0). */
  shutdownGraceSeconds: number;
  /** CUTOVER_WORKER_CACHED_WORKFLOWS: how many workflows stay in memory between their events (default 1,000). */
  cachedWorkflows: number;
  /** CUTOVER_WORKFLOW_BUNDLE, or the bundle built into dist/; unset: bundle at start. */
  workflowBundle?: string;
  /** CUTOVER_WORKER_METRICS_PORT: Prometheus metrics there, on every interface (unset: none). */
  metricsPort?: number;
  /** LOG_LEVEL (default info). */
  logLevel: LogLevel;
  /** CUTOVER_DEPLOYMENT_NAME + CUTOVER_BUILD_ID: worker versioning, one build ID per release (unset: off). */
  deployment?: { name: string; buildId: string };
  /** Notification channels (CUTOVER_NOTIFY_CHANNELS[_FILE]) and the default webhook (CUTOVER_WEBHOOK_URL); none: notifications go to the log. */
  notify: NotifySettings;
  /** Hosts smoke checks may call (CUTOVER_SMOKE_ALLOWED_HOSTS; unset: any), and the Prometheus servers metric checks query. */
  health: HealthSettings;
  /** Change-freeze calendars (CUTOVER_FREEZE_CALENDARS[_FILE]); none: only specs' own windows. */
  freezeCalendars: FreezeCalendars;
}

const isHttpUrl = (value: unknown) => typeof value === 'string' && /^https?:\/\/[^\s/]+/.test(value) && URL.canParse(value);

/**
 * name → URL entries of `raw`, a JSON object (notification channels, Prometheus servers): a bad
 * entry is named by `source` and its name, never by its URL (it may hold a secret).
 */
function namedUrls(source: string, raw: Record<string, unknown>, noun: string, pattern: string, problems: string[]): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [name, url] of Object.entries(raw)) {
    if (!new RegExp(pattern).test(name) || name.length > 100) problems.push(`${source}: "${name}" is not a ${noun} name (letters, digits, . _ -)`);
    else if (!isHttpUrl(url)) problems.push(`${source}: ${noun} ${name} needs an http(s) URL`);
    else urls[name] = url as string;
  }
  return urls;
}

/** channel → webhook URL, from CUTOVER_NOTIFY_CHANNELS (JSON) or the JSON file CUTOVER_NOTIFY_CHANNELS_FILE. */
function readChannels(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string> {
  const shape = '(expected {"<channel>": "https://<webhook URL>"})';
  const setting = jsonObjectSetting(env, 'CUTOVER_NOTIFY_CHANNELS', shape, problems);
  return setting ? namedUrls(setting.source, setting.value, 'channel', NOTIFY_CHANNEL, problems) : {};
}

const HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/i;

/** Host patterns smoke checks may call, from CUTOVER_SMOKE_ALLOWED_HOSTS (comma-separated); unset means any. */
function readSmokeHosts(env: NodeJS.ProcessEnv, problems: string[]): string[] | undefined {
  const raw = env.CUTOVER_SMOKE_ALLOWED_HOSTS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const patterns = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = patterns.filter((p) => !HOST_PATTERN.test(p));
  if (bad.length) {
    problems.push(`CUTOVER_SMOKE_ALLOWED_HOSTS: ${bad.map((p) => `"${p}"`).join(', ')} ${bad.length > 1 ? 'are not host patterns' : 'is not a host pattern'} (a host such as green-lb.example.com or 10.0.0.5, or *.elb.amazonaws.com)`);
  }
  return patterns;
}

/**
 * The Prometheus servers metric checks may query: CUTOVER_PROMETHEUS_URL (the default) and
 * CUTOVER_PROMETHEUS_SERVERS (JSON {"<name>": "<URL>"}, for checks that name one) or the JSON
 * file CUTOVER_PROMETHEUS_SERVERS_FILE. A URL may carry credentials
 * (https://user:password@host/): a problem names the variable and the server, never the URL.
 */
function readPrometheus(env: NodeJS.ProcessEnv, problems: string[]): PrometheusSettings {
  const defaultUrl = env.CUTOVER_PROMETHEUS_URL || undefined;
  if (defaultUrl && !isHttpUrl(defaultUrl)) problems.push('CUTOVER_PROMETHEUS_URL must be an http(s) URL');
  const shape = '(expected {"<name>": "https://<Prometheus URL>"})';
  const setting = jsonObjectSetting(env, 'CUTOVER_PROMETHEUS_SERVERS', shape, problems, `must be a JSON object ${shape}`);
  const servers = setting ? namedUrls(setting.source, setting.value, 'server', PROMETHEUS_SERVER, problems) : {};
  return { ...(defaultUrl && isHttpUrl(defaultUrl) && { defaultUrl }), servers };
}

export function workerProcessSettings(env: NodeJS.ProcessEnv = process.env): WorkerProcessSettings {
  const problems: string[] = [];
  const healthPort = integerSetting(env, 'CUTOVER_WORKER_HEALTH_PORT', 0, 65535, problems);
  const shutdownGraceSeconds = integerSetting(env, 'CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS', 0, 3600, problems) ?? 0;
  const metricsPort = integerSetting(env, 'CUTOVER_WORKER_METRICS_PORT', 0, 65535, problems);
  const cachedWorkflows = integerSetting(env, 'CUTOVER_WORKER_CACHED_WORKFLOWS', 1, 1_000_000, problems) ?? DEFAULT_CACHED_WORKFLOWS;
  const logLevel = readLogLevel(env, problems);
  const name = env.CUTOVER_DEPLOYMENT_NAME || undefined;
  const buildId = env.CUTOVER_BUILD_ID || undefined;
  if (!!name !== !!buildId) problems.push('CUTOVER_DEPLOYMENT_NAME and CUTOVER_BUILD_ID go together: set both for worker versioning, or neither');
  let workflowBundle: string | undefined;
  try {
    workflowBundle = prebuiltWorkflowBundle(env);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const channels = readChannels(env, problems);
  const defaultUrl = env.CUTOVER_WEBHOOK_URL || undefined;
  if (defaultUrl && !isHttpUrl(defaultUrl)) problems.push('CUTOVER_WEBHOOK_URL must be an http(s) URL');
  const smokeAllowedHosts = readSmokeHosts(env, problems);
  const prometheus = readPrometheus(env, problems);
  const freezeCalendars = readFreezeCalendars(env, problems);
  if (problems.length) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    healthPort,
    shutdownGraceSeconds,
    cachedWorkflows,
    workflowBundle,
    metricsPort,
    logLevel,
    ...(name && buildId ? { deployment: { name, buildId } } : {}),
    notify: { channels, defaultUrl },
    health: { smokeAllowedHosts, prometheus },
    freezeCalendars,
  };
}
