// Bearer-token auth for every route registered after it in its scope: a JWT from the OIDC
// provider (api/oidc.ts) or a static token from configuration → subject and role. Each route
// names the least role it needs in its options (`config: { role }`), and a route without one
// fails at boot. The check runs as the first hook (onRequest), before the
// body is parsed, so an anonymous caller learns nothing about a route's schema and costs no
// parsing. An Authorization header that could be read two ways is a 400, never a guess.
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { TeamsConfig } from '../../config/teams.js';
import { BEARER_TOKEN, HASHED_TOKEN, resolvePrincipal, ROLES, type OidcConfig, type Principal, type Role, type TokenEntry } from '../config.js';
import { HttpError } from '../errors.js';
import { createOidcVerifier, looksLikeJwt } from '../oidc.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a caller needs. */
    role?: Role;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Team scopes (CUTOVER_TEAMS), undefined without them: api/scopes.ts checks a caller's role on a migration. */
    teams: TeamsConfig | undefined;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

interface StaticToken {
  /** SHA-256 of the token: given as `sha256:<hex>`, or computed from a plain entry. */
  digest: Buffer;
  /** Undefined for an entry that has no role anywhere (its groups have none in the teams): a 403. */
  principal: Principal | undefined;
  subject: string;
}

/** Each token's principal, resolved once: its role with its roles in the teams. */
function staticTokens(tokens: Map<string, TokenEntry>, teams: TeamsConfig | undefined): StaticToken[] {
  return [...tokens].map(([key, entry]) => {
    const hashed = HASHED_TOKEN.exec(key);
    return { digest: hashed ? Buffer.from(hashed[1], 'hex') : digest(key), principal: resolvePrincipal(entry, teams), subject: entry.subject };
  });
}

/** Finds the entry of `token`, comparing its digest with every configured one in constant time. */
function authenticate(tokens: StaticToken[], token: string): StaticToken | undefined {
  const wanted = digest(token);
  let found: StaticToken | undefined;
  for (const candidate of tokens) {
    if (timingSafeEqual(candidate.digest, wanted)) found = candidate;
  }
  return found;
}

/** The principal of a static token, or a 403 for an entry whose groups have no role. */
function principalOfEntry(entry: StaticToken | undefined): Principal | undefined {
  if (entry && !entry.principal) throw new HttpError(403, `${entry.subject} has no role: none of the token's groups has a role in CUTOVER_TEAMS`);
  return entry?.principal;
}

const atLeast = (role: Role, least: Role) => ROLES.indexOf(role) >= ROLES.indexOf(least);

const ambiguous = (message: string) => new HttpError(400, `ambiguous Authorization header: ${message}`, { errors: [{ path: '/headers/authorization', message }] });

/**
 * The bearer token of a request, from its raw headers: Node keeps only the first of two
 * Authorization headers, so which one counted would depend on their order. Two headers, two
 * credentials in one, or a Bearer credential without exactly one well-formed token are a 400;
 * no header or another scheme (Basic, a bare token) is no token (401).
 */
function bearerToken(rawHeaders: string[]): string | undefined {
  const values = rawHeaders.filter((_, i) => i % 2 === 1 && rawHeaders[i - 1].toLowerCase() === 'authorization');
  if (values.length > 1) throw ambiguous(`sent ${values.length} times; send one`);
  const value = values[0]?.trim() ?? '';
  if (value.includes(',')) throw ambiguous('holds more than one credential (a comma-separated list); send one bearer token');
  const [scheme, ...rest] = value.split(/\s+/);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  if (rest.length === 0) throw ambiguous('Bearer without a token');
  if (rest.length > 1) throw ambiguous(`Bearer with ${rest.length} tokens; send one`);
  if (!BEARER_TOKEN.test(rest[0])) throw ambiguous('the bearer token has characters a token cannot have (RFC 6750: letters, digits, -._~+/ and trailing =)');
  return rest[0];
}

export interface AuthOptions {
  /** Static bearer token (or `sha256:<hex>` of one) → who and what they may do. */
  tokens: Map<string, TokenEntry>;
  /** With it, a bearer token that looks like a JWT is verified against this provider. */
  oidc?: OidcConfig;
  /** Team scopes: each person's roles in the teams, from their subject and groups. */
  teams?: TeamsConfig;
}

export default fp<AuthOptions>(
  async (app, options) => {
    const tokens = staticTokens(options.tokens, options.teams);
    const verifyJwt = options.oidc ? createOidcVerifier(options.oidc, options.teams) : undefined;
    app.decorateRequest('principal', null);
    app.decorate('teams', options.teams);
    app.addHook('onRoute', (route) => {
      if (!route.config?.role) throw new Error(`${String(route.method)} ${route.url} is behind auth and names no role (config: { role })`);
    });
    app.addHook('onRequest', async (request) => {
      const least = request.routeOptions.config.role!;
      const token = bearerToken(request.raw.rawHeaders);
      const principal = !token ? undefined : verifyJwt && looksLikeJwt(token) ? await verifyJwt(token) : principalOfEntry(authenticate(tokens, token));
      if (!principal) {
        throw new HttpError(401, 'a valid bearer token is required (Authorization: Bearer <token>)', {}, { 'www-authenticate': 'Bearer' });
      }
      if (!atLeast(principal.role, least)) {
        throw new HttpError(403, `${principal.subject} has role ${principal.role}; this needs ${least} or above`);
      }
      request.principal = principal;
    });
  },
  { name: 'auth', fastify: '5.x' },
);

/** The authenticated caller, on a route behind auth. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is not behind the auth plugin');
  return request.principal;
}
