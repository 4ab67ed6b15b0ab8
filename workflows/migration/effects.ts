// What the workflow does to the world: shift traffic, put it back on blue, the GitOps
// safeguards around the freeze, and the health watcher beside the phases that carry traffic.
import * as wf from '@temporalio/workflow';
import { ALL_BLUE, SYSTEM_ACTOR, WATCHER_ACTOR, type Actor, type Weights } from '../model.js';
import { cloudMutation, healthWatcher, localMutation, longPoll, notify, quick } from './activities.js';
import { audit, now, pause, requestRollback, type GitopsRef, type Run } from './state.js';
import { boundary, interruptible, Interrupted, waitFor } from './waits.js';

/** Green's targets are checked this many times, TARGET_RECHECK apart, before the migration pauses. */
const TARGET_CHECKS = 10;
const TARGET_RECHECK = '30s';

export const trafficInput = (run: Run) => ({ region: run.spec.region, traffic: run.spec.traffic });

/** Moves traffic in one atomic change and waits until it is applied. */
export async function shift(run: Run, weights: Weights, actor: Actor, reason: string, waitInterruptibly: boolean): Promise<void> {
  const input = trafficInput(run);
  // Not abandoned halfway by a workflow cancel: the state must know what the routing serves.
  const result = await wf.CancellationScope.nonCancellable(() => localMutation.setWeights({ ...input, weights, actor, reason }));
  run.state.weights = weights;
  // Audited even when `changed` is false: a retried call whose first attempt took effect says so.
  audit(run, actor, 'set-weights', reason, { blue: weights.blue, green: weights.green, changed: result.changed, changeIds: result.changeIds });
  const applied = async () => {
    if (result.applied) return; // the answer to the change said so already
    await longPoll.waitWeightsApplied({ ...input, changeIds: result.changeIds, weights });
  };
  if (waitInterruptibly) {
    await interruptible(run, applied);
    if (result.settleSeconds > 0) await waitFor(run, () => false, result.settleSeconds * 1000);
  } else {
    await applied();
  }
}

/** Puts all traffic on blue; the caller records the new phase before anything slower. */
export async function rollBack(run: Run, actor: Actor, reason: string): Promise<void> {
  await shift(run, ALL_BLUE, actor, reason, false);
  run.state.greenFullSince = undefined;
  run.state.decommissionApprovedBy = undefined;
  run.state.currentStep = 0;
}

/**
 * Green must be able to take more traffic before it gets it (healthy ALB targets, ready pods).
 * A blocking finding holds the step; still there after a few re-checks, the migration pauses
 * with the findings in its status until a person resumes it. Traffic stays where it is.
 */
export async function greenCanTakeMore(run: Run, stepIndex: number): Promise<void> {
  for (let checks = 1; ; checks++) {
    const { findings } = await quick.checkGreenTargets(trafficInput(run));
    run.state.findings.targets = findings;
    const blocking = findings.filter((f) => f.severity === 'blocking');
    if (blocking.length === 0) return;
    if (checks < TARGET_CHECKS) {
      await waitFor(run, () => false, TARGET_RECHECK);
      continue;
    }
    const reason = `green not ready for step ${stepIndex}: ${blocking.map((f) => f.message).join('; ')}`;
    pause(run, SYSTEM_ACTOR, reason);
    await notify(run, 'warning', `${run.id}: paused, ${reason}`);
    await boundary(run);
    checks = 0;
  }
}

// --- GitOps safeguards -------------------------------------------------------------------

const gitopsInput = (run: Run, cluster: string) => ({ region: run.spec.region, cluster, argocd: run.gitops?.argocd, flux: run.gitops?.flux });

/** GitOps steps around the freeze and decommission are safeguards: a failure is reported, never fatal. */
async function reportFailure(run: Run, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Interrupted || wf.isCancellation(err)) throw err;
    const reason = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
    const message = `${what} failed: ${reason}`;
    run.state.findings.gitops = [...(run.state.findings.gitops ?? []), { severity: 'warning', source: 'gitops', message }];
    await notify(run, 'warning', `${run.id}: ${message}`);
  }
}

/** Freeze: blue's GitOps stops re-syncing it, so blue stays as it was for a rollback. */
export function pauseBlueAutoSync(run: Run, actor: Actor): Promise<void> {
  const blue = run.spec.blue.cluster;
  return reportFailure(run, `pausing ${blue}'s auto-sync`, async () => {
    const result = await interruptible(run, () => cloudMutation.pauseBlueAutoSync(gitopsInput(run, blue)));
    audit(run, actor, 'pause-blue-auto-sync', 'freeze: blue is kept as it is', { changed: result.changed });
  });
}

/** Blue serves traffic again (rollback, cancel): its GitOps must keep it current again. */
export function resumeBlueAutoSync(run: Run, actor: Actor, reason: string): Promise<void> {
  const blue = run.spec.blue.cluster;
  return reportFailure(run, `resuming ${blue}'s auto-sync`, async () => {
    const result = await wf.CancellationScope.nonCancellable(() => cloudMutation.resumeBlueAutoSync(gitopsInput(run, blue)));
    audit(run, actor, 'resume-blue-auto-sync', reason, { changed: result.changed });
  });
}

export async function registerGreenInArgo(run: Run, argocd: NonNullable<GitopsRef['argocd']>): Promise<void> {
  const green = run.spec.green.cluster;
  const registered = await interruptible(run, () => cloudMutation.registerArgoCluster({ region: run.spec.region, cluster: green, argocd }));
  audit(run, run.startedBy, 'register-cluster', `green ${green} registered in Argo CD`, { secret: registered.secretName, changed: registered.changed });
}

export function deregisterFromArgo(run: Run, cluster: string, actor: Actor, reason: string): Promise<void> {
  return reportFailure(run, `deregistering ${cluster} from Argo CD`, async () => {
    const argocd = run.gitops?.argocd;
    if (!argocd) return;
    const result = await wf.CancellationScope.nonCancellable(() => cloudMutation.deregisterArgoCluster({ region: run.spec.region, cluster, argocd }));
    audit(run, actor, 'deregister-cluster', reason, { cluster, removed: result.removed });
  });
}

// --- health watcher ----------------------------------------------------------------------

/** Runs the health watcher beside `work`; a breach acts per spec.health.onBreach. */
export async function withHealthWatcher(run: Run, work: () => Promise<void>): Promise<void> {
  if (run.spec.health.smoke.length === 0) return work();
  const scope = new wf.CancellationScope();
  run.state.health.watching = true;
  const watching = scope.run(() => watchHealth(run));
  run.watcherStopped = watching.catch((err) => {
    if (!wf.isCancellation(err)) wf.log.error('health watcher failed', { error: String(err) });
  });
  try {
    await work();
  } finally {
    run.state.health.watching = false;
    scope.cancel();
  }
}

async function watchHealth(run: Run): Promise<void> {
  const { spec, state } = run;
  const watcher = healthWatcher(spec.health.interval);
  for (;;) {
    const breach = await watcher.watchHealth({ health: spec.health });
    state.health.lastVerdict = 'breach';
    state.health.lastBreach = { at: now(), reason: breach.reason };
    await notify(run, 'breach', `${run.id}: health breach: ${breach.reason}`);
    if (spec.health.onBreach === 'rollback') {
      requestRollback(state, WATCHER_ACTOR, `health breach: ${breach.reason}`);
      return;
    }
    if (spec.health.onBreach === 'pause' && !state.paused) pause(run, WATCHER_ACTOR, `health breach: ${breach.reason}`);
  }
}
