// Every check a spec gets before the API plans or starts it: the workflow's own checks of the
// spec alone (checkSpec, shared with the CLI's plan and the workflow's plan), and what needs
// I/O or the service's settings — blue's version, when it can be known; the approval policies
// it names, and whether enough people could ever meet them. All issues are returned together,
// each naming its field.
import { compareMinor, KUBERNETES_MINOR } from '../workflows/kubernetes-version.js';
import { resolveSpec, type NamedPolicies } from '../workflows/spec-defaults.js';
import type { MigrationSpec, SpecIssue } from '../workflows/spec.js';
import { checkSpec } from '../workflows/spec-checks.js';
import { GATE_KINDS } from '../workflows/spec-values.js';
import type { TeamsConfig } from '../config/teams.js';
import type { ClusterVersionLookup } from './blue-version.js';
import type { Role } from './config.js';
import { HttpError } from './errors.js';
import { freezeIssues, type FreezeCalendars } from '../config/freeze-windows.js';

/** A team the API's CUTOVER_TEAMS does not know (only when it has teams: without them a team is a label for lists). */
export function teamIssues(spec: Pick<MigrationSpec, 'team'>, teams: TeamsConfig | undefined): SpecIssue[] {
  if (spec.team === undefined || !teams || Object.hasOwn(teams.teams, spec.team)) return [];
  return [{ path: '/team', message: `team "${spec.team}" is not one of the teams this API knows (CUTOVER_TEAMS): ${Object.keys(teams.teams).join(', ')}` }];
}

/** Someone the service knows by a static token, with the roles that token gives. */
export interface KnownApprover {
  subject: string;
  groups: string[];
  globalRole?: Role;
  teams: Record<string, Role>;
  admin: boolean;
}

/** Whether `p` may approve a migration of `team`: in the team when teams are configured, else by the global role. */
function approves(p: KnownApprover, team: string | undefined, teams: TeamsConfig | undefined): boolean {
  if (p.admin) return true;
  return team && teams ? p.teams[team] === 'approver' : p.globalRole === 'approver';
}

/** What the service knows beyond the spec. */
export interface SpecContext {
  blueVersion?: ClusterVersionLookup;
  /** The service's freeze calendars: a spec's named ones must exist. */
  freezeCalendars?: FreezeCalendars;
  /** The teams of CUTOVER_TEAMS: a spec's team must be one of them. */
  teams?: TeamsConfig;
  /** Named approval policies (CUTOVER_APPROVAL_POLICIES). */
  policies?: NamedPolicies;
  /**
   * Everyone who can ever approve, when the service knows them all (static tokens, no OIDC):
   * a policy needing more people than that is refused at the start, not found stuck at its gate.
   */
  approvers?: KnownApprover[];
  /** Who starts the migration (excluded by policies that exclude the starter). */
  starter?: string;
}

async function specIssues(spec: MigrationSpec, context: SpecContext): Promise<SpecIssue[]> {
  const issues = [...teamIssues(spec, context.teams), ...checkSpec(spec)];
  // Recurrences and time zones need the libraries and ICU the worker has: checked here, not in checkSpec (workflow code).
  issues.push(...freezeIssues(spec.freezes, context.freezeCalendars ?? {}));
  if (spec.freezes?.bakeCounts === false) {
    issues.push({ path: '/freezes/bakeCounts', message: 'false is not supported yet: bake time inside a freeze counts toward the bake (leave bakeCounts out, or true)' });
  }
  const target = spec.green.kubernetesVersion;
  // A malformed target is already an issue of checkSpec's.
  // Only an EKS blue is asked here; a blue named by context alone is checked by preflight.
  if (context.blueVersion && spec.blue.cluster !== undefined && KUBERNETES_MINOR.test(target)) {
    const current = await context.blueVersion(spec.region, spec.blue.cluster);
    if (current && KUBERNETES_MINOR.test(current) && compareMinor(target, current) <= 0) {
      issues.push({ path: '/green/kubernetesVersion', message: `must be newer than blue's version ${current}` });
    }
  }
  const unknown = unknownPolicies(spec, context.policies ?? {});
  issues.push(...unknown);
  if (issues.length === 0 && context.approvers) issues.push(...unreachablePolicies(spec, context));
  return issues;
}

function unknownPolicies(spec: MigrationSpec, named: NamedPolicies): SpecIssue[] {
  const known = Object.keys(named);
  return GATE_KINDS.flatMap((kind) => {
    const ref = spec.approvals?.[kind];
    if (typeof ref !== 'string' || Object.hasOwn(named, ref)) return [];
    const listed = known.length ? `; known: ${known.join(', ')}` : ': none is configured';
    return [{ path: `/approvals/${kind}`, message: `no approval policy "${ref}" in the service's settings (CUTOVER_APPROVAL_POLICIES)${listed}` }];
  });
}

/** Policies that need more distinct people than can ever approve under them. */
function unreachablePolicies(spec: MigrationSpec, context: SpecContext): SpecIssue[] {
  const policies = resolveSpec(spec, context.policies).approvals.policies;
  const approvers = context.approvers ?? [];
  return GATE_KINDS.flatMap((kind) => {
    const policy = policies[kind];
    const eligible = new Set(
      approvers
        .filter((p) => approves(p, spec.team, context.teams) && (!policy.groups || policy.groups.some((g) => p.groups.includes(g))))
        .map((p) => p.subject)
        .filter((subject) => !(policy.excludeStarter && subject === context.starter)),
    );
    // Approvers of an excluded gate are taken from the same people: both must be met.
    const alsoNeeded = policy.excludeApproversOf.filter((k) => k !== kind).reduce((n, k) => n + policies[k].required, 0);
    const needed = policy.required + alsoNeeded;
    if (needed <= eligible.size) return [];
    const who = policy.groups ? `members of ${policy.groups.join(' or ')} with the approver role` : 'people with the approver role';
    const besides = alsoNeeded ? ` (${policy.required}, besides the ${alsoNeeded} who approve ${policy.excludeApproversOf.join(', ')})` : '';
    const excluded = policy.excludeStarter && context.starter ? `, not counting the starter ${context.starter}` : '';
    return [{ path: `/approvals/${kind}`, message: `needs ${needed} distinct approvers${besides}, but only ${eligible.size} ${who} exist${excluded}: ${[...eligible].join(', ') || 'nobody'}` }];
  });
}

/** Throws a 400 naming every problem of a schema-valid spec. */
export async function assertSound(spec: MigrationSpec, context: SpecContext = {}): Promise<void> {
  const issues = await specIssues(spec, context);
  if (issues.length) throw new HttpError(400, `invalid migration spec (${issues.length} problem${issues.length > 1 ? 's' : ''})`, { errors: issues });
}
