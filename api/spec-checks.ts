// Every check a spec gets before the API plans or starts it: the workflow's own checks of the
// spec alone (checkSpec, shared with the CLI's plan and the workflow's plan), and what needs
// I/O — blue's version, when it can be known. All issues are returned together, each naming its field.
import { compareMinor, KUBERNETES_MINOR } from '../workflows/kubernetes-version.js';
import type { SpecIssue } from '../workflows/spec.js';
import { checkSpec } from '../workflows/spec-checks.js';
import type { MigrationSpec } from '../workflows/spec.js';
import type { TeamsConfig } from '../config/teams.js';
import type { ClusterVersionLookup } from './blue-version.js';
import { HttpError } from './errors.js';

/** A team the API's CUTOVER_TEAMS does not know (only when it has teams: without them a team is a label for lists). */
export function teamIssues(spec: Pick<MigrationSpec, 'team'>, teams: TeamsConfig | undefined): SpecIssue[] {
  if (spec.team === undefined || !teams || Object.hasOwn(teams.teams, spec.team)) return [];
  return [{ path: '/team', message: `team "${spec.team}" is not one of the teams this API knows (CUTOVER_TEAMS): ${Object.keys(teams.teams).join(', ')}` }];
}

async function specIssues(spec: MigrationSpec, blueVersion?: ClusterVersionLookup, teams?: TeamsConfig): Promise<SpecIssue[]> {
  const issues = [...teamIssues(spec, teams), ...checkSpec(spec)];
  const target = spec.green.kubernetesVersion;
  // A malformed target is already an issue of checkSpec's.
  // Only an EKS blue is asked here; a blue named by context alone is checked by preflight.
  if (blueVersion && spec.blue.cluster !== undefined && KUBERNETES_MINOR.test(target)) {
    const current = await blueVersion(spec.region, spec.blue.cluster);
    if (current && KUBERNETES_MINOR.test(current) && compareMinor(target, current) <= 0) {
      issues.push({ path: '/green/kubernetesVersion', message: `must be newer than blue's version ${current}` });
    }
  }
  return issues;
}

/** Throws a 400 naming every problem of a schema-valid spec. */
export async function assertSound(spec: MigrationSpec, blueVersion?: ClusterVersionLookup, teams?: TeamsConfig): Promise<void> {
  const issues = await specIssues(spec, blueVersion, teams);
  if (issues.length) throw new HttpError(400, `invalid migration spec (${issues.length} problem${issues.length > 1 ? 's' : ''})`, { errors: issues });
}
