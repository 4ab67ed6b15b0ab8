// API configuration, validated at boot: every wrong setting is reported at once, by its
// name, before the process listens — not at the first request that needs it.
import { awsEndpoint, cutoverMode, temporalSettings, type TemporalSettings } from '../config/connections.js';
import { logLevel as readLogLevel, type LogLevel } from '../config/log-level.js';
import { integerSetting, jsonObjectSetting } from '../config/settings.js';
import { readFreezeCalendars, type FreezeCalendars } from '../config/freeze-calendars.js';
import { readTeams, ROLES, teamRolesOf, type Role, type TeamsConfig } from '../config/teams.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import type { NamedPolicies } from '../workflows/spec-defaults.js';
import { readApprovalPolicies } from '../config/approval-policies.js';

export { ROLES, type Role } from '../config/teams.js';

/** A static token's entry: who uses it, their role outside teams, and their groups (which CUTOVER_TEAMS and approval policies name). */
export interface TokenEntry {
  subject: string;
  /** The role everywhere outside team scopes; may be left out when the groups have roles in CUTOVER_TEAMS. */
  role?: Role;
  groups: string[];
}

/** Who calls the API, resolved once per request from their token (api/plugins/auth.ts). */
export interface Principal {
  subject: string;
  /** The highest role anywhere (global, in any team, admin = approver): what a route's least role is checked against. */
  role: Role;
  /** The static token's groups, or the OIDC groups claim: approval policies name them. */
  groups: string[];
  /** The role from the token or CUTOVER_OIDC_GROUP_ROLES, outside team scopes: it decides on migrations without a team. */
  globalRole?: Role;
  /** team → role, from CUTOVER_TEAMS. */
  teams: Record<string, Role>;
  /** An admin of CUTOVER_TEAMS: approver in every team. */
  admin: boolean;
}

export const DEFAULT_EVENTS_POLL_MS = 1_000;
/** How long a status Query may wait for a worker before the API answers 503: long enough for a busy worker, short enough not to keep a client hanging. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
/** How long a request (an Update) may wait for a worker to accept it before the API answers 503. */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 20_000;
/** How long rollback?wait=true waits for blue to carry everything before answering 202 (the rollback goes on): a rollback takes about a second, and proxies cut idle requests at a minute. */
export const DEFAULT_ROLLBACK_WAIT_MS = 50_000;

/** The largest request body read: a spec is a few kB, and its arrays are bounded (MAX_ITEMS). */
export const BODY_LIMIT_BYTES = 1024 * 1024;


/** People sign in with an OpenID Connect provider; the API verifies their JWTs (api/oidc.ts). */
export interface OidcConfig {
  /** Exactly as the provider names itself in its tokens' `iss` and its discovery document. */
  issuer: string;
  /** The `aud` the provider puts in tokens for Cutover. */
  audience: string;
  /** The claim whose value is the person's name in the audit log (default `sub`). */
  subjectClaim: string;
  /** The claim listing the person's groups (default `groups`). */
  groupsClaim: string;
  /** group → role; a person in several mapped groups gets the highest role. */
  groupRoles: Record<string, Role>;
}

export interface ApiConfig {
  host: string;
  port: number;
  /**
   * Static bearer token → who and what they may do. A key is the token itself or
   * `sha256:<hex>`, the SHA-256 of the token, so the file need not hold it. May be empty when
   * `oidc` is set.
   */
  tokens: Map<string, TokenEntry>;
  oidc?: OidcConfig;
  /** Team scopes (CUTOVER_TEAMS); without them every migration is governed by global roles alone. */
  teams?: TeamsConfig;
  temporal: TemporalSettings;
  logLevel?: LogLevel;
  /** How often the events stream asks a migration for its status (default DEFAULT_EVENTS_POLL_MS). */
  eventsPollMs?: number;
  /** How long a status Query waits for a worker (default DEFAULT_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  /** How long an approval, rollback or other request waits for a worker to accept it (default DEFAULT_ACCEPT_TIMEOUT_MS). */
  acceptTimeoutMs?: number;
  /** How long rollback?wait=true waits for blue to carry everything again (default DEFAULT_ROLLBACK_WAIT_MS). */
  rollbackWaitMs?: number;
  /** Approval policies a spec may name (CUTOVER_APPROVAL_POLICIES). */
  approvalPolicies?: NamedPolicies;
  /** Where the API looks up blue's Kubernetes version (moto in the sandbox; undefined = AWS). */
  awsEndpoint?: string;
  /** Change-freeze calendars (CUTOVER_FREEZE_CALENDARS): a spec's named calendars must exist; plans show their effect. */
  freezeCalendars?: FreezeCalendars;
}

/** The sandbox's well-known tokens (the README lists them); never used in aws mode. */
export const SANDBOX_TOKENS: Record<string, TokenEntry> = {
  'dev-operator': { subject: 'ops@sandbox', role: 'operator', groups: ['oncall'] },
  'dev-approver-1': { subject: 'alice@sandbox', role: 'approver', groups: ['leads'] },
  'dev-approver-2': { subject: 'bob@sandbox', role: 'approver', groups: ['leads'] },
  'dev-approver-3': { subject: 'carol@sandbox', role: 'approver', groups: ['sre'] },
  'dev-viewer': { subject: 'viewer@sandbox', role: 'viewer', groups: ['engineering'] },
};

/** The principal of a token's entry or an OIDC identity: its global role with its roles in the teams. */
export function resolvePrincipal(identity: { subject: string; role?: Role; groups: readonly string[] }, teams: TeamsConfig | undefined): Principal | undefined {
  const scoped = teamRolesOf(teams, identity.subject, identity.groups);
  let role: Role | undefined = scoped.admin ? 'approver' : identity.role;
  for (const teamRole of Object.values(scoped.teams)) if (!role || ROLES.indexOf(teamRole) > ROLES.indexOf(role)) role = teamRole;
  if (!role) return undefined;
  return { subject: identity.subject, role, groups: [...identity.groups], globalRole: identity.role, teams: scoped.teams, admin: scoped.admin };
}

export class ConfigError extends Error {}

const MIN_TOKEN_LENGTH = 8;
/** A tokens-file key that holds the SHA-256 of a token instead of the token. */
export const HASHED_TOKEN = /^sha256:([0-9a-f]{64})$/i;
/** RFC 6750's b64token: the characters a bearer token may have (the API refuses others with a 400). */
export const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function parseTokens(source: string, raw: Record<string, unknown>): Map<string, TokenEntry> {
  const tokens = new Map<string, TokenEntry>();
  const problems: string[] = [];
  Object.entries(raw).forEach(([token, value], i) => {
    const p = (value ?? {}) as Partial<Record<keyof TokenEntry, unknown>>;
    // Never echo a token: name the entry by its position and subject.
    const which = `entry ${i + 1}${typeof p.subject === 'string' && p.subject ? ` (${p.subject})` : ''}`;
    if (token.toLowerCase().startsWith('sha256:')) {
      if (!HASHED_TOKEN.test(token)) problems.push(`${which}: a sha256: key must be followed by the 64 hex digits of the token's SHA-256`);
    } else {
      if (token.length < MIN_TOKEN_LENGTH) problems.push(`${which}: token must be at least ${MIN_TOKEN_LENGTH} characters`);
      if (!BEARER_TOKEN.test(token)) problems.push(`${which}: token may have only letters, digits, -._~+/ and trailing = (RFC 6750), so that a client can send it`);
    }
    if (typeof p.subject !== 'string' || !p.subject) problems.push(`${which}: subject is required`);
    const groups = p.groups ?? [];
    const groupsGood = Array.isArray(groups) && groups.every((g) => typeof g === 'string' && g.trim() !== '');
    if (!groupsGood) problems.push(`${which}: groups must be an array of group names`);
    // Without a role, the groups must give one in CUTOVER_TEAMS (checked once the teams are read).
    if (p.role === undefined ? !(groupsGood && (groups as string[]).length) : !ROLES.includes(p.role as Role)) {
      problems.push(`${which}: role must be one of ${ROLES.join(', ')}${p.role === undefined ? ' (or leave it out and give groups that CUTOVER_TEAMS gives a role)' : ''}`);
    }
    tokens.set(token, { subject: String(p.subject), ...(p.role !== undefined && { role: p.role as Role }), groups: groupsGood ? [...(groups as string[])] : [] });
  });
  if (problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  if (tokens.size === 0) throw new ConfigError(`${source}: no tokens configured, nobody could use the API`);
  return tokens;
}

/** The static tokens; none (an empty map) when people sign in with OIDC only. */
function readTokens(env: NodeJS.ProcessEnv, oidc: boolean): Map<string, TokenEntry> {
  const problems: string[] = [];
  const setting = jsonObjectSetting(env, 'CUTOVER_TOKENS', '(expected {"<token>": {"subject": …, "role": …, "groups": […]}})', problems, 'must be an object of token → {subject, role}');
  if (problems.length) throw new ConfigError(problems.join('; '));
  if (setting) return parseTokens(setting.source, setting.value);
  if (cutoverMode(env) === 'sandbox') return parseTokens('sandbox tokens', SANDBOX_TOKENS);
  if (oidc) return new Map();
  throw new ConfigError('CUTOVER_OIDC_ISSUER or CUTOVER_TOKENS_FILE or CUTOVER_TOKENS is required when CUTOVER_MODE=aws');
}

const OIDC_VARIABLES = ['CUTOVER_OIDC_AUDIENCE', 'CUTOVER_OIDC_SUBJECT_CLAIM', 'CUTOVER_OIDC_GROUPS_CLAIM', 'CUTOVER_OIDC_GROUP_ROLES', 'CUTOVER_OIDC_GROUP_ROLES_FILE'] as const;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** OIDC sign-in, enabled by CUTOVER_OIDC_ISSUER; every problem is pushed to `problems`. */
function readOidc(env: NodeJS.ProcessEnv, problems: string[]): OidcConfig | undefined {
  const issuer = env.CUTOVER_OIDC_ISSUER;
  if (!issuer) {
    const stray = OIDC_VARIABLES.filter((name) => env[name]);
    if (stray.length) problems.push(`${stray.join(', ')} set without CUTOVER_OIDC_ISSUER, which turns OIDC sign-in on`);
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    problems.push(`CUTOVER_OIDC_ISSUER must be a URL, got "${issuer}"`);
  }
  // Keys fetched over plain HTTP could be swapped on the way; only a loopback issuer (tests) may use it.
  if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    problems.push(`CUTOVER_OIDC_ISSUER must be an https URL (http only on loopback), got "${issuer}"`);
  }
  const audience = env.CUTOVER_OIDC_AUDIENCE?.trim();
  if (!audience) problems.push('CUTOVER_OIDC_AUDIENCE is required with CUTOVER_OIDC_ISSUER: the audience the provider puts in tokens for Cutover');
  const claim = (name: string, fallback: string) => {
    const value = env[name]?.trim() || fallback;
    if (/\s/.test(value)) problems.push(`${name} must be a claim name, got "${env[name]}"`);
    return value;
  };
  const subjectClaim = claim('CUTOVER_OIDC_SUBJECT_CLAIM', 'sub');
  const groupsClaim = claim('CUTOVER_OIDC_GROUPS_CLAIM', 'groups');
  const groupRoles = readGroupRoles(env, problems);
  return { issuer, audience: audience ?? '', subjectClaim, groupsClaim, groupRoles };
}

/** group → role, from CUTOVER_OIDC_GROUP_ROLES (JSON) or the JSON file CUTOVER_OIDC_GROUP_ROLES_FILE. */
function readGroupRoles(env: NodeJS.ProcessEnv, problems: string[]): Record<string, Role> {
  const name = 'CUTOVER_OIDC_GROUP_ROLES';
  const shape = `(expected {"<group>": "${ROLES.join('|')}"})`;
  const atLeastOne = `must map at least one group to a role ${shape}`;
  if (!env[name] && !env[`${name}_FILE`]) {
    problems.push(`${name} or ${name}_FILE is required with CUTOVER_OIDC_ISSUER ${shape}`);
    return {};
  }
  const setting = jsonObjectSetting(env, name, shape, problems, atLeastOne);
  if (!setting) return {};
  const entries = Object.entries(setting.value);
  if (entries.length === 0) problems.push(`${setting.source}: ${atLeastOne}`);
  const roles: Record<string, Role> = {};
  for (const [group, role] of entries) {
    if (ROLES.includes(role as Role)) roles[group] = role as Role;
    else problems.push(`${setting.source}: group "${group}" has role ${JSON.stringify(role)}; a role is one of ${ROLES.join(', ')}`);
  }
  return roles;
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
  const port = integerSetting(env, env.CUTOVER_API_PORT !== undefined ? 'CUTOVER_API_PORT' : 'PORT', 0, 65535, problems) ?? 8080;
  const host = env.CUTOVER_API_HOST ?? '127.0.0.1';
  if (!host.trim()) problems.push('CUTOVER_API_HOST must not be empty');
  const logLevel = readLogLevel(env, problems);
  const eventsPollMs = integerSetting(env, 'CUTOVER_API_EVENTS_POLL_MS', 100, 60_000, problems) ?? DEFAULT_EVENTS_POLL_MS;
  const queryTimeoutMs = integerSetting(env, 'CUTOVER_API_QUERY_TIMEOUT_MS', 500, 60_000, problems) ?? DEFAULT_QUERY_TIMEOUT_MS;
  const acceptTimeoutMs = integerSetting(env, 'CUTOVER_API_ACCEPT_TIMEOUT_MS', 1_000, 120_000, problems) ?? DEFAULT_ACCEPT_TIMEOUT_MS;
  const rollbackWaitMs = integerSetting(env, 'CUTOVER_API_ROLLBACK_WAIT_MS', 1_000, 600_000, problems) ?? DEFAULT_ROLLBACK_WAIT_MS;
  const oidc = readOidc(env, problems);
  const approvalPolicies = readApprovalPolicies(env, problems);
  const freezeCalendars = readFreezeCalendars(env, problems);
  const tokens = mode ? attempt(() => readTokens(env, oidc !== undefined)) : undefined;
  const teams = readTeams(env, problems);
  // A token without a role of its own must get one from the teams, or nobody could use it.
  [...(tokens?.values() ?? [])].forEach((entry, i) => {
    if (entry.role === undefined && !resolvePrincipal(entry, teams)) {
      problems.push(`static token entry ${i + 1} (${entry.subject}) has no role, and none of its groups (${entry.groups.join(', ')}) has a role in ${teams ? 'CUTOVER_TEAMS' : 'team scopes: CUTOVER_TEAMS is not set'}`);
    }
  });
  const temporal = attempt(() => temporalSettings(env));
  if (env.CUTOVER_TEMPORAL_UI_URL !== undefined && !/^https?:\/\/[^\s/]+/.test(env.CUTOVER_TEMPORAL_UI_URL)) {
    problems.push(`CUTOVER_TEMPORAL_UI_URL must be an http(s) URL, got "${env.CUTOVER_TEMPORAL_UI_URL}"`);
  }
  if (problems.length || !tokens || !temporal) {
    throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return { host, port, tokens, oidc, teams, temporal, logLevel, eventsPollMs, queryTimeoutMs, acceptTimeoutMs, rollbackWaitMs, approvalPolicies, awsEndpoint: awsEndpoint(env), freezeCalendars };
}
