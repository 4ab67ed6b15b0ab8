// API configuration, validated at boot: a wrong setting fails the start with its name.
import { readFileSync } from 'node:fs';
import { cutoverMode, temporalSettings, type TemporalSettings } from '../worker/config.js';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
}

export interface ApiConfig {
  host: string;
  port: number;
  /** bearer token → who and what they may do */
  tokens: Map<string, Principal>;
  temporal: TemporalSettings;
}

/** The sandbox's well-known tokens (DESIGN §6); never used in aws mode. */
export const SANDBOX_TOKENS: Record<string, Principal> = {
  'dev-operator': { subject: 'ops@sandbox', role: 'operator' },
  'dev-approver-1': { subject: 'alice@sandbox', role: 'approver' },
  'dev-approver-2': { subject: 'bob@sandbox', role: 'approver' },
  'dev-viewer': { subject: 'viewer@sandbox', role: 'viewer' },
};

export class ConfigError extends Error {}

export function parseTokens(source: string, raw: unknown): Map<string, Principal> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: must be an object of token → {subject, role}`);
  const tokens = new Map<string, Principal>();
  for (const [token, value] of Object.entries(raw)) {
    const p = value as Partial<Principal>;
    if (token.length < 8) throw new ConfigError(`${source}: a token must be at least 8 characters (subject ${p?.subject ?? '?'})`);
    if (typeof p?.subject !== 'string' || !p.subject) throw new ConfigError(`${source}: token entry without a subject`);
    if (!ROLES.includes(p.role as Role)) throw new ConfigError(`${source}: role of ${p.subject} must be one of ${ROLES.join(', ')}`);
    tokens.set(token, { subject: p.subject, role: p.role as Role });
  }
  return tokens;
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const port = Number(env.CUTOVER_API_PORT ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`CUTOVER_API_PORT must be a port number, got "${env.CUTOVER_API_PORT}"`);
  let tokens: Map<string, Principal>;
  if (env.CUTOVER_TOKENS_FILE) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(env.CUTOVER_TOKENS_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`CUTOVER_TOKENS_FILE (${env.CUTOVER_TOKENS_FILE}): ${(err as Error).message}`);
    }
    tokens = parseTokens('CUTOVER_TOKENS_FILE', raw);
  } else if (cutoverMode(env) === 'sandbox') {
    tokens = parseTokens('sandbox tokens', SANDBOX_TOKENS);
  } else {
    throw new ConfigError('CUTOVER_TOKENS_FILE is required when CUTOVER_MODE=aws');
  }
  return { host: env.CUTOVER_API_HOST ?? '127.0.0.1', port, tokens, temporal: temporalSettings(env) };
}
