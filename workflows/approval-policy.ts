// Approval policies: who must agree before a gate lets a migration on, who may not, and what
// a gate does when nobody decides in time. Pure: the API checks specs and settings with it, the
// workflow decides each gate with it.
import type { Actor, GateName } from './model.js';
import type { ApprovalPolicy } from './spec.js';
import { GATE_KINDS, type ExpiryAction, type GateKind } from './spec-values.js';

/** A policy with its defaults filled in: what a gate follows. */
export interface ResolvedPolicy {
  /** The name it has in the service's settings, when the spec named one. */
  name?: string;
  required: number;
  /** Members of one of these may decide; absent: anyone with the approver role. */
  groups?: string[];
  excludeStarter: boolean;
  excludeApproversOf: GateKind[];
  expiresAfter?: string;
  onExpiry: ExpiryAction;
  escalate?: { channel: string; after: string; then: 'reject' | 'hold' };
  reminderInterval: string;
}

/** Each kind's defaults: one approver who did not start the migration; decommission two, neither a cutover approver. */
const DEFAULT_POLICIES: Record<GateKind, Pick<ResolvedPolicy, 'required' | 'excludeApproversOf'>> = {
  cutover: { required: 1, excludeApproversOf: [] },
  step: { required: 1, excludeApproversOf: [] },
  promote: { required: 1, excludeApproversOf: [] },
  decommission: { required: 2, excludeApproversOf: ['cutover'] },
  override: { required: 1, excludeApproversOf: [] },
  stateful: { required: 1, excludeApproversOf: [] },
};

/** The kind of gate `gate` is, for its policy. */
export function gateKind(gate: GateName | 'promote'): GateKind {
  if (gate === 'preflight-override' || gate === 'bootstrap-override') return 'override';
  if (gate.startsWith('step-')) return 'step';
  return gate as GateKind;
}

export type PolicyRefs = Partial<Record<GateKind, string | ApprovalPolicy>>;

/**
 * Every kind's policy, the spec's over the defaults. A name is replaced by the policy it names
 * before (`withNamedPolicies`, from the API's settings); one left here (a plan read without the
 * settings) stands for the kind's defaults and says so. The API refuses unknown names.
 */
export function resolvePolicies(refs: PolicyRefs, reminderInterval: string): Record<GateKind, ResolvedPolicy> {
  const resolved = {} as Record<GateKind, ResolvedPolicy>;
  for (const kind of GATE_KINDS) {
    const ref = refs[kind];
    resolved[kind] = resolvePolicy(kind, typeof ref === 'string' ? { name: `${ref} (not looked up: defaults)` } : (ref ?? {}), reminderInterval);
  }
  return resolved;
}

function resolvePolicy(kind: GateKind, policy: ApprovalPolicy & { name?: string }, reminderInterval: string): ResolvedPolicy {
  const defaults = DEFAULT_POLICIES[kind];
  const onExpiry = policy.onExpiry ?? 'hold';
  return {
    ...(policy.name && { name: policy.name }),
    required: policy.required ?? defaults.required,
    ...(policy.groups && { groups: policy.groups }),
    excludeStarter: policy.excludeStarter ?? true,
    excludeApproversOf: policy.excludeApproversOf ?? defaults.excludeApproversOf,
    ...(policy.expiresAfter && { expiresAfter: policy.expiresAfter }),
    onExpiry,
    ...(policy.escalate && { escalate: { channel: policy.escalate.channel, after: policy.escalate.after, then: policy.escalate.then ?? 'hold' } }),
    reminderInterval: policy.reminderInterval ?? reminderInterval,
  };
}

/** Someone deciding a gate, as the API authenticated them. */
export interface Voter {
  actor: Actor;
  groups: string[];
}

/** What a gate's policy needs to know of the migration to judge a voter. */
export interface GateContext {
  gate: string;
  startedBy: Actor;
  /** Who approved each gate passed so far in this migration, by gate name. */
  approvedBefore: Record<string, Actor[]>;
  /** Who approved the pending gate already. */
  approvedNow: Actor[];
}

/** Why `voter` may not decide the gate (a 403's message); undefined when they may. Approving twice is refused too. */
export function notEligible(policy: ResolvedPolicy, voter: Voter, gate: GateContext, decision: 'approve' | 'reject'): string | undefined {
  const who = voter.actor;
  if (policy.groups && !policy.groups.some((g) => voter.groups.includes(g))) {
    const theirs = voter.groups.length ? `is in ${voter.groups.join(', ')}` : 'is in no group';
    return `${who} ${theirs}; gate ${gate.gate} is decided by members of ${policy.groups.join(' or ')}${policyName(policy)}`;
  }
  if (policy.excludeStarter && who === gate.startedBy) return `${who} started this migration and may not decide gate ${gate.gate}${policyName(policy)}`;
  if (decision === 'reject') return undefined;
  if (gate.approvedNow.includes(who)) return `${who} already approved gate ${gate.gate}: it needs ${policy.required} different people${policyName(policy)}`;
  const earlier = earlierApprovals(policy, gate.approvedBefore).find(([, actors]) => actors.includes(who));
  if (earlier) return `${who} approved gate ${earlier[0]} of this migration, so may not approve gate ${gate.gate}${policyName(policy)}`;
  return undefined;
}

/** The gates passed whose approvers may not approve under `policy`, with their approvers. */
function earlierApprovals(policy: ResolvedPolicy, approvedBefore: Record<string, Actor[]>): [string, Actor[]][] {
  return Object.entries(approvedBefore).filter(([gate]) => policy.excludeApproversOf.includes(gateKind(gate as GateName)));
}

const policyName = (policy: ResolvedPolicy) => (policy.name ? ` (policy ${policy.name})` : '');

/** Who may still approve: the groups, and the people excluded by name. */
export function mayStillApprove(policy: ResolvedPolicy, gate: GateContext): { groups?: string[]; except: Actor[] } {
  const except = new Set<Actor>(gate.approvedNow);
  if (policy.excludeStarter) except.add(gate.startedBy);
  for (const [, actors] of earlierApprovals(policy, gate.approvedBefore)) actors.forEach((a) => except.add(a));
  return { ...(policy.groups && { groups: policy.groups }), except: [...except] };
}

/** The policy in a line, for the plan and notifications. */
export function describePolicy(policy: ResolvedPolicy): string {
  const who = policy.groups ? `from ${policy.groups.join(' or ')}` : 'with the approver role';
  const excluded = [...(policy.excludeStarter ? ['the starter'] : []), ...policy.excludeApproversOf.map((k) => `${k} approvers`)];
  const expiry = policy.expiresAfter
    ? `; expires after ${policy.expiresAfter}, then ${policy.onExpiry === 'escalate' && policy.escalate ? `escalates to ${policy.escalate.channel} and ${policy.escalate.then}s after ${policy.escalate.after}` : `${policy.onExpiry}s`}`
    : '';
  return `${policy.required} approval${policy.required > 1 ? 's' : ''} ${who}${excluded.length ? `, not ${excluded.join(' nor ')}` : ''}${expiry}${policyName(policy)}`;
}
