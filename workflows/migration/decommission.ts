// Retiring blue: the decommission gate, the last delay (cancellable: keep-blue), then the plan's
// decommission steps in order (blue out of the routing, the drain check, Argo CD, blue's load
// balancers, node groups and cluster), each change audited with the decommission approver as
// its actor; a protected blue keeps everything but its routing. Runs that began before the
// steps existed decommission as released (`decommissionAsReleased`), and runs that began before
// the guarded destroy have no delay and no protection read (`state.guardedDestroy`).
import * as wf from '@temporalio/workflow';
import type { BlueLoadBalancers } from '../../activities/contract.js';
import { durationMs } from '../duration.js';
import { INVARIANT_VIOLATION } from '../failures.js';
import { blueDeletionAllowed } from '../invariants.js';
import { TIMERS, type Actor, type DecommissionStep, type Finding, type Phase } from '../model.js';
import { metricSource } from '../metric-source.js';
import { cloudMutation, longPoll, notify, quick, waitUpTo } from './activities.js';
import { audited, deregisterFromArgo, trafficInput } from './effects.js';
import { forwardAllowed } from './freezes.js';
import { PATCHES } from './patches.js';
import { audit, heldAfterWait, kubeContexts, nonRetryable, now, onward } from './state.js';
import { keepBlueCommand, timerSummary } from './story.js';
import type { Run } from './types.js';
import { gate } from './gates.js';
import { rejected, sittingOut, waitFor } from './waits.js';

export async function awaitingDecommission(run: Run): Promise<Phase> {
  const { decision, actor } = await gate(run, 'decommission');
  if (decision === 'reject') rejected(run, actor, 'decommission rejected');
  run.state.decommissionApprovedBy = actor;
  // A person kept blue during the last delay: the gate again, its approval gone.
  if (!(await lastDelay(run, actor))) return 'awaiting-decommission';
  // Checked here, not once decommissioning began: inside a freeze a person can still roll back or cancel.
  await forwardAllowed(run, 'decommissioning');
  return onward(run);
}

/**
 * The last delay before anything of blue is deleted (decommission.lastDelay, once the gate is
 * approved): announced to the channel with its end and the command that cancels it, shown in
 * the status' timers and `waiting` and in the Temporal UI. A rollback or cancel interrupts it
 * as it does the gate. Answers false when a person kept blue (keep-blue): the approval is
 * cleared and the reason audited; true when the delay ran out (or there is none).
 */
export async function lastDelay(run: Run, approver: Actor): Promise<boolean> {
  const { spec, state } = run;
  const delay = spec.decommission.lastDelay;
  if (!state.guardedDestroy || delay === undefined || !run.plan.decommission.steps.includes('delete-cluster')) return true;
  const ms = durationMs(delay);
  if (ms === 0) return true;
  const blue = spec.blue.cluster;
  const since = now();
  const endsAt = new Date(Date.now() + ms).toISOString();
  // Set before the announcement: keep-blue is accepted from now on.
  state.lastDelay = { since, endsAt, approvedBy: approver };
  const timer = { name: TIMERS.lastDelay, firesAt: endsAt };
  state.timers.push(timer);
  audit(run, approver, 'last-delay', `blue ${blue} is deleted after a last delay of ${delay}, at ${endsAt}, unless kept`, { endsAt, delay });
  try {
    await notify(run, 'last-delay', `${run.id}: the decommission gate is approved; blue ${blue} will be deleted at ${endsAt} (last delay ${delay}). To keep blue, run ${keepBlueCommand(run.id)}`);
    const what = `last delay before blue ${blue} is deleted (decommission.lastDelay ${delay}); keep-blue cancels it`;
    // What is left of it once announced: the status' wait ends when the timer does.
    const remaining = Math.max(Date.parse(endsAt) - Date.now(), 1);
    await sittingOut(run, { what, seconds: remaining / 1000 }, () => waitFor(run, () => !!state.keepBlue, remaining, timerSummary(TIMERS.lastDelay, endsAt)));
    const kept = state.keepBlue;
    if (!kept) return true;
    // Back to the gate: a new cycle of approvals decides again.
    state.decommissionApprovedBy = undefined;
    audit(run, kept.actor, 'keep-blue', kept.reason, { endsAt, approvedBy: approver });
    await notify(run, 'blue-kept', `${run.id}: ${kept.actor} kept blue ${blue} during the last delay (${kept.reason}); the migration waits at the decommission gate again`);
    return false;
  } finally {
    state.lastDelay = undefined;
    state.keepBlue = undefined;
    state.timers = state.timers.filter((t) => t !== timer);
  }
}

/** The steps that delete or report anything of blue: skipped when blue is protected (its routing still goes). */
const KEPT_WHEN_PROTECTED: readonly DecommissionStep[] = ['drain-check', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'];

/** With the guarded destroy, blue's protection is read once, as decommissioning begins (before its routing goes). */
async function readProtection(run: Run): Promise<void> {
  const { spec, state } = run;
  if (!state.guardedDestroy || !run.plan.decommission.steps.includes('delete-cluster') || state.decommission?.protection) return;
  const protection = await quick.clusterProtection({ region: spec.region, cluster: spec.blue.cluster });
  state.decommission = { ...(state.decommission ?? { done: [] }), protection };
}

export async function decommissioning(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const approver = state.decommissionApprovedBy;
  const verdict = blueDeletionAllowed({
    greenFullSince: state.greenFullSince,
    now: now(),
    bake: spec.bake,
    freeze: spec.freeze,
    decommissionApproved: !!approver,
  });
  if (!verdict.allowed) throw nonRetryable(INVARIANT_VIOLATION, verdict.reason);
  await readProtection(run);
  state.blueRetiring = true; // before the call: it may take effect even if it fails
  if (!wf.patched(PATCHES.decommissionSteps)) {
    await decommissionAsReleased(run, approver!);
    return onward(run);
  }
  // In the plan's order; a retry after a hold goes on from the step that failed.
  const progress = (state.decommission ??= { done: [] });
  const kept = progress.protection?.protected ? progress.protection.reason : undefined;
  for (const step of run.plan.decommission.steps) {
    if (progress.done.includes(step) || progress.skipped?.includes(step)) continue;
    if (kept && KEPT_WHEN_PROTECTED.includes(step)) {
      progress.skipped = [...(progress.skipped ?? []), step];
      continue;
    }
    progress.current = step;
    await DECOMMISSION[step](run, approver!);
    progress.done.push(step);
  }
  progress.current = undefined;
  if (kept) {
    const why = `blue ${spec.blue.cluster} is protected (${kept}): it is kept; its routing is removed and nothing of it is deleted`;
    audit(run, approver!, 'keep-cluster', why, { protected: true, skipped: progress.skipped ?? [] });
    await notify(run, 'blue-kept', `${run.id}: ${why}`);
  } else if (!run.plan.decommission.deleteBlueCluster && run.plan.decommission.keptBecause) {
    // State only (no command): the audit says why the cluster stays.
    audit(run, approver!, 'keep-cluster', run.plan.decommission.keptBecause);
  }
  return onward(run);
}

/** Decommissioning as runs that began before its steps do it: routing, Argo CD, the cluster with its node groups. */
async function decommissionAsReleased(run: Run, approver: Actor): Promise<void> {
  const { spec, state } = run;
  await audited(run, { actor: approver, action: 'remove-blue-routing', reason: 'decommission approved' }, () =>
    cloudMutation.removeBlueRouting({ ...trafficInput(run), actor: approver, reason: 'decommission approved' }),
  );
  await deregisterFromArgo(run, spec.blue.cluster, approver, 'decommission approved');
  if (run.plan.decommission.deleteBlueCluster) {
    await audited(run, { actor: approver, action: 'delete-cluster', reason: `blue ${spec.blue.cluster} retired` }, () =>
      longPoll.deleteCluster({ region: spec.region, cluster: spec.blue.cluster }),
    );
    state.blueDeleted = true;
  } else if (run.plan.decommission.keptBecause) {
    audit(run, approver, 'keep-cluster', run.plan.decommission.keptBecause);
  }
}

/**
 * How long blue's load balancers may take to go once their objects are deleted. The AWS Load
 * Balancer Controller deletes an ALB or NLB within a minute or two; longer means it is not
 * running or cannot (permissions, a protected load balancer): a person must look.
 */
const LOAD_BALANCERS_GONE_WITHIN = '15m';

/** A finding of decommissioning (what it left for a person), shown in the status. */
function decommissionFinding(run: Run, severity: Finding['severity'], message: string): void {
  run.state.findings.decommission = [...(run.state.findings.decommission ?? []), { severity, source: 'decommission', message }];
}

const blueCluster = (run: Run) => ({ region: run.spec.region, cluster: run.spec.blue.cluster, ...kubeContexts(run) });

/** Each decommission step; every change audited with the decommission approver as its actor. */
const DECOMMISSION: Record<DecommissionStep, (run: Run, approver: Actor) => Promise<void>> = {
  async 'remove-blue-routing'(run, approver) {
    const entry = { actor: approver, action: 'remove-blue-routing', reason: 'decommission approved', detail: (r: { removed: string[] }) => ({ removed: r.removed }) };
    const result = await audited(run, entry, () => cloudMutation.removeBlueRouting({ ...trafficInput(run), actor: approver, reason: 'decommission approved' }));
    if (result.left) decommissionFinding(run, 'info', result.left);
  },

  // Planned only with decommission.drain (plan.ts): blue's traffic stays under a threshold for a whole window.
  async 'drain-check'(run, approver) {
    const drain = run.spec.decommission.drain!;
    const blue = run.spec.blue.cluster;
    const deadline = Date.now() + durationMs(drain.within);
    const result = await waitUpTo(drain.within).waitBlueDrained({ region: run.spec.region, blue, drain, deadline });
    const numbers = { ...(result.value !== undefined && { value: result.value }), below: drain.below, window: drain.window, source: metricSource(drain), ...(result.reason && { reason: result.reason }), at: result.at };
    run.state.decommission!.drain = { drained: result.drained, ...numbers };
    if (result.drained) {
      audit(run, approver, 'drain-check', `blue ${blue}'s traffic stayed below ${drain.below} for ${drain.window}`, numbers);
      return;
    }
    audit(run, approver, 'drain-check', `blue ${blue} not drained within ${drain.within}`, numbers);
    // Held (needs-attention): nothing of blue is deleted while it may still carry traffic; a retry waits again.
    heldAfterWait({
      type: 'BlueNotDrained',
      expected: `blue ${blue}'s traffic did not stay below ${drain.below} for ${drain.window} within ${drain.within}, so nothing of blue is deleted`,
      seen: `last reading ${result.value ?? 'none'} (${result.reason}) from ${metricSource(drain)}`,
      check: 'Find what still reaches blue (clients with cached DNS, another route)',
    });
  },

  'deregister-argocd': (run, approver) => deregisterFromArgo(run, run.spec.blue.cluster, approver, 'decommission approved'),

  async 'report-retained-volumes'(run) {
    for (const finding of await quick.retainedVolumeFindings(blueCluster(run))) decommissionFinding(run, finding.severity, finding.message);
  },

  async 'delete-load-balancers'(run, approver) {
    const blue = run.spec.blue.cluster;
    const entry = {
      actor: approver,
      action: 'delete-blue-load-balancers',
      reason: `blue ${blue} retired: its Ingresses and LoadBalancer Services go first, and their load balancers with them`,
      detail: (r: BlueLoadBalancers) => ({ deleted: r.deleted, deleting: r.deleting, kept: r.kept, ...(r.skipped && { skipped: r.skipped }) }),
    };
    // The alb driver's listener carries green's traffic: blue's object that made its load balancer stays.
    const input = { ...blueCluster(run), ...(run.spec.traffic.alb && { albListenerArn: run.spec.traffic.alb.listenerArn }) };
    const result = await audited(run, entry, () => cloudMutation.deleteBlueLoadBalancers(input));
    if (result.skipped) decommissionFinding(run, 'warning', `${result.skipped}; their load balancers may outlive blue: look for them in the account`);
    for (const kept of result.kept) {
      decommissionFinding(run, 'warning', `${kept} in blue ${blue} is kept: its load balancer outlives blue with no controller to manage it; adopt it (infrastructure code) or delete it once nothing needs it`);
    }
    if (result.skipped) return;
    const deadline = Date.now() + durationMs(LOAD_BALANCERS_GONE_WITHIN);
    const gone = await longPoll.waitBlueLoadBalancersGone({ ...input, deadline });
    if (gone.gone) return;
    // Held (needs-attention): the cluster is never deleted under them; a retry goes on from here.
    heldAfterWait({
      type: 'LoadBalancersRemain',
      expected: `blue ${blue}'s load balancers are not gone ${LOAD_BALANCERS_GONE_WITHIN} after their objects were deleted, so its node groups and cluster are kept`,
      seen: gone.remaining.join('; '),
      check: "Check blue's load balancer controller (running, allowed to delete them)",
    });
  },

  async 'delete-node-groups'(run, approver) {
    const blue = run.spec.blue.cluster;
    const entry = { actor: approver, action: 'delete-node-groups', reason: `blue ${blue} retired`, detail: (r: { deleted: string[] }) => ({ nodegroups: r.deleted }) };
    await audited(run, entry, () => longPoll.deleteNodegroups({ region: run.spec.region, cluster: blue }));
  },

  async 'delete-cluster'(run, approver) {
    const blue = run.spec.blue.cluster;
    await audited(run, { actor: approver, action: 'delete-cluster', reason: `blue ${blue} retired` }, () => longPoll.deleteCluster({ region: run.spec.region, cluster: blue }));
    run.state.blueDeleted = true;
  },
};
