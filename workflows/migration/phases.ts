// The lifecycle as a table: what each phase does and which phase follows it. A phase waits
// only through waits.ts, so a rollback or cancel interrupts it anywhere (see `onInterrupt`).
import * as wf from '@temporalio/workflow';
import { durationMs } from '../duration.js';
import { describeFailure, INVARIANT_VIOLATION } from '../failures.js';
import { blueDeletionAllowed } from '../invariants.js';
import type { BlueLoadBalancers } from '../../activities/contract.js';
import { SYSTEM_ACTOR, TERMINAL_PHASES, TIMERS, WATCHED_PHASES, type Actor, type Attention, type DecommissionStep, type Finding, type Phase, type Weights } from '../model.js';
import { metricSource } from '../metric-source.js';
import { phaseAfter } from '../plan.js';
import { DEFAULTS, kubeContextOf } from '../spec-defaults.js';
import { cloudMutation, longPoll, notify, quick, readback, waitUpTo } from './activities.js';
import { PATCHES } from './patches.js';
import {
  audited,
  deregisterFromArgo,
  greenCanTakeMore,
  pauseBlueAutoSync,
  registerGreenInArgo,
  rollBack,
  shift,
  sittingOut,
  trafficInput,
  withHealthWatcher,
} from './effects.js';
import { bakeOverPeaks } from './bake.js';
import { compensate, pending, remember, undo } from './saga.js';
import { audit, enter, nonRetryable, now, requestRollback, type AfterRollback, type Run } from './state.js';
import { countRollback, tell } from './story.js';
import { boundary, durableTimer, gate, interruptible, Interrupted, waitFor } from './waits.js';

type PhaseStep = (run: Run) => Promise<Phase>;

/** What each phase does; each returns the phase that follows it (`onward`: the plan's next). */
const PHASES: Partial<Record<Phase, PhaseStep>> = {
  preflight, //                                 blue against the target version; a blocking finding waits for an override
  provisioning, //                              green created (or adopted) and ACTIVE
  bootstrapping, //                             GitOps registers green and syncs its apps
  validating, //                                smoke tests, drift audit, readiness; a failure rolls back
  'awaiting-cutover': awaitingCutover, //       gate cutover
  shifting, //                                  weights step by step, each applied, then observed
  baking, //                                    green carries everything for the bake
  frozen, //                                    blue idle but ready for the freeze, its auto-sync paused
  'awaiting-decommission': awaitingDecommission, // gate decommission
  decommissioning, //                           blue's routing removed, blue deregistered and deleted
  'needs-attention': needsAttention, //         held after a failure no retry fixes: rollback, retry, abort or cancel
  'rolled-back': rolledBack, //                 waits for retry (back to validating) or abort
};

/** A failure that leaves nothing to undo: the run may end `failed` (the outer catch rethrows `failure`). */
export class NothingToUndo extends Error {
  constructor(readonly failure: unknown) {
    super(describeFailure(failure));
  }
}

/**
 * Runs the current phase and enters the one that follows it. A failure no retry fixes, even a
 * bug in the phase's own code, holds the migration in needs-attention (`hold`), unless
 * nothing was changed yet (preflight, or provisioning that made nothing).
 */
export async function runPhase(run: Run): Promise<void> {
  await boundary(run);
  const phase = run.state.phase;
  const step = PHASES[phase];
  if (!step) throw new Error(`no handler for phase ${phase}`);
  let next: Phase = phase;
  const work = async () => {
    next = await step(run);
    // A pause holds before the next phase begins (its label and timers included), with
    // the health watcher of the current phase still on duty.
    if (!TERMINAL_PHASES.includes(next) && next !== 'rolled-back') await boundary(run);
  };
  try {
    await (WATCHED_PHASES.includes(phase) ? withHealthWatcher(run, work) : work());
  } catch (err) {
    if (err instanceof Interrupted || wf.isCancellation(err) || err instanceof NothingToUndo || phase === 'preflight') throw err;
    return hold(run, phase, err);
  }
  enter(run, next);
  if (next === 'completed') await notify(run, 'completed', `${run.id}: completed`);
}

/**
 * Holds the migration for a person: the error, where it happened, and what the routing serves
 * now, read live (the state may be behind a change that failed). Uses nothing of the phase
 * that failed, so a rollback from here works whatever went wrong there.
 */
export async function hold(run: Run, phase: Phase, err: unknown): Promise<void> {
  const { state } = run;
  const error = describeFailure(err);
  const attention: Attention = { error, phase, at: now() };
  if (phase === 'shifting' && state.currentStep > 0) attention.step = state.currentStep;
  try {
    const live = await readback.readWeights(trafficInput(run));
    attention.liveWeights = live;
    adoptServedWeights(run, live);
  } catch (readErr) {
    if (wf.isCancellation(readErr)) throw readErr;
    attention.weightsUnknown = `routing could not be read: ${describeFailure(readErr)}`;
  }
  state.attention = attention;
  state.error = error;
  state.retrying = undefined;
  const where = `${phase}${attention.step ? ` step ${attention.step}` : ''}`;
  audit(run, SYSTEM_ACTOR, 'hold', `${where} failed: ${error}`, attention.weightsUnknown ? { weightsUnknown: attention.weightsUnknown } : { liveWeights: attention.liveWeights });
  enter(run, 'needs-attention');
  const serving = attention.weightsUnknown ?? `routing serves ${(attention.liveWeights ?? []).map((w) => `blue ${w.blue} green ${w.green}`).join(', ')}`;
  await notify(run, 'needs-attention', `${run.id}: needs attention: ${where} failed: ${error}; ${serving}`);
}

/** What the routing serves, read live, becomes the state's weights when every routed object agrees. */
function adoptServedWeights(run: Run, served: Weights[]): void {
  const [first] = served;
  if (first && served.every((w) => w.blue === first.blue && w.green === first.green)) run.state.weights = { ...first };
}

/** The next phase of the plan: the phase at hand went well. */
const onward = (run: Run): Phase => phaseAfter(run.plan, run.state.phase);

/** A person rejected going on: the rollback is requested like any other, and carried out at once. */
function rejected(run: Run, actor: Actor, reason: string): never {
  requestRollback(run.state, actor, reason);
  throw new Interrupted();
}

/**
 * The contexts a spec names, for the activities that reach blue and green: nothing for a spec
 * without contexts, so its activity inputs are what they always were.
 */
function kubeContexts(run: Run) {
  const blueContext = kubeContextOf(run.spec.blue);
  const greenContext = kubeContextOf(run.spec.green);
  return { ...(blueContext && { blueContext }), ...(greenContext && { greenContext }) };
}

async function preflight(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const check = () =>
    quick.preflight({
      region: spec.region,
      blue: spec.blue.cluster,
      green: spec.green.cluster,
      targetVersion: spec.green.kubernetesVersion,
      mode: spec.green.mode,
      ...kubeContexts(run),
    });
  if (wf.patched(PATCHES.preflightRouting)) {
    // Every routed object readable and serving blue only, before anyone approves a shift.
    const [result, routing] = await Promise.all([check(), quick.checkRouting(trafficInput(run))]);
    state.findings.preflight = [...result.findings, ...routing.findings];
    // The weights at the start are what the routing serves, not an assumption.
    adoptServedWeights(run, routing.weights ?? []);
  } else {
    state.findings.preflight = (await check()).findings;
  }
  if (!state.findings.preflight.some((f) => f.severity === 'blocking')) return onward(run);
  return (await gate(run, 'preflight-override')).decision === 'approve' ? onward(run) : 'failed';
}

async function provisioning(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const green = spec.green.cluster;
  let result;
  try {
    result = await longPoll.provisionGreen({
      migrationId: run.id,
      region: spec.region,
      blue: spec.blue.cluster,
      green,
      targetVersion: spec.green.kubernetesVersion,
      mode: spec.green.mode,
      ...kubeContexts(run),
    });
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    if (spec.green.mode !== 'create') throw new NothingToUndo(err);
    // It may have created green before it failed: ask EKS, so the audit and the undo know.
    // A green whose origin cannot be read holds the migration (the error says why).
    const created = await readback.greenCreatedBy({ region: spec.region, green, migrationId: run.id }).catch((readErr: unknown) => {
      if (wf.isCancellation(readErr)) throw readErr;
      return undefined;
    });
    if (created === false) throw new NothingToUndo(err);
    if (created) greenMade(run);
    throw err;
  }
  state.findings.provisioning = result.findings ?? [];
  if (result.created) greenMade(run);
  return onward(run);
}

/** Green exists because of this migration: on record, and deleted on cancel if the spec says so. */
function greenMade(run: Run): void {
  const { spec, state } = run;
  if (state.greenCreated) return;
  state.greenCreated = true;
  audit(run, run.startedBy, 'create-cluster', `green ${spec.green.cluster} at ${spec.green.kubernetesVersion}`);
  if (spec.green.deleteOnCancel) remember(run, { kind: 'delete-green' });
}

async function bootstrapping(run: Run): Promise<Phase> {
  const { spec, gitops } = run;
  if (!gitops) return onward(run);
  const argocd = gitops.argocd;
  if (argocd?.registerCluster) {
    // Remembered before asking (an interrupted registration may have taken effect), and only
    // with a green that goes on cancel: a green that stays keeps its registration.
    if (pending(run, 'delete-green')) remember(run, { kind: 'deregister-green' });
    await registerGreenInArgo(run, argocd);
  }
  const syncTimeout = spec.gitops?.syncTimeout ?? DEFAULTS.gitopsSyncTimeout;
  const result = await interruptible(run, () =>
    waitUpTo(syncTimeout).bootstrapGitops({
      region: spec.region,
      green: spec.green.cluster,
      // Registration is its own audited step (above): the wait only waits.
      argocd: argocd && { ...argocd, registerCluster: false },
      flux: gitops.flux,
      timeout: syncTimeout,
    }),
  );
  run.state.findings.gitops = result.findings;
  if (result.ready) return onward(run);
  const { decision, actor, comment } = await gate(run, 'bootstrap-override');
  if (decision === 'approve') return onward(run);
  // Green is made (and maybe registered): held, so a person retries the bootstrap, aborts
  // (green stays as made) or cancels (the undo steps run).
  if (wf.patched(PATCHES.bootstrapRejectHolds)) throw new Error(`bootstrap-override rejected by ${actor}${comment ? `: ${comment}` : ''}`);
  return 'failed';
}

async function validating(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const drain = spec.decommission.drain;
  const result = await quick.validateGreen({ region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, health: spec.health, ...kubeContexts(run), ...(drain && { drain }) });
  state.findings.validation = result.findings;
  const blocking = result.findings.filter((f) => f.severity === 'blocking');
  if (blocking.length === 0) return onward(run);
  state.error = `validation failed: ${blocking.map((f) => f.message).join('; ')}`;
  return 'rolled-back';
}

async function awaitingCutover(run: Run): Promise<Phase> {
  const { decision, actor } = await gate(run, 'cutover');
  if (decision === 'reject') return 'rolled-back';
  run.state.shiftApprovedBy = actor;
  return onward(run);
}

async function shifting(run: Run): Promise<Phase> {
  const { plan, state } = run;
  for (const step of plan.steps.slice(state.stepsDone)) {
    await boundary(run);
    if (step.approvalGate) {
      const { decision, actor } = await gate(run, step.approvalGate);
      if (decision === 'reject') rejected(run, actor, `${step.approvalGate} rejected`);
      state.shiftApprovedBy = actor;
    }
    if (step.weights.green > state.weights.green) await greenCanTakeMore(run, step.index);
    state.currentStep = step.index;
    // The person who approved this traffic is its actor; the workflow only carries it out.
    const actor = state.shiftApprovedBy ?? run.startedBy;
    await shift(run, step.weights, actor, `step ${step.index}/${plan.steps.length}: green ${step.weights.green}%`, true);
    // Only a spec with the check asks the patch: no run before it could have one.
    if (run.spec.traffic.observedShare && wf.patched(PATCHES.observedShare)) await observedShare(run, step.index, step.weights.green, actor);
    if (step.weights.green === 100) state.greenFullSince ??= now();
    const observing = `observe green at ${step.weights.green}% for ${step.observe}`;
    await sittingOut(run, { what: observing, seconds: durationMs(step.observe) / 1000 }, () => waitFor(run, () => false, step.observe, observing));
    state.stepsDone = step.index;
  }
  return onward(run);
}

/**
 * Waits until green's observed share of traffic is within the tolerance of the step's weight
 * (green at 100 % too: blue must then be seen to get nothing). Past `within` the migration is
 * held (needs-attention) naming both numbers, for a person to retry or roll back.
 */
async function observedShare(run: Run, stepIndex: number, intended: number, actor: Actor): Promise<void> {
  const check = run.spec.traffic.observedShare!;
  const source = `green: ${metricSource(check.green)}; blue: ${metricSource(check.blue)}`;
  const what = `green's observed share of traffic within ${check.tolerance} points of ${intended} % (at most ${check.within})`;
  const deadline = Date.now() + durationMs(check.within);
  const input = { region: run.spec.region, blue: run.spec.blue.cluster, green: run.spec.green.cluster, check, intended, deadline };
  const result = await sittingOut(run, { what }, () => interruptible(run, () => waitUpTo(check.within).waitObservedShare(input)));
  const reading = { intended, ...(result.observed !== undefined && { observed: result.observed }), tolerance: check.tolerance, within: result.within, source, ...(result.reason && { reason: result.reason }), at: result.at };
  run.state.observedShare = { step: stepIndex, ...reading };
  tell(run);
  if (result.within) {
    audit(run, actor, 'observed-share', `step ${stepIndex}: green carries ${result.observed} % of traffic, intended ${intended} %`, reading);
    return;
  }
  audit(run, actor, 'observed-share', `step ${stepIndex}: green's share not within ${check.tolerance} points of ${intended} % within ${check.within}`, reading);
  // Held (needs-attention): the next step waits for a person; a retry shifts and waits again.
  throw nonRetryable('ShareNotObserved', `green's share of traffic did not come within ${check.tolerance} points of ${intended} % within ${check.within}: last reading ${result.observed === undefined ? 'none' : `${result.observed} %`} (${result.reason}) from ${source}. Find what keeps traffic on its old cluster (clients with cached DNS, another route), then retry or roll back`);
}

async function baking(run: Run): Promise<Phase> {
  // Only a bake over peaks asks the patch: no run before it could have one.
  if (run.spec.bakePeaks.length > 0 && wf.patched(PATCHES.bakePeaks)) await bakeOverPeaks(run);
  else await durableTimer(run, TIMERS.bake, run.spec.bake);
  return onward(run);
}

async function frozen(run: Run): Promise<Phase> {
  if (run.gitops && !pending(run, 'resume-blue-auto-sync')) {
    // Remembered before asking: a rollback must restore whatever part of the pause took effect.
    remember(run, { kind: 'resume-blue-auto-sync' });
    await pauseBlueAutoSync(run, run.state.shiftApprovedBy ?? run.startedBy);
  }
  await durableTimer(run, TIMERS.freeze, run.spec.freeze);
  return onward(run);
}

async function awaitingDecommission(run: Run): Promise<Phase> {
  const { decision, actor } = await gate(run, 'decommission');
  if (decision === 'reject') rejected(run, actor, 'decommission rejected');
  run.state.decommissionApprovedBy = actor;
  return onward(run);
}

async function decommissioning(run: Run): Promise<Phase> {
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
  state.blueRetiring = true; // before the call: it may take effect even if it fails
  if (!wf.patched(PATCHES.decommissionSteps)) {
    await decommissionAsReleased(run, approver!);
    return onward(run);
  }
  // In the plan's order; a retry after a hold goes on from the step that failed.
  const progress = (state.decommission ??= { done: [] });
  for (const step of run.plan.decommission.steps) {
    if (progress.done.includes(step)) continue;
    progress.current = step;
    await DECOMMISSION[step](run, approver!);
    progress.done.push(step);
  }
  progress.current = undefined;
  if (!run.plan.decommission.deleteBlueCluster && run.plan.decommission.keptBecause) {
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
    throw nonRetryable('BlueNotDrained', `blue ${blue}'s traffic did not stay below ${drain.below} for ${drain.window} within ${drain.within}, so nothing of blue is deleted: last reading ${result.value ?? 'none'} (${result.reason}) from ${metricSource(drain)}. Find what still reaches blue (clients with cached DNS, another route), then retry`);
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
    throw nonRetryable('LoadBalancersRemain', `blue ${blue}'s load balancers are not gone ${LOAD_BALANCERS_GONE_WITHIN} after their objects were deleted, so its node groups and cluster are kept: ${gone.remaining.join('; ')}. Check blue's load balancer controller (running, allowed to delete them), then retry`);
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

/**
 * Waits for a person's retry or abort. The choice stays on record, taken, until the next phase
 * begins (enter clears it): while a pause holds that phase back, another choice is refused
 * rather than left to act on the next hold or rollback.
 */
async function takeChoice(run: Run): Promise<AfterRollback> {
  const { state } = run;
  await waitFor(run, () => !!state.afterRollback);
  const chosen = state.afterRollback!;
  state.afterRollback = wf.patched(PATCHES.choiceKeptUntilNextPhase) ? { ...chosen, taken: true } : undefined;
  return chosen;
}

/** Waits for a person: retry re-enters the failed phase (shifting at its failed step); abort leaves what was made. A rollback or cancel interrupts. */
async function needsAttention(run: Run): Promise<Phase> {
  const { state } = run;
  const { choice, actor } = await takeChoice(run);
  const failed = state.attention!;
  if (choice === 'retry') {
    audit(run, actor, 'retry', `back to ${failed.phase}${failed.step ? ` at step ${failed.step}` : ''} after: ${failed.error}`);
    state.error = undefined;
    return failed.phase;
  }
  // Blue serves on: its GitOps must keep it current again (the rest stays as made).
  await undo(run, 'resume-blue-auto-sync', actor, 'abort: blue serves on');
  audit(run, actor, 'abort', `migration abandoned, traffic stays on blue; ${leftAsMade(run)}`);
  return 'aborted';
}

/** What an abort leaves behind (a cancel would undo it). */
export function leftAsMade(run: Run): string {
  const { state, spec } = run;
  const made = [
    ...(state.greenCreated ? [`green ${spec.green.cluster} (created by this migration)`] : []),
    ...(state.compensations.some((c) => c.kind === 'deregister-green') ? [`green's Argo CD registration`] : []),
  ];
  return made.length ? `left as made (a cancel would undo it): ${made.join(', ')}` : 'nothing was made';
}

async function rolledBack(run: Run): Promise<Phase> {
  const { state } = run;
  const { choice, actor } = await takeChoice(run);
  audit(run, actor, choice, choice === 'retry' ? 'back to validating' : 'migration abandoned, traffic stays on blue');
  if (choice === 'abort') return 'aborted';
  state.stepsDone = 0;
  state.timers = [];
  state.error = undefined;
  return 'validating'; // green stays as it is: validated again, then a new cutover approval
}

// --- interrupts ------------------------------------------------------------------------

/** Carries out the rollback or cancel that interrupted a phase. */
export async function onInterrupt(run: Run): Promise<void> {
  const { state } = run;
  // The interrupt stays set while it is handled, so validators see a rollback or cancel in
  // progress; once handled it is cleared unless a cancel replaced it meanwhile.
  const handling = state.interrupt!;
  if (handling.kind === 'cancel') return cancel(run, handling.actor, handling.reason);
  await rollBack(run, handling.actor, handling.reason);
  // Phase first, then answer waiting rollback requests: a retry sent right after a
  // `rollback?wait=true` must find the migration rolled back.
  enter(run, 'rolled-back');
  countRollback(handling.actor);
  state.rollbacksDone++;
  if (state.interrupt === handling) state.interrupt = undefined;
  // Blue serves again: its GitOps must keep it current again.
  await undo(run, 'resume-blue-auto-sync', handling.actor, `rollback: ${handling.reason}`);
  await notify(run, 'rollback', `${run.id}: traffic back on blue (${handling.reason}, by ${handling.actor})`);
}

/** Traffic back on blue before anything else, then every compensation; the migration ends cancelled. */
export async function cancel(run: Run, actor: Actor, reason: string): Promise<void> {
  const { state } = run;
  await wf.CancellationScope.nonCancellable(async () => {
    // A held migration may serve green without the state knowing: blue's weights are written regardless.
    if (state.weights.green > 0 || state.phase === 'needs-attention') await rollBack(run, actor, `cancel: ${reason}`);
    state.rollbacksDone++;
    await compensate(run, actor, `cancel: ${reason}`);
    audit(run, actor, 'cancel', reason);
    enter(run, 'cancelled');
    await notify(run, 'cancelled', `${run.id}: cancelled by ${actor}: ${reason}`);
  });
}
