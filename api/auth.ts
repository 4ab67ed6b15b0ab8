// Bearer-token auth: token → subject and role; routes declare the least role they need.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ROLES, type Principal, type Role } from './config.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Finds the principal of `token`, comparing every configured token in constant time. */
export function authenticate(tokens: Map<string, Principal>, token: string): Principal | undefined {
  const wanted = digest(token);
  let found: Principal | undefined;
  for (const [candidate, principal] of tokens) {
    if (timingSafeEqual(digest(candidate), wanted)) found = principal;
  }
  return found;
}

export function requireRole(tokens: Map<string, Principal>, least: Role) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const principal = match ? authenticate(tokens, match[1].trim()) : undefined;
    if (!principal) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: 'a valid bearer token is required' });
    }
    if (ROLES.indexOf(principal.role) < ROLES.indexOf(least)) {
      return reply.code(403).send({ error: 'Forbidden', message: `${principal.subject} has role ${principal.role}; this needs ${least}` });
    }
    request.principal = principal;
  };
}
