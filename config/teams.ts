// Team scopes (CUTOVER_TEAMS, inline JSON or CUTOVER_TEAMS_FILE): which groups and people have
// which role in which team, and who is an admin across every team. A migration names its team
// (spec.team); acting on it then needs a role in that team (docs/policies.md, "Team scopes").
// Read by the API at start: a wrong entry stops it, naming the variable and the entry.
import { TEAM_NAME } from '../workflows/spec-values.js';
import { jsonObjectSetting } from './settings.js';

/** Roles, least first: each includes what the ones before it may do. */
export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export { TEAM_NAME };
const TEAM_NAME_RE = new RegExp(TEAM_NAME);

/** The key of CUTOVER_TEAMS that lists the admins instead of a team (so no team is named so). */
export const ADMINS_KEY = 'admins';
/** A member entry naming a person (a token's or an OIDC subject) rather than a group. */
export const SUBJECT_PREFIX = 'subject:';

/** Who is a member: by group (OIDC groups claim, a static token's `groups`) or by subject. */
export interface Members {
  groups: string[];
  subjects: string[];
}

export interface TeamsConfig {
  /** team → role → members. */
  teams: Record<string, Partial<Record<Role, Members>>>;
  /** Admins have the approver role in every team (and on migrations without a team). */
  admins: Members;
}

/** What a person is in the teams: their role in each team they have one in, and whether they are an admin. */
export interface TeamRoles {
  teams: Record<string, Role>;
  admin: boolean;
}

export const rank = (role: Role) => ROLES.indexOf(role);
export const atLeast = (role: Role | undefined, least: Role) => role !== undefined && rank(role) >= rank(least);
/** The higher of two roles (either may be missing). */
export const higher = (a: Role | undefined, b: Role | undefined): Role | undefined => (a === undefined ? b : b === undefined ? a : rank(a) >= rank(b) ? a : b);

const SHAPE = `(expected {"<team>": {"approver": ["<group>", "subject:<person>"], "operator": […], "viewer": […]}, "${ADMINS_KEY}": ["<group>", "subject:<person>"]})`;

function members(list: unknown, where: string, problems: string[]): Members {
  const found: Members = { groups: [], subjects: [] };
  if (!Array.isArray(list)) {
    problems.push(`${where} must be an array of group names and "${SUBJECT_PREFIX}<person>" entries`);
    return found;
  }
  list.forEach((entry, i) => {
    if (typeof entry !== 'string' || !entry.trim() || entry !== entry.trim()) {
      problems.push(`${where}[${i}] must be a group name or "${SUBJECT_PREFIX}<person>", got ${JSON.stringify(entry)}`);
    } else if (entry.startsWith(SUBJECT_PREFIX)) {
      const subject = entry.slice(SUBJECT_PREFIX.length);
      if (!subject) problems.push(`${where}[${i}] names no person after "${SUBJECT_PREFIX}"`);
      else found.subjects.push(subject);
    } else {
      found.groups.push(entry);
    }
  });
  return found;
}

/** CUTOVER_TEAMS, checked; undefined when unset (no team scopes: global roles only). Every problem is pushed, naming the entry. */
export function readTeams(env: NodeJS.ProcessEnv, problems: string[]): TeamsConfig | undefined {
  const setting = jsonObjectSetting(env, 'CUTOVER_TEAMS', SHAPE, problems);
  if (!setting) return undefined;
  const { source, value } = setting;
  const config: TeamsConfig = { teams: {}, admins: { groups: [], subjects: [] } };
  const before = problems.length;
  for (const [key, entry] of Object.entries(value)) {
    if (key === ADMINS_KEY) {
      config.admins = members(entry, `${source}: ${ADMINS_KEY}`, problems);
      continue;
    }
    const where = `${source}: team "${key}"`;
    if (!TEAM_NAME_RE.test(key)) {
      problems.push(`${where}: a team's name is 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where} must be an object of role → members, e.g. {"approver": ["${key}-leads"], "operator": ["${key}-oncall"]}`);
      continue;
    }
    const roles: Partial<Record<Role, Members>> = {};
    const beforeTeam = problems.length;
    for (const [role, list] of Object.entries(entry as Record<string, unknown>)) {
      if (!ROLES.includes(role as Role)) {
        problems.push(`${where}: "${role}" is not a role; a role is one of ${ROLES.join(', ')}`);
        continue;
      }
      roles[role as Role] = members(list, `${where}.${role}`, problems);
    }
    if (problems.length === beforeTeam && !Object.values(roles).some((m) => m.groups.length || m.subjects.length)) {
      problems.push(`${where} names nobody: give at least one role a group or "${SUBJECT_PREFIX}<person>"`);
    }
    config.teams[key] = roles;
  }
  if (problems.length === before && Object.keys(config.teams).length === 0) problems.push(`${source}: names no team ${SHAPE}`);
  return problems.length === before ? config : undefined;
}

const isMember = (m: Members | undefined, subject: string, groups: readonly string[]) => !!m && (m.subjects.includes(subject) || m.groups.some((g) => groups.includes(g)));

/** A person's roles in the teams (the highest where several entries name them) and whether they are an admin. */
export function teamRolesOf(config: TeamsConfig | undefined, subject: string, groups: readonly string[]): TeamRoles {
  const found: TeamRoles = { teams: {}, admin: false };
  if (!config) return found;
  found.admin = isMember(config.admins, subject, groups);
  for (const [team, roles] of Object.entries(config.teams)) {
    let best: Role | undefined;
    for (const role of ROLES) if (isMember(roles[role], subject, groups)) best = higher(best, role);
    if (best) found.teams[team] = best;
  }
  return found;
}
