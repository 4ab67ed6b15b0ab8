// What the workflow does to the world: shift traffic, put it back on blue, the GitOps
// safeguards around the freeze, and the health watcher beside the phases that carry traffic.
import * as wf from '@temporalio/workflow';
import type { SetWeightsInput, SetWeightsResult } from '../../activities/contract.js';
import { describeFailure, NON_RETRYABLE_FAILURES, RETRYING_NOTIFY_AT } from '../failures.js';
import { ALL_BLUE, SYSTEM_ACTOR, WATCHER_ACTOR, type Actor, type Weights } from '../model.js';
import { appliedWhen } from '../drivers/index.js';
import type { MetricPhase } from '../spec.js';
import { trafficInputOf } from './inputs.js';
import { PATCHES } from './patches.js';
import { bestEffort, cloudMutation, FORWARD_ATTEMPTS_PER_CALL, healthWatcher, LOCAL_FORWARD, LOCAL_MUTATION, localForward, localMutation, longPoll, notify, quick } from './activities.js';
import { audit, nonRetryable, now, pause, requestRollback } from './state.js';
import type { GitopsRef, Run } from './types.js';
import { tell, weightsSummary } from './story.js';
import { boundary, checking, interruptible, Interrupted, sittingOut, waitFor } from './waits.js';

/** Green's targets are checked this many times, TARGET_RECHECK apart, before the migration pauses. */
const TARGET_CHECKS = 10;
const TARGET_RECHECK = '30s';

export const trafficInput = (run: Run) => trafficInputOf(run.spec);

/** A forward weight change that still fails after this many attempts holds the migration (needs-attention). */
const FORWARD_MAX_ATTEMPTS = 15;
const FORWARD_RETRY_PAUSE = '5s';

/**
 * Makes a change to the world and audits it. A call that failed is audited too, with its error:
 * it may have taken effect before its answer was lost, and the audit must show every change.
 */
export async function audited<T>(
  run: Run,
  entry: { actor: Actor; action: string; reason: string; detail?: (result: T) => Record<string, unknown> },
  call: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await call();
  } catch (err) {
    audit(run, entry.actor, entry.action, entry.reason, { failed: describeFailure(err), mayHaveTakenEffect: true });
    throw err;
  }
  audit(run, entry.actor, entry.action, entry.reason, entry.detail?.(result));
  return result;
}

/**
 * A failure another attempt may fix (not one the activity or the workflow marked final). A
 * local activity that used up its attempts fails with the activity's own ApplicationFailure,
 * not wrapped in an ActivityFailure as a remote one is.
 */
function retryable(err: unknown): boolean {
  const final = (f: wf.ApplicationFailure) => f.nonRetryable || (!!f.type && NON_RETRYABLE_FAILURES.includes(f.type));
  if (err instanceof wf.ActivityFailure) return !(err.cause instanceof wf.ApplicationFailure && final(err.cause));
  return err instanceof wf.ApplicationFailure && !final(err) && wf.patched(PATCHES.forwardRetryLocalFailure);
}

/**
 * Moves traffic in one atomic change and waits until it is applied. A forward change gives
 * way to a rollback or cancel at once (the rollback's own change, written after it, wins)
 * and is retried a bounded number of times; a rollback's change (`forward` false) is never
 * abandoned halfway, so the state knows what the routing serves.
 */
export async function shift(run: Run, weights: Weights, actor: Actor, reason: string, forward: boolean): Promise<void> {
  const input = trafficInput(run);
  const change = { ...input, weights, actor, reason };
  const result = forward
    ? await forwardChange(run, change)
    : await wf.CancellationScope.nonCancellable(() => localMutation.setWeights.executeWithOptions({ ...LOCAL_MUTATION, summary: weightsSummary(weights) }, [change])).catch((err: unknown) => {
        auditUnknownChange(run, change, { failed: describeFailure(err) });
        throw err;
      });
  run.state.weights = weights;
  tell(run);
  // Audited even when `changed` is false: a retried call whose first attempt took effect says so.
  audit(run, actor, 'set-weights', reason, { blue: weights.blue, green: weights.green, changed: result.changed, changeIds: result.changeIds });
  const applied = async () => {
    if (result.applied) return; // the answer to the change said so already
    await longPoll.waitWeightsApplied({ ...input, changeIds: result.changeIds, weights });
  };
  if (!forward) return applied();
  const target = `blue ${weights.blue} green ${weights.green}`;
  await sittingOut(run, { what: `until ${appliedWhen(run.spec.traffic)}: ${target}` }, () => interruptible(run, applied));
  const settle = result.settleSeconds;
  if (settle > 0) {
    // Results recorded before settleReason existed carry the record TTL alone.
    const why = result.settleReason ?? `TTL ${settle} s of the records`;
    const what = `${why}, after the routing serves ${target}: resolvers may keep the old answer this long`;
    await sittingOut(run, { what, seconds: settle }, () => waitFor(run, () => false, settle * 1000, what));
  }
}

/**
 * A forward change, a few attempts per local activity call and calls in a loop, so the status
 * shows a change that keeps failing (`retrying`) and a rollback never waits behind it.
 */
async function forwardChange(run: Run, change: SetWeightsInput): Promise<SetWeightsResult> {
  const { state } = run;
  try {
    for (let attempts = FORWARD_ATTEMPTS_PER_CALL; ; attempts += FORWARD_ATTEMPTS_PER_CALL) {
      try {
        return await interruptible(run, () => localForward.setWeights.executeWithOptions({ ...LOCAL_FORWARD, summary: weightsSummary(change.weights) }, [change]));
      } catch (err) {
        if (!retryable(err)) throw err;
        const lastError = describeFailure(err);
        state.retrying = { activity: 'setWeights', attempts, lastError, since: state.retrying?.since ?? now() };
        const target = `blue ${change.weights.blue} green ${change.weights.green}`;
        if (attempts >= FORWARD_MAX_ATTEMPTS) {
          throw nonRetryable('RetriesExhausted', `weight change to ${target} still failing after ${attempts} attempts: ${lastError}`);
        }
        if (attempts >= RETRYING_NOTIFY_AT && attempts - FORWARD_ATTEMPTS_PER_CALL < RETRYING_NOTIFY_AT) {
          await notify(run, 'retrying', `${run.id}: weight change to ${target} failed ${attempts} times, retrying: ${lastError}`);
        }
        await waitFor(run, () => false, FORWARD_RETRY_PAUSE);
      }
    }
  } catch (err) {
    if (err instanceof Interrupted || wf.isCancellation(err)) {
      // The change may have taken effect before it was given up: count it as served, so the
      // rollback or cancel that follows writes blue's weights after it (and the audit says so).
      state.weights = change.weights;
      auditUnknownChange(run, change, { interrupted: true });
    } else {
      // Held next (needs-attention reads what the routing serves); the audit says it was tried.
      auditUnknownChange(run, change, { failed: describeFailure(err) });
    }
    throw err;
  } finally {
    state.retrying = undefined;
  }
}

/** A weight change whose effect is unknown (given up, or failed after it may have been applied). */
function auditUnknownChange(run: Run, change: SetWeightsInput, why: Record<string, unknown>): void {
  audit(run, change.actor, 'set-weights', change.reason, { blue: change.weights.blue, green: change.weights.green, changed: 'unknown', ...why });
}

/** What the routing serves, read live, becomes the state's weights when every routed object agrees. */
export function adoptServedWeights(run: Run, served: Weights[]): void {
  const [first] = served;
  if (first && served.every((w) => w.blue === first.blue && w.green === first.green)) run.state.weights = { ...first };
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
    const { findings } = await checking(run, `green can take step ${stepIndex}'s traffic (healthy targets, ready pods)`, () => quick.checkGreenTargets(trafficInput(run)));
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
    const message = `${what} failed: ${describeFailure(err)}`;
    run.state.findings.gitops = [...(run.state.findings.gitops ?? []), { severity: 'warning', source: 'gitops', message }];
    await notify(run, 'warning', `${run.id}: ${message}`);
  }
}

/** Freeze: blue's GitOps stops re-syncing it, so blue stays as it was for a rollback. */
export function pauseBlueAutoSync(run: Run, actor: Actor): Promise<void> {
  const blue = run.spec.blue.cluster;
  return reportFailure(run, `pausing ${blue}'s auto-sync`, async () => {
    const entry = { actor, action: 'pause-blue-auto-sync', reason: 'freeze: blue is kept as it is', detail: (r: { changed: unknown }) => ({ changed: r.changed }) };
    await audited(run, entry, () => interruptible(run, () => cloudMutation.pauseBlueAutoSync(gitopsInput(run, blue))));
  });
}

/**
 * Blue serves traffic again (rollback, cancel, abort): its GitOps must keep it current again.
 * Best effort: a management cluster out of reach leaves a warning (and a notification) that
 * blue's auto-sync is still paused, rather than holding the rollback or cancel.
 */
export function resumeBlueAutoSync(run: Run, actor: Actor, reason: string): Promise<void> {
  const blue = run.spec.blue.cluster;
  return reportFailure(run, `resuming ${blue}'s auto-sync`, async () => {
    const entry = { actor, action: 'resume-blue-auto-sync', reason, detail: (r: { changed: unknown }) => ({ changed: r.changed }) };
    await audited(run, entry, () => wf.CancellationScope.nonCancellable(() => bestEffort.resumeBlueAutoSync(gitopsInput(run, blue))));
  });
}

export async function registerGreenInArgo(run: Run, argocd: NonNullable<GitopsRef['argocd']>): Promise<void> {
  const green = run.spec.green.cluster;
  const entry = {
    actor: run.startedBy,
    action: 'register-cluster',
    reason: `green ${green} registered in Argo CD`,
    detail: (r: { secretName: string; changed: boolean }) => ({ secret: r.secretName, changed: r.changed }),
  };
  await audited(run, entry, () => interruptible(run, () => cloudMutation.registerArgoCluster({ region: run.spec.region, cluster: green, argocd })));
}

export function deregisterFromArgo(run: Run, cluster: string, actor: Actor, reason: string): Promise<void> {
  return reportFailure(run, `deregistering ${cluster} from Argo CD`, async () => {
    const argocd = run.gitops?.argocd;
    if (!argocd) return;
    const entry = { actor, action: 'deregister-cluster', reason, detail: (r: { removed: unknown }) => ({ cluster, removed: r.removed }) };
    await audited(run, entry, () => wf.CancellationScope.nonCancellable(() => bestEffort.deregisterArgoCluster({ region: run.spec.region, cluster, argocd })));
  });
}

// --- health watcher ----------------------------------------------------------------------

/** Runs the health watcher beside `work`; a breach acts per spec.health.onBreach. */
export async function withHealthWatcher(run: Run, work: () => Promise<void>): Promise<void> {
  if (run.spec.health.smoke.length === 0 && !metricChecksIn(run)) return work();
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

/**
 * Whether a metric check runs in the current phase. Only a spec with metric checks asks the
 * patch (specs before them have none), so their histories replay as they were.
 */
function metricChecksIn(run: Run): boolean {
  const phase = run.state.phase as MetricPhase;
  return !!run.spec.health.metrics?.some((c) => c.phases[phase]) && wf.patched(PATCHES.metricChecks);
}

async function watchHealth(run: Run): Promise<void> {
  const { spec, state } = run;
  const watcher = healthWatcher(spec.health.interval);
  // The phase the watcher guards: metric checks have their rule (and failure count) per phase.
  const metrics = metricChecksIn(run) ? { phase: state.phase as MetricPhase, region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster } : undefined;
  let breachAudited = false;
  for (;;) {
    const breach = await watcher.watchHealth({ health: spec.health, ...(metrics && { metrics }) });
    // A breach found after the watcher was stopped belongs to the phase that ended (a rollback
    // or retry may already have moved on): it must not roll back what came after.
    if (wf.CancellationScope.current().consideredCancelled && wf.patched(PATCHES.staleBreachIgnored)) return;
    state.health.lastVerdict = 'breach';
    state.health.lastBreach = { at: now(), reason: breach.reason, ...(breach.check && { check: breach.check }) };
    // The breach itself, with the numbers it was judged by (a metric check's): the first of this
    // phase and each one that acts. Later ones (notify only, or paused already) update lastBreach
    // and notify, so a check failing for weeks does not grow the audit carried in the run's state.
    if (!breachAudited || spec.health.onBreach === 'rollback' || (spec.health.onBreach === 'pause' && !state.paused)) {
      audit(run, WATCHER_ACTOR, 'health-breach', breach.reason, { consecutiveFailures: breach.consecutiveFailures, onBreach: spec.health.onBreach, ...(breach.check && { check: breach.check }) });
      breachAudited = true;
    }
    await notify(run, 'breach', `${run.id}: health breach: ${breach.reason}`);
    if (spec.health.onBreach === 'rollback') {
      requestRollback(state, WATCHER_ACTOR, `health breach: ${breach.reason}`);
      return;
    }
    if (spec.health.onBreach === 'pause' && !state.paused) pause(run, WATCHER_ACTOR, `health breach: ${breach.reason}`);
  }
}
