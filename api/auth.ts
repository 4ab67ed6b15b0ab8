// Bearer-token auth: token → subject and role; each route declares the least role it needs.
// It runs as the first hook (onRequest), before the body is even parsed, so an anonymous
// caller learns nothing about a route's schema and costs no parsing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ROLES, type Principal, type Role } from './config.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Finds the principal of `token`, comparing against every configured token in constant time. */
export function authenticate(tokens: Map<string, Principal>, token: string): Principal | undefined {
  const wanted = digest(token);
  let found: Principal | undefined;
  for (const [candidate, principal] of tokens) {
    if (timingSafeEqual(digest(candidate), wanted)) found = principal;
  }
  return found;
}

export const atLeast = (role: Role, least: Role) => ROLES.indexOf(role) >= ROLES.indexOf(least);

export function requireRole(tokens: Map<string, Principal>, least: Role) {
  return async (request: FastifyRequest) => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    const principal = match ? authenticate(tokens, match[1]) : undefined;
    if (!principal) {
      throw new HttpError(401, 'a valid bearer token is required (Authorization: Bearer <token>)', {}, { 'www-authenticate': 'Bearer' });
    }
    if (!atLeast(principal.role, least)) {
      throw new HttpError(403, `${principal.subject} has role ${principal.role}; this needs ${least} or above`);
    }
    request.principal = principal;
  };
}

/** The authenticated caller; only for routes behind requireRole. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its requireRole hook');
  return request.principal;
}
