// Gates: where a migration waits for people. Under an approval policy (approval-policy.ts) a
// gate counts distinct eligible approvals until its policy is met, ends at one eligible
// rejection, reminds, and when its time runs out rejects, holds or escalates. A promote is
// approved under its own policy the same way. Runs that began before policies (no
// `state.governance`) take one approval, the starter excluded only with distinctApprover.
import { describePolicy, gateKind, mayStillApprove, notEligible, type ResolvedPolicy } from '../approval-policy.js';
import { durationMs } from '../duration.js';
import { REJECTION, type ApprovalOutcome, type ApprovalRequest, type PromoteRequest } from '../messages.js';
import { SYSTEM_ACTOR, type GateName, type GateVote, type PendingGate } from '../model.js';
import { notify } from './activities.js';
import { audit, gateContext, nonRetryable, now } from './state.js';
import { approveCommand, tell } from './story.js';
import type { Decision, Run } from './types.js';
import { waitFor } from './waits.js';

/** The policy that decides `gate` in this run; none in runs that began before policies. */
export function policyOf(run: Run, gate: GateName): ResolvedPolicy | undefined {
  return run.state.governance ? run.spec.approvals.policies[gateKind(gate)] : undefined;
}

function refuse(message: string, type: string = REJECTION.notApplicable): never {
  throw nonRetryable(type, message);
}


const voter = (req: { actor: string; groups?: string[] }) => ({ actor: req.actor, groups: req.groups ?? [] });

/** What the status shows of a pending gate under its policy. */
function shown(run: Run, gate: string, policy: ResolvedPolicy, approvals: GateVote[]): Partial<PendingGate> {
  return { required: policy.required, approvals, mayApprove: mayStillApprove(policy, gateContext(run, gate, approvals)), policy: describePolicy(policy) };
}

export interface GateOptions {
  /** Why the migration waits here (a step-back), shown with the gate. */
  reason?: string;
  /** Ends the wait with this decision once it returns one (a promote met while a step's gate waits). */
  decidedBy?: () => Decision | undefined;
}

/** Waits for people to decide `name`, under its policy; reminds them every reminder interval. */
export async function gate(run: Run, name: GateName, options: GateOptions = {}): Promise<Decision> {
  const { state } = run;
  const policy = policyOf(run, name);
  const since = now();
  state.pendingGate = { gate: name, since, ...(policy && shown(run, name, policy, [])), ...(options.reason && { reason: options.reason }) };
  if (policy?.expiresAfter) state.pendingGate.expiresAt = new Date(Date.parse(since) + durationMs(policy.expiresAfter)).toISOString();
  tell(run);
  try {
    const waitsFor = policy ? describePolicy(policy) : 'approval';
    await notify(run, 'gate-pending', `${run.id}: gate ${name} waits for ${waitsFor}${options.reason ? ` (${options.reason})` : ''}; approve with ${approveCommand(run.id, name)}`);
    const decided = policy ? await underPolicy(run, name, policy, options) : await oneDecision(run, name);
    const approvers = decided.approvers?.length ? decided.approvers : [decided.actor];
    audit(run, decided.actor, `gate-${decided.decision}`, decided.comment ?? `${name} ${decided.decision}d`, { gate: name, ...(policy && decided.decision === 'approve' && { approvers }) });
    if (policy && decided.decision === 'approve') state.approvedBy = { ...state.approvedBy, [name]: approvers };
    return decided;
  } finally {
    // Also when a rollback or cancel interrupts the wait: an approval must only count for the
    // gate a person saw pending, never be accepted later and consumed by a future gate.
    delete state.decisions[name];
    state.pendingGate = undefined;
    tell(run);
  }
}

/** Runs before policies: the first decision decides. */
async function oneDecision(run: Run, name: GateName): Promise<Decision> {
  const { state } = run;
  while (!state.decisions[name]) {
    const decided = await waitFor(run, () => !!state.decisions[name], run.spec.approvals.reminderInterval);
    if (!decided) await notify(run, 'gate-reminder', `${run.id}: gate ${name} pending since ${state.pendingGate?.since}; approve with ${approveCommand(run.id, name)}`);
  }
  return state.decisions[name];
}

/** Waits until the policy is met or one eligible person rejects; past its expiry, rejects, holds or escalates. */
async function underPolicy(run: Run, name: GateName, policy: ResolvedPolicy, options: GateOptions): Promise<Decision> {
  const { state } = run;
  const pending = state.pendingGate!;
  let expiresAt = pending.expiresAt ? Date.parse(pending.expiresAt) : Infinity;
  let nextReminder = Date.now() + durationMs(policy.reminderInterval);
  const decided = () => state.decisions[name] ?? options.decidedBy?.();
  for (;;) {
    const wakeAt = Math.min(nextReminder, expiresAt);
    await waitFor(run, () => !!decided(), Math.max(0, wakeAt - Date.now()), `gate ${name}: ${describePolicy(policy)}`);
    const decision = decided();
    if (decision) return decision;
    if (Date.now() >= expiresAt) {
      if (policy.onExpiry === 'escalate' && policy.escalate && !pending.escalated) {
        expiresAt = Date.now() + durationMs(policy.escalate.after);
        const actsAt = new Date(expiresAt).toISOString();
        pending.escalated = { channel: policy.escalate.channel, at: now(), actsAt };
        tell(run);
        const text = `${run.id}: gate ${name} expired with ${pending.approvals?.length ?? 0} of ${policy.required} approvals; it ${policy.escalate.then}s at ${actsAt} unless decided; approve with ${approveCommand(run.id, name)}`;
        audit(run, SYSTEM_ACTOR, 'gate-escalated', text, { gate: name, channel: policy.escalate.channel, actsAt });
        await notify(run, 'gate-escalated', text, policy.escalate.channel);
        continue;
      }
      return expired(run, name, policy, pending.escalated ? policy.escalate!.then : policy.onExpiry === 'reject' ? 'reject' : 'hold');
    }
    if (Date.now() >= nextReminder) {
      nextReminder = Date.now() + durationMs(policy.reminderInterval);
      const count = `${pending.approvals?.length ?? 0} of ${policy.required} approvals`;
      await notify(run, 'gate-reminder', `${run.id}: gate ${name} pending since ${pending.since} (${count}); approve with ${approveCommand(run.id, name)}`);
    }
  }
}

/** A gate whose time ran out: a rejection by the policy, or the migration held for a person. */
async function expired(run: Run, name: GateName, policy: ResolvedPolicy, action: 'reject' | 'hold'): Promise<Decision> {
  const pending = run.state.pendingGate!;
  const why = `gate ${name} expired with ${pending.approvals?.length ?? 0} of ${policy.required} approvals (pending since ${pending.since})`;
  audit(run, SYSTEM_ACTOR, 'gate-expired', why, { gate: name, then: action });
  await notify(run, 'gate-expired', `${run.id}: ${why}; ${action === 'reject' ? 'rejected by its policy' : 'the migration is held: retry opens the gate again'}`);
  if (action === 'reject') return { decision: 'reject', actor: SYSTEM_ACTOR, comment: `${why}: rejected by its policy` };
  throw nonRetryable('GateExpired', `${why}: retry opens the gate again, or roll back, abort or cancel`);
}

export function validateApprove(run: Run, req: ApprovalRequest): void {
  const { state, spec } = run;
  if (req.decision !== 'approve' && req.decision !== 'reject') refuse(`decision must be approve or reject`);
  if (req.gate === 'promote' && state.governance) return validatePromote(run, req);
  if (state.pendingGate?.gate !== req.gate) {
    refuse(`gate ${req.gate} is not pending (phase ${state.phase}${state.pendingGate ? `, pending gate ${state.pendingGate.gate}` : ''})`);
  }
  const policy = policyOf(run, req.gate);
  if (!policy) {
    if (spec.approvals.distinctApprover && req.actor === run.startedBy) {
      refuse(`${req.actor} started this migration and cannot approve it (distinctApprover)`, REJECTION.selfApproval);
    }
    return;
  }
  if (state.decisions[req.gate]) refuse(`gate ${req.gate} is decided already (${state.decisions[req.gate].decision})`);
  const why = notEligible(policy, voter(req), gateContext(run, req.gate, state.pendingGate.approvals ?? []), req.decision);
  if (why) refuse(why, REJECTION.forbidden);
}

export function approve(run: Run, req: ApprovalRequest): ApprovalOutcome {
  const { state } = run;
  if (req.gate === 'promote' && state.governance) return promote(run, req);
  const policy = policyOf(run, req.gate);
  const pending = state.pendingGate;
  if (!policy || !pending) {
    state.decisions[req.gate] = { decision: req.decision, actor: req.actor, comment: req.comment };
    state.pendingGate = undefined; // a second approval of the same gate is refused from now on
    return { gate: req.gate, decision: req.decision };
  }
  const approvals = (pending.approvals ??= []);
  if (!state.decisions[req.gate]) {
    if (req.decision === 'reject') {
      state.decisions[req.gate] = { decision: 'reject', actor: req.actor, comment: req.comment };
    } else if (!approvals.some((a) => a.actor === req.actor)) {
      approvals.push({ actor: req.actor, at: now(), ...(req.comment && { comment: req.comment }) });
      audit(run, req.actor, 'gate-approval', req.comment ?? `approves ${req.gate}`, { gate: req.gate, approvals: approvals.length, required: policy.required });
      if (approvals.length >= policy.required) {
        state.decisions[req.gate] = { decision: 'approve', actor: req.actor, comment: req.comment, approvers: approvals.map((a) => a.actor) };
      }
    }
    pending.mayApprove = mayStillApprove(policy, gateContext(run, req.gate, approvals));
    tell(run);
  }
  return { gate: req.gate, decision: req.decision, approvals: approvals.length, required: policy.required, met: approvals.length >= policy.required };
}

/** Whether green can still be promoted: shifting, not yet at 100 %, with steps left to skip. */
export function validatePromote(run: Run, req: { actor: string; groups?: string[]; decision?: string }): void {
  const { state, plan } = run;
  if (!state.governance) refuse('this migration began before promote existed');
  if (state.phase !== 'shifting' || state.interrupt || state.stepBack) refuse(`cannot promote in phase ${state.phase}${state.interrupt ? ` (a ${state.interrupt.kind} is under way)` : ''}: only while shifting`);
  if (state.weights.green === 100 || state.stepsDone >= plan.steps.length - 1) refuse(`nothing to promote: the next step is the last (green ${plan.steps[plan.steps.length - 1].weights.green} %)`);
  if (state.promotion?.met) refuse('promote is approved already: green goes to 100 % once the current step has passed its checks');
  const policy = run.spec.approvals.policies.promote;
  const why = notEligible(policy, voter(req), gateContext(run, 'promote', state.promotion?.approvals ?? []), req.decision === 'reject' ? 'reject' : 'approve');
  if (why) refuse(why, REJECTION.forbidden);
}

/** An approval of a promote (or a rejection, which ends the promote asked for). */
export function promote(run: Run, req: PromoteRequest & { decision?: 'approve' | 'reject'; comment?: string }): ApprovalOutcome {
  const { state } = run;
  const policy = run.spec.approvals.policies.promote;
  if (req.decision === 'reject') {
    audit(run, req.actor, 'promote-rejected', req.comment ?? 'promote rejected', { approvals: state.promotion?.approvals.length ?? 0 });
    state.promotion = undefined;
    tell(run);
    return { gate: 'promote', decision: 'reject', approvals: 0, required: policy.required, met: false };
  }
  const promotion = (state.promotion ??= { approvals: [], required: policy.required, met: false, ...(req.reason && { reason: req.reason }) });
  if (!promotion.approvals.some((a) => a.actor === req.actor)) {
    const comment = req.comment ?? req.reason;
    promotion.approvals.push({ actor: req.actor, at: now(), ...(comment && { comment }) });
    promotion.met = promotion.approvals.length >= promotion.required;
    audit(run, req.actor, 'promote', comment ?? 'promote to 100 %', { approvals: promotion.approvals.length, required: promotion.required, met: promotion.met });
    tell(run);
  }
  return { gate: 'promote', decision: 'approve', approvals: promotion.approvals.length, required: promotion.required, met: promotion.met };
}
