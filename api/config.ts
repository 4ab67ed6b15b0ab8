// API configuration, validated at boot: every wrong setting is reported at once, by its
// name, before the process listens — not at the first request that needs it.
import { readFileSync } from 'node:fs';
import { awsEndpoint, cutoverMode, temporalSettings, type TemporalSettings } from '../config/connections.js';
import { TASK_QUEUE } from '../workflows/messages.js';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
}

export const DEFAULT_EVENTS_POLL_MS = 1_000;
/** How long a status Query may wait for a worker before the API answers 503: long enough for a busy worker, short enough not to keep a client hanging. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
/** How long a request (an Update) may wait for a worker to accept it before the API answers 503. */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 20_000;

/** The largest request body read: a spec is a few kB, and its arrays are bounded (MAX_ITEMS). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ApiConfig {
  host: string;
  port: number;
  /** bearer token → who and what they may do */
  tokens: Map<string, Principal>;
  temporal: TemporalSettings;
  logLevel?: LogLevel;
  /** How often the events stream asks a migration for its status (default DEFAULT_EVENTS_POLL_MS). */
  eventsPollMs?: number;
  /** How long a status Query waits for a worker (default DEFAULT_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  /** How long an approval, rollback or other request waits for a worker to accept it (default DEFAULT_ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs?: number;
  /** Where the API looks up blue's Kubernetes version (moto in the sandbox; undefined = AWS). */
  awsEndpoint?: string;
}

/** The sandbox's well-known tokens (the README lists them); never used in aws mode. */
export const SANDBOX_TOKENS: Record<string, Principal> = {
  'dev-operator': { subject: 'ops@sandbox', role: 'operator' },
  'dev-approver-1': { subject: 'alice@sandbox', role: 'approver' },
  'dev-approver-2': { subject: 'bob@sandbox', role: 'approver' },
  'dev-viewer': { subject: 'viewer@sandbox', role: 'viewer' },
};

export class ConfigError extends Error {}

const MIN_TOKEN_LENGTH = 8;
/** RFC 6750's b64token: the characters a bearer token may have (the API refuses others with a 400). */
export const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function parseTokens(source: string, raw: unknown): Map<string, Principal> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: must be an object of token → {subject, role}`);
  const tokens = new Map<string, Principal>();
  const problems: string[] = [];
  Object.entries(raw).forEach(([token, value], i) => {
    const p = (value ?? {}) as Partial<Principal>;
    // Never echo a token: name the entry by its position and subject.
    const which = `entry ${i + 1}${typeof p.subject === 'string' && p.subject ? ` (${p.subject})` : ''}`;
    if (token.length < MIN_TOKEN_LENGTH) problems.push(`${which}: token must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (!BEARER_TOKEN.test(token)) problems.push(`${which}: token may have only letters, digits, -._~+/ and trailing = (RFC 6750), so that a client can send it`);
    if (typeof p.subject !== 'string' || !p.subject) problems.push(`${which}: subject is required`);
    if (!ROLES.includes(p.role as Role)) problems.push(`${which}: role must be one of ${ROLES.join(', ')}`);
    tokens.set(token, { subject: String(p.subject), role: p.role as Role });
  });
  if (problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  if (tokens.size === 0) throw new ConfigError(`${source}: no tokens configured, nobody could use the API`);
  return tokens;
}

function readTokens(env: NodeJS.ProcessEnv): Map<string, Principal> {
  if (env.CUTOVER_TOKENS_FILE && env.CUTOVER_TOKENS) throw new ConfigError('set CUTOVER_TOKENS_FILE or CUTOVER_TOKENS, not both');
  if (env.CUTOVER_TOKENS_FILE) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(env.CUTOVER_TOKENS_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`CUTOVER_TOKENS_FILE (${env.CUTOVER_TOKENS_FILE}): ${(err as Error).message}`);
    }
    return parseTokens('CUTOVER_TOKENS_FILE', raw);
  }
  if (env.CUTOVER_TOKENS) {
    let raw: unknown;
    try {
      raw = JSON.parse(env.CUTOVER_TOKENS);
    } catch {
      throw new ConfigError('CUTOVER_TOKENS: not valid JSON (expected {"<token>": {"subject": …, "role": …}})');
    }
    return parseTokens('CUTOVER_TOKENS', raw);
  }
  if (cutoverMode(env) === 'sandbox') return parseTokens('sandbox tokens', SANDBOX_TOKENS);
  throw new ConfigError('CUTOVER_TOKENS_FILE or CUTOVER_TOKENS is required when CUTOVER_MODE=aws');
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** An in-process API with the sandbox tokens, for tests and benchmarks (no env, no listening port). */
export function sandboxApiConfig(temporalAddress: string, uiUrl: string, extra: Partial<ApiConfig> = {}): ApiConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    tokens: parseTokens('sandbox tokens', SANDBOX_TOKENS),
    temporal: { connection: { address: temporalAddress }, namespace: 'default', uiUrl, taskQueue: TASK_QUEUE },
    ...extra,
  };
}

/** Reads and checks every setting; throws one ConfigError listing all problems. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const mode = attempt(() => cutoverMode(env));
  const port = integer(env, env.CUTOVER_API_PORT !== undefined ? 'CUTOVER_API_PORT' : 'PORT', 8080, 0, 65535, problems);
  const host = env.CUTOVER_API_HOST ?? '127.0.0.1';
  if (!host.trim()) problems.push('CUTOVER_API_HOST must not be empty');
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const eventsPollMs = integer(env, 'CUTOVER_API_EVENTS_POLL_MS', DEFAULT_EVENTS_POLL_MS, 100, 60_000, problems);
  const queryTimeoutMs = integer(env, 'CUTOVER_API_QUERY_TIMEOUT_MS', DEFAULT_QUERY_TIMEOUT_MS, 500, 60_000, problems);
  const acceptTimeoutMs = integer(env, 'CUTOVER_API_ACCEPT_TIMEOUT_MS', DEFAULT_ACCEPT_TIMEOUT_MS, 1_000, 120_000, problems);
  const tokens = mode ? attempt(() => readTokens(env)) : undefined;
  const temporal = attempt(() => temporalSettings(env));
  if (env.CUTOVER_TEMPORAL_UI_URL !== undefined && !/^https?:\/\/[^\s/]+/.test(env.CUTOVER_TEMPORAL_UI_URL)) {
    problems.push(`CUTOVER_TEMPORAL_UI_URL must be an http(s) URL, got "${env.CUTOVER_TEMPORAL_UI_URL}"`);
  }
  if (problems.length || !tokens || !temporal) {
    throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return { host, port, tokens, temporal, logLevel, eventsPollMs, queryTimeoutMs, acceptTimeoutMs, awsEndpoint: awsEndpoint(env) };
}
