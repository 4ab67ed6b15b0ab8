// People sign in with an OpenID Connect provider: the API verifies each JWT (signature against
// the provider's published keys, issuer, audience, expiry) and maps the person's groups to a
// role. The provider's keys are found through its discovery document the first time a JWT
// comes, then cached and refreshed by jose when a token names a key not seen yet.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, errors, type JWTPayload } from 'jose';
import type { TeamsConfig } from '../config/teams.js';
import { resolvePrincipal, ROLES, type OidcConfig, type Principal, type Role } from './config.js';
import { HttpError } from './errors.js';

/** Asymmetric algorithms only: a shared-secret (HS*) token could be forged with a public key. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clocks of the provider and the API may differ a little. */
const CLOCK_TOLERANCE_S = 30;
const PROVIDER_TIMEOUT_MS = 5_000;

/** Three dot-separated base64url parts (the last empty for an unsigned token): sent to OIDC, not to the static tokens. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** The highest role any of the person's groups maps to. */
export function roleOfGroups(groups: readonly string[], groupRoles: Record<string, Role>): Role | undefined {
  let best: Role | undefined;
  for (const group of groups) {
    const role = Object.hasOwn(groupRoles, group) ? groupRoles[group] : undefined;
    if (role && (!best || ROLES.indexOf(role) > ROLES.indexOf(best))) best = role;
  }
  return best;
}

function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  return Array.isArray(claim) ? claim.filter((g): g is string => typeof g === 'string') : [];
}

const unauthorized = (reason: string) => new HttpError(401, `invalid token: ${reason}`, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });

/** Why jose refused a token, short enough to tell the caller. */
function refusal(err: unknown): HttpError {
  if (err instanceof errors.JWTExpired) return unauthorized('expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return unauthorized('issued by another provider');
    if (err.claim === 'aud') return unauthorized('meant for another audience');
    if (err.claim === 'nbf') return unauthorized('not valid yet');
    return unauthorized(`claim ${err.claim} ${err.reason === 'missing' ? 'is missing' : 'is not valid'}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized('signed with an algorithm this API does not accept');
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthorized("signature does not match the provider's keys");
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return unauthorized('not a well-formed JWT');
  return providerUnavailable(err);
}

function providerUnavailable(cause: unknown): HttpError {
  const error = new HttpError(503, 'cannot check the token now: the identity provider did not answer; try again shortly', {}, { 'retry-after': '5' });
  error.cause = cause; // logged under the request ID, never sent
  return error;
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** The provider's key set, from the jwks_uri of its discovery document. */
async function discoverKeys(issuer: string): Promise<KeySet> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
  if (doc.issuer !== issuer) throw new Error(`${url} names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
  return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: PROVIDER_TIMEOUT_MS });
}

export type OidcVerifier = (token: string) => Promise<Principal>;

/** Verifies a JWT and returns its person: 401 for a token that is not good, 403 for a person without a mapped group (in the group roles or the teams). */
export function createOidcVerifier(config: OidcConfig, teams?: TeamsConfig): OidcVerifier {
  let keys: Promise<KeySet> | undefined;
  const keySet = () =>
    (keys ??= discoverKeys(config.issuer).catch((err: unknown) => {
      keys = undefined; // ask again with the next token
      throw providerUnavailable(err);
    }));

  return async (token) => {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthorized('not a well-formed JWT');
    }
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') throw unauthorized('unsigned (alg none) tokens are not accepted');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw err instanceof HttpError ? err : refusal(err);
    }
    const subject = payload[config.subjectClaim];
    if (typeof subject !== 'string' || !subject) throw unauthorized(`no ${config.subjectClaim} claim to name the person by`);
    const groups = groupsOf(payload[config.groupsClaim]);
    const principal = resolvePrincipal({ subject, role: roleOfGroups(groups, config.groupRoles), groups }, teams);
    if (!principal) {
      const where = teams ? 'CUTOVER_OIDC_GROUP_ROLES or CUTOVER_TEAMS' : 'CUTOVER_OIDC_GROUP_ROLES';
      throw new HttpError(403, `${subject} signed in, but none of their groups (claim ${config.groupsClaim}) has a role in Cutover; ask to be added to a group mapped in ${where}`);
    }
    return principal;
  };
}
