// The forward phases, preflight to frozen: blue checked against the target, green made (or
// adopted) and bootstrapped, validated, the cutover gate, traffic shifted step by step, the bake
// and the freeze. Each returns the phase that follows it (engine.ts runs them).
import * as wf from '@temporalio/workflow';
import { durationMs } from '../duration.js';
import { SYSTEM_ACTOR, TIMERS, type Actor, type Phase } from '../model.js';
import { describeFailure } from '../failures.js';
import { metricSource } from '../metric-source.js';
import { DEFAULTS } from '../spec-defaults.js';
import { longPoll, quick, readback, waitUpTo } from './activities.js';
import { bakeOverPeaks } from './bake.js';
import { forwardAllowed } from './freezes.js';
import { adoptServedWeights, greenCanTakeMore, pauseBlueAutoSync, registerGreenInArgo, shift, trafficInput } from './effects.js';
import { preflightInput, provisionInput, validateInput } from './inputs.js';
import { PATCHES } from './patches.js';
import { pending, remember, undoCarryOver } from './saga.js';
import { carriesState, carryOver } from './stateful.js';
import { audit, heldAfterWait, NothingToUndo, now, onward } from './state.js';
import { tell } from './story.js';
import type { Decision, Run } from './types.js';
import { stepGate, type PlannedStep } from '../plan.js';
import { gate } from './gates.js';
import { boundary, checking, durableTimer, interruptible, Interrupted, rejected, sittingOut, waitFor } from './waits.js';

export async function preflight(run: Run): Promise<Phase> {
  const { spec, state } = run;
  // The dry run (workflows/inspect.ts) asks the same activities with the same inputs.
  const check = () => quick.preflight(preflightInput(spec));
  if (wf.patched(PATCHES.preflightRouting)) {
    // Every routed object readable and serving blue only, before anyone approves a shift.
    const what = `preflight: blue ${spec.blue.cluster} against Kubernetes ${spec.green.kubernetesVersion}, and the routing`;
    const [result, routing] = await checking(run, what, () => Promise.all([check(), quick.checkRouting(trafficInput(run))]));
    state.findings.preflight = [...result.findings, ...routing.findings];
    // The weights at the start are what the routing serves, not an assumption.
    adoptServedWeights(run, routing.weights ?? []);
  } else {
    state.findings.preflight = (await check()).findings;
  }
  if (!state.findings.preflight.some((f) => f.severity === 'blocking')) return onward(run);
  return (await gate(run, 'preflight-override')).decision === 'approve' ? onward(run) : 'failed';
}

export async function provisioning(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const green = spec.green.cluster;
  let result;
  try {
    const what = spec.green.mode === 'create' ? `green ${green} created from blue ${spec.blue.cluster} and ACTIVE` : `green ${green} adopted: running ${spec.green.kubernetesVersion}`;
    result = await checking(run, what, () => longPoll.provisionGreen(provisionInput(spec, run.id)));
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    if (err instanceof Interrupted) {
      // Cancelled while green was being made: what was made before is on record and undone.
      if (spec.green.mode === 'create') await greenMadeBefore(run);
      throw err;
    }
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

/**
 * Provisioning was given up (a cancel): whether it had created green already, as EKS says, so
 * the undo deletes it; an answer that cannot be had is a finding naming the cluster to check.
 */
async function greenMadeBefore(run: Run): Promise<void> {
  const green = run.spec.green.cluster;
  try {
    if (await readback.greenCreatedBy({ region: run.spec.region, green, migrationId: run.id })) greenMade(run);
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    const message = `cancelled while creating green ${green}: whether it was created could not be read (${describeFailure(err)}); look for ${green} in EKS and delete it if this migration made it (its tag cutover.io/migration names ${run.id})`;
    run.state.findings.provisioning = [...(run.state.findings.provisioning ?? []), { severity: 'warning', source: 'provisioning', message }];
    audit(run, SYSTEM_ACTOR, 'green-unknown', message);
  }
}

/** Green exists because of this migration: on record, and deleted on cancel if the spec says so. */
function greenMade(run: Run): void {
  const { spec, state } = run;
  if (state.greenCreated) return;
  state.greenCreated = true;
  audit(run, run.startedBy, 'create-cluster', `green ${spec.green.cluster} at ${spec.green.kubernetesVersion}`);
  if (spec.green.deleteOnCancel) remember(run, { kind: 'delete-green' });
}

export async function bootstrapping(run: Run): Promise<Phase> {
  const { spec, gitops } = run;
  if (!gitops) return onward(run);
  const argocd = gitops.argocd;
  if (argocd?.registerCluster) {
    // Remembered before asking (an interrupted registration may have taken effect), and only
    // with a green that goes on cancel: a green that stays keeps its registration.
    if (pending(run, 'delete-green')) remember(run, { kind: 'deregister-green' });
    await sittingOut(run, { what: `green ${spec.green.cluster} registered in Argo CD` }, () => registerGreenInArgo(run, argocd));
  }
  const syncTimeout = spec.gitops?.syncTimeout ?? DEFAULTS.gitopsSyncTimeout;
  const what = `GitOps synced and healthy on green ${spec.green.cluster} (at most ${syncTimeout})`;
  const result = await sittingOut(run, { what }, () =>
    interruptible(run, () =>
      waitUpTo(syncTimeout).bootstrapGitops({
        region: spec.region,
        green: spec.green.cluster,
        // Registration is its own audited step (above): the wait only waits.
        argocd: argocd && { ...argocd, registerCluster: false },
        flux: gitops.flux,
        timeout: syncTimeout,
      }),
    ),
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

export async function validating(run: Run): Promise<Phase> {
  const { spec, state } = run;
  // Blue's volumes carried to green first, so green's workloads are judged on blue's data.
  const carrying = carriesState(run);
  if (carrying && (await carryOver(run)) === 'rejected') {
    await undoCarryOver(run, SYSTEM_ACTOR, state.error!);
    return 'rolled-back';
  }
  const what = `validation of green ${spec.green.cluster}: smoke checks, drift against blue, readiness`;
  const result = await checking(run, what, () => quick.validateGreen(validateInput(spec)));
  state.findings.validation = result.findings;
  const blocking = result.findings.filter((f) => f.severity === 'blocking');
  if (blocking.length === 0) return onward(run);
  state.error = `validation failed: ${blocking.map((f) => f.message).join('; ')}`;
  // Blue serves on: its workloads come back, and green's copies go (a retry copies afresh).
  if (carrying) await undoCarryOver(run, SYSTEM_ACTOR, state.error);
  return 'rolled-back';
}

export async function awaitingCutover(run: Run): Promise<Phase> {
  const { decision, actor } = await gate(run, 'cutover');
  if (decision === 'reject') return 'rolled-back';
  run.state.shiftApprovedBy = actor;
  return onward(run);
}

export async function shifting(run: Run): Promise<Phase> {
  const { plan, state } = run;
  while (state.stepsDone < plan.steps.length) {
    await boundary(run);
    let step = plan.steps[state.stepsDone];
    // After a step-back, the next step waits at its gate (an auto step too), saying why.
    const held = state.gateAfterStepBack?.step === step.index ? state.gateAfterStepBack : undefined;
    const gateName = step.approvalGate ?? (held && stepGate(step.index));
    if (gateName && !state.promotion?.met) {
      const { decision, actor } = await gate(run, gateName, { reason: held?.reason, decidedBy: () => promoted(run) });
      if (decision === 'reject') rejected(run, actor, `${gateName} rejected`);
      state.shiftApprovedBy = actor;
    }
    state.gateAfterStepBack = undefined;
    if (state.promotion?.met) step = promote(run);
    await forwardAllowed(run, `step ${step.index}/${plan.steps.length}: green ${step.weights.green}%`);

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

/** A promote met while a step's gate waits: it decides that gate, as its last approver. */
function promoted(run: Run): Decision | undefined {
  const promotion = run.state.promotion;
  if (!promotion?.met) return undefined;
  const approvers = promotion.approvals.map((a) => a.actor);
  return { decision: 'approve', actor: approvers[approvers.length - 1], comment: 'promoted to 100 %', approvers };
}

/** The plan's last step, the remaining ones skipped: the promote's approvers carry it out. */
function promote(run: Run): PlannedStep {
  const { plan, state } = run;
  const last = plan.steps[plan.steps.length - 1];
  const approvers = state.promotion!.approvals.map((a) => a.actor);
  state.shiftApprovedBy = approvers[approvers.length - 1];
  audit(run, state.shiftApprovedBy, 'promoted', `steps ${state.stepsDone + 1}–${plan.steps.length - 1} skipped: green to ${last.weights.green}%`, { approvers });
  state.promotion = undefined;
  return last;
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
  heldAfterWait({
    type: 'ShareNotObserved',
    expected: `green's share of traffic did not come within ${check.tolerance} points of ${intended} % within ${check.within}`,
    seen: `last reading ${result.observed === undefined ? 'none' : `${result.observed} %`} (${result.reason}) from ${source}`,
    check: 'Find what keeps traffic on its old cluster (clients with cached DNS, another route)',
    orRollBack: true,
  });
}

export async function baking(run: Run): Promise<Phase> {
  // Only a bake over peaks asks the patch: no run before it could have one.
  if (run.spec.bakePeaks.length > 0 && wf.patched(PATCHES.bakePeaks)) await bakeOverPeaks(run);
  else await durableTimer(run, TIMERS.bake, run.spec.bake);
  return onward(run);
}

export async function frozen(run: Run): Promise<Phase> {
  if (run.gitops && !pending(run, 'resume-blue-auto-sync')) {
    // Remembered before asking: a rollback must restore whatever part of the pause took effect.
    remember(run, { kind: 'resume-blue-auto-sync' });
    await pauseBlueAutoSync(run, run.state.shiftApprovedBy ?? run.startedBy);
  }
  await durableTimer(run, TIMERS.freeze, run.spec.freeze);
  return onward(run);
}
