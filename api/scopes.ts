// Team scopes on a migration (docs/policies.md, "Team scopes"): a migration that names its
// team (spec.team, search attribute CutoverTeam) is acted on only by people with a role in that
// team high enough for the action, or by an admin. A migration without a team, or an API
// without CUTOVER_TEAMS, is governed by global roles alone, as before teams existed. Every
// route that acts on a migration calls requireRoleOn(request, id, least) before acting.
import type { FastifyRequest } from 'fastify';
import { atLeast, type Role } from '../config/teams.js';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';
import type { Principal } from './config.js';
import { serverCall } from './deadlines.js';
import { HttpError } from './errors.js';
import { principalOf } from './plugins/auth.js';

/** The caller's role on a migration of `team` (undefined: no team): the team's role, or the global role; an admin is approver everywhere. */
export function roleOn(principal: Principal, team: string | undefined): Role | undefined {
  if (principal.admin) return 'approver';
  return team === undefined ? principal.globalRole : principal.teams[team];
}

/** The caller's roles in their teams, in words: "approver in team payments and viewer in team search". */
function rolesInWords(principal: Principal): string {
  const roles = Object.entries(principal.teams).map(([team, role]) => `${role} in team ${team}`);
  return roles.length ? roles.join(' and ') : 'in no team';
}

/** Why the caller may not do what needs `least` on a migration of `team`, or undefined when they may. */
export function refusal(principal: Principal, team: string | undefined, least: Role, what: string): string | undefined {
  const role = roleOn(principal, team);
  if (atLeast(role, least)) return undefined;
  const needs = `${what} needs ${least} or above in team ${team}`;
  if (team === undefined) {
    // Only a team role brought the caller past the route's check: a migration without a team takes global roles.
    return `${principal.subject} has ${principal.globalRole ? `global role ${principal.globalRole}` : 'no global role'} (they are ${rolesInWords(principal)}); ${what} names no team and needs the global role ${least} or above, or an admin`;
  }
  if (role) return `${principal.subject} is ${role} in team ${team}; ${needs}`;
  if (Object.keys(principal.teams).length) return `${principal.subject} is ${rolesInWords(principal)}, not in team ${team}; ${needs}`;
  // A global role (token, CUTOVER_OIDC_GROUP_ROLES) does not reach into a team.
  return `${principal.subject} has no role in team ${team}${principal.globalRole ? ` (their global role ${principal.globalRole} counts only on migrations without a team)` : ''}; ${needs}`;
}

/** The migration's team from its search attribute (one describe, no worker): a 404 for an unknown ID. */
export async function teamOf(request: FastifyRequest, id: string): Promise<string | undefined> {
  const client = request.server.temporal;
  const described = await serverCall(client, () => client.workflow.getHandle(id).describe());
  return described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.team);
}

/**
 * Refuses (403 naming the team) a caller whose role on migration `id` is below `least` (default:
 * the route's least role). Costs nothing without team scopes or for an admin; otherwise one
 * describe of the migration (404 for an unknown ID).
 */
export async function requireRoleOn(request: FastifyRequest, id: string, least: Role = request.routeOptions.config.role!): Promise<void> {
  const principal = principalOf(request);
  if (!request.server.teams || principal.admin) return;
  const team = await teamOf(request, id);
  const why = refusal(principal, team, least, `migration ${id}`);
  if (why) throw new HttpError(403, why, { id, ...(team && { team }) });
}

/** Refuses a caller who may not start (or otherwise act on) a migration of `team` with `least`: starting needs operator in the team. */
export function requireRoleIn(request: FastifyRequest, team: string | undefined, least: Role, what: string): void {
  const principal = principalOf(request);
  if (!request.server.teams || principal.admin) return;
  const why = refusal(principal, team, least, what);
  if (why) throw new HttpError(403, why, team ? { team } : {});
}
