// Named approval policies, the service's settings (CUTOVER_APPROVAL_POLICIES, inline JSON or a
// file in CUTOVER_APPROVAL_POLICIES_FILE): a spec names one (`approvals.cutover: "two-leads"`)
// and the API writes it into the plan fixed at the start. Each is checked at boot like a
// spec's own policy, every problem named by the policy and field.
import { Value } from 'typebox/value';
import { ApprovalPolicy } from '../workflows/spec.js';
import { policyDurationFields, policyIssues, durationFieldIssues } from '../workflows/spec-checks.js';
import type { NamedPolicies } from '../workflows/spec-defaults.js';
import { POLICY_NAME } from '../workflows/spec-values.js';
import { jsonObjectSetting } from './settings.js';

export const APPROVAL_POLICIES = 'CUTOVER_APPROVAL_POLICIES';

/** name → policy; every wrong entry pushed to `problems` by name and field. */
export function readApprovalPolicies(env: NodeJS.ProcessEnv, problems: string[]): NamedPolicies {
  const setting = jsonObjectSetting(env, APPROVAL_POLICIES, '(expected {"<name>": {"required": 2, "groups": ["…"], …}})', problems);
  if (!setting) return {};
  return parseApprovalPolicies(setting.source, setting.value, problems);
}

export function parseApprovalPolicies(source: string, raw: Record<string, unknown>, problems: string[]): NamedPolicies {
  const policies: NamedPolicies = {};
  for (const [name, policy] of Object.entries(raw)) {
    if (!new RegExp(POLICY_NAME).test(name)) {
      problems.push(`${source}: "${name}" is not a policy name (letters, digits, . _ -, at most 100)`);
      continue;
    }
    const errors = [...Value.Errors(ApprovalPolicy, policy)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    if (errors.length) {
      problems.push(`${source}: policy ${name}: ${errors.join('; ')}`);
      continue;
    }
    const issues = [...policyIssues(policy as ApprovalPolicy, ''), ...durationFieldIssues(policyDurationFields(policy as ApprovalPolicy, '', name))];
    if (issues.length) {
      problems.push(`${source}: policy ${name}: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
      continue;
    }
    policies[name] = policy as ApprovalPolicy;
  }
  return policies;
}
