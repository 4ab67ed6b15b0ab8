// The lifecycle as a table: what each phase does and which phase follows it. A phase waits
// only through waits.ts, so a rollback or cancel interrupts it anywhere (see `onInterrupt`).
import * as wf from '@temporalio/workflow';
import { INVARIANT_VIOLATION } from '../failures.js';
import { blueDeletionAllowed } from '../invariants.js';
import { TERMINAL_PHASES, TIMERS, WATCHED_PHASES, type Actor, type Phase } from '../model.js';
import { DEFAULTS, phaseAfter } from '../plan.js';
import { cloudMutation, gitopsConvergence, longPoll, notify, quick } from './activities.js';
import {
  deregisterFromArgo,
  greenCanTakeMore,
  pauseBlueAutoSync,
  registerGreenInArgo,
  rollBack,
  shift,
  trafficInput,
  withHealthWatcher,
} from './effects.js';
import { compensate, pending, remember, undo } from './saga.js';
import { audit, enter, now, requestRollback, type Run } from './state.js';
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
  'rolled-back': rolledBack, //                 waits for retry (back to validating) or abort
};

/** Runs the current phase and enters the one that follows it. */
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
  await (WATCHED_PHASES.includes(phase) ? withHealthWatcher(run, work) : work());
  enter(run, next);
  if (next === 'completed') await notify(run, 'completed', `${run.id}: completed`);
}

/** The next phase of the plan: the phase at hand went well. */
const onward = (run: Run): Phase => phaseAfter(run.plan, run.state.phase);

/** A person rejected going on: the rollback is requested like any other, and carried out at once. */
function rejected(run: Run, actor: Actor, reason: string): never {
  requestRollback(run.state, actor, reason);
  throw new Interrupted();
}

async function preflight(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const result = await quick.preflight({
    region: spec.region,
    blue: spec.blue.cluster,
    green: spec.green.cluster,
    targetVersion: spec.green.kubernetesVersion,
    mode: spec.green.mode,
  });
  state.findings.preflight = result.findings;
  if (!result.findings.some((f) => f.severity === 'blocking')) return onward(run);
  return (await gate(run, 'preflight-override')).decision === 'approve' ? onward(run) : 'failed';
}

async function provisioning(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const result = await longPoll.provisionGreen({
    migrationId: run.id,
    region: spec.region,
    blue: spec.blue.cluster,
    green: spec.green.cluster,
    targetVersion: spec.green.kubernetesVersion,
    mode: spec.green.mode,
  });
  if (result.created && !state.greenCreated) {
    state.greenCreated = true;
    audit(run, run.startedBy, 'create-cluster', `green ${spec.green.cluster} at ${spec.green.kubernetesVersion}`);
    if (spec.green.deleteOnCancel) remember(run, { kind: 'delete-green' });
  }
  return onward(run);
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
    gitopsConvergence(syncTimeout).bootstrapGitops({
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
  return (await gate(run, 'bootstrap-override')).decision === 'approve' ? onward(run) : 'failed';
}

async function validating(run: Run): Promise<Phase> {
  const { spec, state } = run;
  const result = await quick.validateGreen({ region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, health: spec.health });
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
    if (step.weights.green === 100) state.greenFullSince ??= now();
    await waitFor(run, () => false, step.observe);
    state.stepsDone = step.index;
  }
  return onward(run);
}

async function baking(run: Run): Promise<Phase> {
  await durableTimer(run, TIMERS.bake, run.spec.bake);
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
  if (!verdict.allowed) throw wf.ApplicationFailure.create({ type: INVARIANT_VIOLATION, message: verdict.reason, nonRetryable: true });
  await cloudMutation.removeBlueRouting({ ...trafficInput(run), actor: approver!, reason: 'decommission approved' });
  audit(run, approver!, 'remove-blue-routing', 'decommission approved');
  await deregisterFromArgo(run, spec.blue.cluster, approver!, 'decommission approved');
  if (run.plan.decommission.deleteBlueCluster) {
    await longPoll.deleteCluster({ region: spec.region, cluster: spec.blue.cluster });
    state.blueDeleted = true;
    audit(run, approver!, 'delete-cluster', `blue ${spec.blue.cluster} retired`);
  }
  return onward(run);
}

async function rolledBack(run: Run): Promise<Phase> {
  const { state } = run;
  await waitFor(run, () => !!state.afterRollback);
  const { choice, actor } = state.afterRollback!;
  state.afterRollback = undefined;
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
    if (state.weights.green > 0) await rollBack(run, actor, `cancel: ${reason}`);
    state.rollbacksDone++;
    await compensate(run, actor, `cancel: ${reason}`);
    audit(run, actor, 'cancel', reason);
    enter(run, 'cancelled');
    await notify(run, 'cancelled', `${run.id}: cancelled by ${actor}: ${reason}`);
  });
}
