// The migration workflow: one run moves traffic from blue to green and retires blue
// (DESIGN §1). It only sequences; pure decisions live in plan.ts and invariants.ts,
// outside effects in activities. Every wait is interruptible by rollback and cancel.
import * as wf from '@temporalio/workflow';
import { durationMs } from './duration.js';
import type { Activities } from '../activities/index.js';
import {
  abortUpdate,
  approveUpdate,
  auditQuery,
  cancelUpdate,
  pauseUpdate,
  REJECTION,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  statusQuery,
  type ActorRequest,
} from './messages.js';
import {
  ALL_BLUE,
  ROLLBACK_PHASES,
  SYSTEM_ACTOR,
  TERMINAL_PHASES,
  WATCHER_ACTOR,
  type Actor,
  type AuditEvent,
  type Finding,
  type GateName,
  type HealthStatus,
  type MigrationStatus,
  type PendingGate,
  type Phase,
  type TimerStatus,
  type Weights,
} from './model.js';
import { buildPlan, DEFAULTS, resolveSpec } from './plan.js';
import { blueDeletionAllowed } from './invariants.js';
import type { MigrationSpec } from './spec.js';

const NON_RETRYABLE = ['InvalidSpec', 'NotFound', 'AccessDenied', 'Unsupported'];

// Option presets, one place for timeouts (STYLE: quick, cloudMutation, longPoll).
const quick = wf.proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});
const cloudMutation = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // Short first retry: a rollback must land in well under a second even after a blip.
  retry: { initialInterval: '100ms', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
});
// A weight change runs as a local activity: in the worker, within the workflow task that
// decided it, with no activity task round trip through the server (a rollback lands sooner).
// Only the change itself (a few calls): a wait for it to apply can take minutes and stays an activity.
const localMutation = wf.proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE },
});
const longPoll = wf.proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});
/** Waits until GitOps has converged on green; the activity itself gives up at `syncTimeout` and says what still waits. */
const gitopsConvergence = (syncTimeout: string) =>
  wf.proxyActivities<Activities>({
    startToCloseTimeout: durationMs(syncTimeout) + 10 * 60_000,
    heartbeatTimeout: '1m',
    retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
  });
/** The health watcher heartbeats once per check, so its heartbeat timeout follows the check interval. */
const healthWatcher = (interval: string) =>
  wf.proxyActivities<Activities>({
    startToCloseTimeout: '3650 days',
    heartbeatTimeout: 2 * durationMs(interval) + 60_000,
    // Settles only once the watcher has stopped, so a continue-as-new never leaves one running.
    // The watcher heartbeats every few seconds (activities/health.ts), so this is quick.
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', maximumInterval: '1m' },
  });

export interface MigrationInput {
  spec: MigrationSpec;
  startedBy: Actor;
  /** State carried over a continue-as-new; absent on the first run. */
  carried?: CarriedState;
  /** Continue-as-new at the next phase boundary once history is this long (besides the server's suggestion). */
  historyLimit?: number;
}

export interface MigrationOutcome {
  phase: Phase;
  weights: Weights;
  error?: string;
}

/** What the GitOps activities need to know of the spec (no credentials: those stay in the worker). */
type GitopsRef = Pick<NonNullable<MigrationSpec['gitops']>, 'argocd' | 'flux'>;

type Interrupt = { kind: 'rollback' | 'cancel'; actor: Actor; reason: string };
type AfterRollback = { choice: 'retry' | 'abort'; actor: Actor };

/** Everything a run needs to continue where it stood; plain JSON for continue-as-new. */
export interface CarriedState {
  phase: Phase;
  paused: boolean;
  weights: Weights;
  stepsDone: number;
  /** The step whose weights are in place (observed now, or last applied). */
  currentStep: number;
  pendingGate?: PendingGate;
  decisions: Record<string, { decision: 'approve' | 'reject'; actor: Actor; comment?: string }>;
  /** Findings of the last preflight, GitOps bootstrap, validation and check of green's targets. */
  findings: { preflight: Finding[]; gitops?: Finding[]; validation: Finding[]; targets?: Finding[] };
  timers: TimerStatus[];
  health: HealthStatus;
  greenCreated: boolean;
  /** This run registered green in Argo CD (so a cancel that deletes green deregisters it). */
  greenRegistered?: boolean;
  /** Blue's GitOps auto-sync may be paused by this run (set before asking, so a rollback always restores it). */
  blueAutoSyncPaused?: boolean;
  blueDeleted: boolean;
  /** When green first carried 100 % (ISO); bake+freeze count from here. */
  greenFullSince?: string;
  /** Who approved the traffic now moving to green (cutover or the last step gate). */
  shiftApprovedBy?: Actor;
  /** Who approved decommissioning in this cycle (cleared by a rollback). */
  decommissionApprovedBy?: Actor;
  interrupt?: Interrupt;
  rollbacksRequested: number;
  rollbacksDone: number;
  afterRollback?: AfterRollback;
  audit: AuditEvent[];
  error?: string;
}

class Interrupted extends Error {}

const AUDIT_IN_STATUS = 20;
/** Green's targets are checked this many times, TARGET_RECHECK apart, before the migration pauses. */
const TARGET_CHECKS = 10;
const TARGET_RECHECK = '30s';

export async function migration(input: MigrationInput): Promise<MigrationOutcome> {
  const spec = resolveSpec(input.spec);
  const plan = buildPlan(spec);
  const id = wf.workflowInfo().workflowId;
  const watcher = healthWatcher(spec.health.interval);
  // Behaviour added after histories were recorded: a run that began without a patch's marker
  // keeps replaying as it ran (test/histories). Asked once, at the start, for the whole run.
  const skipZeroWaits = wf.patched('skip-zero-waits');
  const gitopsLifecycle = wf.patched('gitops-lifecycle');
  const checkGreenTargets = wf.patched('green-target-check');
  const localWeightChanges = wf.patched('local-weight-changes');
  const gitops: GitopsRef | undefined = gitopsLifecycle && spec.gitops ? { argocd: spec.gitops.argocd, flux: spec.gitops.flux } : undefined;
  const state: CarriedState = input.carried ?? {
    phase: 'preflight',
    paused: false,
    weights: { ...ALL_BLUE },
    stepsDone: 0,
    currentStep: 0,
    decisions: {},
    findings: { preflight: [], validation: [] },
    timers: [],
    health: { watching: false },
    greenCreated: false,
    blueDeleted: false,
    rollbacksRequested: 0,
    rollbacksDone: 0,
    audit: [],
  };

  const now = () => new Date().toISOString();
  const audit = (actor: Actor, action: string, reason: string, detail?: Record<string, unknown>) => {
    state.audit.push({ at: now(), actor, action, reason, ...(detail ? { detail } : {}) });
  };
  const notify = async (event: Parameters<Activities['notify']>[0]['event'], text: string) => {
    try {
      await quick.notify({ migrationId: id, event, text, channel: spec.notify?.channel });
    } catch (err) {
      wf.log.warn('notification failed', { event, error: String(err) });
    }
  };
  const refuse = (message: string, type: string = REJECTION.notApplicable): never => {
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  };
  const isTerminal = () => TERMINAL_PHASES.includes(state.phase);

  // --- messages ---------------------------------------------------------------------
  wf.setHandler(statusQuery, (): MigrationStatus => {
    const step = state.currentStep > 0 ? plan.steps[state.currentStep - 1] : undefined;
    return {
      id,
      phase: state.phase,
      paused: state.paused,
      weights: state.weights,
      step: step && { index: step.index, of: plan.steps.length, greenWeight: step.weights.green },
      pendingGate: state.pendingGate,
      findings: [...state.findings.preflight, ...(state.findings.gitops ?? []), ...state.findings.validation, ...(state.findings.targets ?? [])],
      timers: state.timers,
      health: state.health,
      greenCreatedByMigration: state.greenCreated,
      blueDeleted: state.blueDeleted,
      startedBy: input.startedBy,
      audit: state.audit.slice(-AUDIT_IN_STATUS),
      error: state.error,
    };
  });

  wf.setHandler(auditQuery, () => state.audit);

  wf.setHandler(
    approveUpdate,
    (req) => {
      state.decisions[req.gate] = { decision: req.decision, actor: req.actor, comment: req.comment };
      state.pendingGate = undefined; // a second approval of the same gate is refused from now on
      return { gate: req.gate, decision: req.decision };
    },
    {
      validator: (req) => {
        if (state.pendingGate?.gate !== req.gate) {
          refuse(`gate ${req.gate} is not pending (phase ${state.phase}${state.pendingGate ? `, pending gate ${state.pendingGate.gate}` : ''})`);
        }
        if (req.decision !== 'approve' && req.decision !== 'reject') refuse(`decision must be approve or reject`);
        if (spec.approvals.distinctApprover && req.actor === input.startedBy) {
          refuse(`${req.actor} started this migration and cannot approve it (distinctApprover)`, REJECTION.selfApproval);
        }
      },
    },
  );

  wf.setHandler(
    rollbackUpdate,
    async (req) => {
      const ticket = ++state.rollbacksRequested;
      state.interrupt ??= { kind: 'rollback', actor: req.actor, reason: req.reason };
      if (req.wait) await wf.condition(() => state.rollbacksDone >= ticket || isTerminal());
      return { accepted: true as const, weights: req.wait ? state.weights : undefined };
    },
    {
      validator: (req) => {
        if (!ROLLBACK_PHASES.includes(state.phase)) refuse(`nothing to roll back in phase ${state.phase}`);
        if (state.interrupt?.kind === 'cancel') refuse('the migration is being cancelled');
        if (!req.reason?.trim()) refuse('a rollback needs a reason');
      },
    },
  );

  wf.setHandler(
    pauseUpdate,
    (req) => {
      state.paused = true;
      audit(req.actor, 'pause', req.reason ?? 'paused');
    },
    { validator: (_req: ActorRequest) => (state.paused || isTerminal() ? refuse(`cannot pause: phase ${state.phase}${state.paused ? ', already paused' : ''}`) : undefined) },
  );
  wf.setHandler(
    resumeUpdate,
    (req) => {
      state.paused = false;
      audit(req.actor, 'resume', req.reason ?? 'resumed');
    },
    { validator: (_req: ActorRequest) => (!state.paused ? refuse(`cannot resume: not paused (phase ${state.phase})`) : undefined) },
  );
  const afterRollback = (choice: AfterRollback['choice']) => (req: ActorRequest) => {
    state.afterRollback = { choice, actor: req.actor };
  };
  const onlyWhenRolledBack = (_req: ActorRequest) =>
    state.phase !== 'rolled-back' || state.afterRollback ? refuse(`only a rolled-back migration can do that (phase ${state.phase})`) : undefined;
  wf.setHandler(retryUpdate, afterRollback('retry'), { validator: onlyWhenRolledBack });
  wf.setHandler(abortUpdate, afterRollback('abort'), { validator: onlyWhenRolledBack });
  wf.setHandler(
    cancelUpdate,
    (req) => {
      state.interrupt = { kind: 'cancel', actor: req.actor, reason: req.reason ?? 'cancelled' };
    },
    {
      validator: (_req: ActorRequest) =>
        isTerminal() || state.phase === 'decommissioning' || state.interrupt?.kind === 'cancel'
          ? refuse(`cannot cancel in phase ${state.phase}`)
          : undefined,
    },
  );

  // --- waiting -------------------------------------------------------------------------
  const interruptPending = () =>
    !!state.interrupt && (state.interrupt.kind === 'cancel' || ROLLBACK_PHASES.includes(state.phase));
  const throwIfInterrupted = () => {
    if (interruptPending()) throw new Interrupted();
  };
  /** A rollback decided inside the workflow (a rejected gate, a health breach). */
  const requestRollback = (actor: Actor, reason: string): never => {
    state.rollbacksRequested++;
    state.interrupt ??= { kind: 'rollback', actor, reason };
    throw new Interrupted();
  };
  /** Waits for `done` (or `timeout`), but gives way at once to a rollback or cancel. */
  const waitFor = async (done: () => boolean, timeout?: string | number): Promise<boolean> => {
    // No timer for a zero wait (e.g. observe: "0s"): the server would fire it only on its next tick.
    if (skipZeroWaits && timeout !== undefined && durationMs(timeout) === 0) {
      throwIfInterrupted();
      return done();
    }
    const met = timeout === undefined ? (await wf.condition(() => done() || interruptPending()), true) : await wf.condition(() => done() || interruptPending(), timeout);
    throwIfInterrupted();
    return met && done();
  };
  /** Runs an activity that only waits, cancelling it when a rollback or cancel arrives. */
  const interruptible = async <T>(work: () => Promise<T>): Promise<T> => {
    const scope = new wf.CancellationScope();
    try {
      const outcome = await scope.run(() =>
        Promise.race([work().then((value) => ({ value })), wf.condition(interruptPending).then(() => null)]),
      );
      if (outcome === null) throw new Interrupted();
      return outcome.value;
    } finally {
      scope.cancel();
    }
  };
  /** Holds progression while paused; timers already running keep counting. */
  const boundary = async () => {
    throwIfInterrupted();
    if (state.paused) await waitFor(() => !state.paused);
  };
  const timer = async (name: string, duration: string) => {
    // Fire times are absolute and kept in state, so a continue-as-new resumes the same timer.
    let entry = state.timers.find((t) => t.name === name);
    if (!entry) {
      entry = { name, firesAt: new Date(Date.now() + durationMs(duration)).toISOString() };
      state.timers.push(entry);
    }
    try {
      const remaining = Date.parse(entry.firesAt) - Date.now();
      if (remaining > 0) await waitFor(() => false, remaining);
    } finally {
      // An interrupted timer is gone too: the status must not show a bake that no longer runs.
      state.timers = state.timers.filter((t) => t !== entry);
    }
  };
  type Decision = { decision: 'approve' | 'reject'; actor: Actor };
  const gate = async (name: GateName): Promise<Decision> => {
    state.pendingGate = { gate: name, since: now() };
    try {
      await notify('gate-pending', `${id}: gate ${name} waits for approval`);
      while (!state.decisions[name]) {
        const decided = await waitFor(() => !!state.decisions[name], spec.approvals.reminderInterval);
        if (!decided) await notify('gate-reminder', `${id}: gate ${name} pending since ${state.pendingGate?.since}`);
      }
      const { decision, actor, comment } = state.decisions[name];
      audit(actor, `gate-${decision}`, comment ?? `${name} ${decision}d`, { gate: name });
      return { decision, actor };
    } finally {
      // Also when a rollback or cancel interrupts the wait: an approval must only count for the
      // gate a person saw pending, never be accepted later and consumed by a future gate.
      delete state.decisions[name];
      state.pendingGate = undefined;
    }
  };

  // --- effects -------------------------------------------------------------------------
  const enter = (phase: Phase) => {
    state.phase = phase;
    // A retry or abort answers one rollback; a choice from an earlier one must not linger.
    if (phase === 'rolled-back') state.afterRollback = undefined;
    wf.upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: phase }]);
  };
  const trafficInput = { region: spec.region, traffic: spec.traffic };
  /** Moves traffic in one atomic change and waits until it is applied. */
  const shift = async (weights: Weights, actor: Actor, reason: string, waitInterruptibly: boolean) => {
    // Not abandoned halfway by a workflow cancel: the state must know what the routing serves.
    const mutation = localWeightChanges ? localMutation : cloudMutation;
    const result = await wf.CancellationScope.nonCancellable(() => mutation.setWeights({ ...trafficInput, weights, actor, reason }));
    state.weights = weights;
    // Audited even when `changed` is false: a retried call whose first attempt took effect says so.
    audit(actor, 'set-weights', reason, { blue: weights.blue, green: weights.green, changed: result.changed, changeIds: result.changeIds });
    const applied = async () => {
      if (localWeightChanges && result.applied) return; // the answer to the change said so already
      await longPoll.waitWeightsApplied({ ...trafficInput, changeIds: result.changeIds, weights });
    };
    if (waitInterruptibly) {
      await interruptible(applied);
      if (result.settleSeconds > 0) await waitFor(() => false, result.settleSeconds * 1000);
    } else {
      await applied();
    }
  };
  /**
   * Green must be able to take more traffic before it gets it (healthy ALB targets, ready pods).
   * A blocking finding holds the step; still there after a few re-checks, the migration pauses
   * with the findings in its status until a person resumes it. Traffic stays where it is.
   */
  const greenCanTakeMore = async (stepIndex: number) => {
    for (let checks = 1; ; checks++) {
      const { findings } = await quick.checkGreenTargets(trafficInput);
      state.findings.targets = findings;
      const blocking = findings.filter((f) => f.severity === 'blocking');
      if (blocking.length === 0) return;
      if (checks < TARGET_CHECKS) {
        await waitFor(() => false, TARGET_RECHECK);
        continue;
      }
      const reason = `green not ready for step ${stepIndex}: ${blocking.map((f) => f.message).join('; ')}`;
      state.paused = true;
      audit(SYSTEM_ACTOR, 'pause', reason);
      await notify('warning', `${id}: paused, ${reason}`);
      await boundary();
      checks = 0;
    }
  };
  /** Puts all traffic on blue; the caller records the new phase before anything slower. */
  const rollBack = async (actor: Actor, reason: string) => {
    await shift(ALL_BLUE, actor, reason, false);
    state.greenFullSince = undefined;
    state.decommissionApprovedBy = undefined;
    state.currentStep = 0;
  };
  const gitopsInput = (cluster: string) => ({ region: spec.region, cluster, argocd: gitops?.argocd, flux: gitops?.flux });
  /** GitOps steps around the freeze and decommission are safeguards: a failure is reported, never fatal. */
  const reportFailure = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (err instanceof Interrupted || wf.isCancellation(err)) throw err;
      const reason = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : String(err);
      const message = `${what} failed: ${reason}`;
      state.findings.gitops = [...(state.findings.gitops ?? []), { severity: 'warning', source: 'gitops', message }];
      await notify('warning', `${id}: ${message}`);
    }
  };
  /** Freeze: blue's GitOps stops re-syncing it, so blue stays as it was for a rollback. */
  const pauseBlueAutoSync = (actor: Actor) =>
    reportFailure(`pausing ${spec.blue.cluster}'s auto-sync`, async () => {
      // Recorded before asking: a rollback must restore whatever part of the pause took effect.
      state.blueAutoSyncPaused = true;
      const result = await interruptible(() => cloudMutation.pauseBlueAutoSync(gitopsInput(spec.blue.cluster)));
      audit(actor, 'pause-blue-auto-sync', 'freeze: blue is kept as it is', { changed: result.changed });
    });
  /** Blue serves traffic again (rollback, cancel): its GitOps must keep it current again. */
  const resumeBlueAutoSync = async (actor: Actor, reason: string) => {
    if (!state.blueAutoSyncPaused) return;
    await reportFailure(`resuming ${spec.blue.cluster}'s auto-sync`, async () => {
      const result = await wf.CancellationScope.nonCancellable(() => cloudMutation.resumeBlueAutoSync(gitopsInput(spec.blue.cluster)));
      audit(actor, 'resume-blue-auto-sync', reason, { changed: result.changed });
    });
    state.blueAutoSyncPaused = false;
  };
  const deregisterFromArgo = (cluster: string, actor: Actor, reason: string) =>
    reportFailure(`deregistering ${cluster} from Argo CD`, async () => {
      const argocd = gitops?.argocd;
      if (!argocd) return;
      const result = await wf.CancellationScope.nonCancellable(() => cloudMutation.deregisterArgoCluster({ region: spec.region, cluster, argocd }));
      audit(actor, 'deregister-cluster', reason, { cluster, removed: result.removed });
    });

  /** Settles when the last health watcher has stopped (not merely been asked to). */
  let watcherStopped: Promise<unknown> = Promise.resolve();
  /** Runs the health watcher beside `work`; a breach acts per spec.health.onBreach. */
  const withHealthWatcher = async (work: () => Promise<void>) => {
    if (spec.health.smoke.length === 0) return work();
    const scope = new wf.CancellationScope();
    state.health.watching = true;
    const watching = scope.run(async () => {
      for (;;) {
        const breach = await watcher.watchHealth({ health: spec.health });
        state.health.lastVerdict = 'breach';
        state.health.lastBreach = { at: now(), reason: breach.reason };
        await notify('breach', `${id}: health breach: ${breach.reason}`);
        if (spec.health.onBreach === 'rollback') {
          state.interrupt ??= { kind: 'rollback', actor: WATCHER_ACTOR, reason: `health breach: ${breach.reason}` };
          state.rollbacksRequested++;
          return;
        }
        if (spec.health.onBreach === 'pause' && !state.paused) {
          state.paused = true;
          audit(WATCHER_ACTOR, 'pause', `health breach: ${breach.reason}`);
        }
      }
    });
    watcherStopped = watching.catch((err) => {
      if (!wf.isCancellation(err)) wf.log.error('health watcher failed', { error: String(err) });
    });
    try {
      await work();
    } finally {
      state.health.watching = false;
      scope.cancel();
    }
  };

  // --- phases --------------------------------------------------------------------------
  const compensations: { name: string; run: () => Promise<void> }[] = [];
  const phases: Partial<Record<Phase, () => Promise<Phase>>> = {
    preflight: async () => {
      const result = await quick.preflight({
        region: spec.region,
        blue: spec.blue.cluster,
        green: spec.green.cluster,
        targetVersion: spec.green.kubernetesVersion,
        mode: spec.green.mode,
      });
      state.findings.preflight = result.findings;
      if (!result.findings.some((f) => f.severity === 'blocking')) return 'provisioning';
      return (await gate('preflight-override')).decision === 'approve' ? 'provisioning' : 'failed';
    },
    provisioning: async () => {
      const result = await longPoll.provisionGreen({
        migrationId: id,
        region: spec.region,
        blue: spec.blue.cluster,
        green: spec.green.cluster,
        targetVersion: spec.green.kubernetesVersion,
        mode: spec.green.mode,
      });
      if (result.created && !state.greenCreated) {
        state.greenCreated = true;
        audit(input.startedBy, 'create-cluster', `green ${spec.green.cluster} at ${spec.green.kubernetesVersion}`);
      }
      return plan.phases.includes('bootstrapping') ? 'bootstrapping' : 'validating';
    },
    bootstrapping: async () => {
      if (!gitops) return 'validating';
      const green = spec.green.cluster;
      const argocd = gitops.argocd;
      if (argocd?.registerCluster) {
        // Recorded before asking: a cancel that deletes green must also remove its registration.
        state.greenRegistered = true;
        const registered = await interruptible(() => cloudMutation.registerArgoCluster({ region: spec.region, cluster: green, argocd }));
        audit(input.startedBy, 'register-cluster', `green ${green} registered in Argo CD`, { secret: registered.secretName, changed: registered.changed });
      }
      const syncTimeout = spec.gitops?.syncTimeout ?? DEFAULTS.gitopsSyncTimeout;
      const result = await interruptible(() =>
        gitopsConvergence(syncTimeout).bootstrapGitops({
          region: spec.region,
          green,
          argocd: argocd && { ...argocd, registerCluster: false },
          flux: gitops.flux,
          timeout: syncTimeout,
        }),
      );
      state.findings.gitops = result.findings;
      if (result.ready) return 'validating';
      return (await gate('bootstrap-override')).decision === 'approve' ? 'validating' : 'failed';
    },
    validating: async () => {
      const result = await quick.validateGreen({
        region: spec.region,
        blue: spec.blue.cluster,
        green: spec.green.cluster,
        health: spec.health,
      });
      state.findings.validation = result.findings;
      const blocking = result.findings.filter((f) => f.severity === 'blocking');
      if (blocking.length === 0) return 'awaiting-cutover';
      state.error = `validation failed: ${blocking.map((f) => f.message).join('; ')}`;
      return 'rolled-back';
    },
    'awaiting-cutover': async () => {
      const { decision, actor } = await gate('cutover');
      if (decision === 'reject') return 'rolled-back';
      state.shiftApprovedBy = actor;
      return 'shifting';
    },
    shifting: async () => {
      for (const step of plan.steps.slice(state.stepsDone)) {
        await boundary();
        if (step.approvalGate) {
          const { decision, actor } = await gate(step.approvalGate);
          if (decision === 'reject') requestRollback(actor, `${step.approvalGate} rejected`);
          state.shiftApprovedBy = actor;
        }
        if (checkGreenTargets && step.weights.green > state.weights.green) await greenCanTakeMore(step.index);
        state.currentStep = step.index;
        // The person who approved this traffic is its actor; the workflow only carries it out.
        const actor = state.shiftApprovedBy ?? input.startedBy;
        await shift(step.weights, actor, `step ${step.index}/${plan.steps.length}: green ${step.weights.green}%`, true);
        if (step.weights.green === 100) state.greenFullSince ??= now();
        await waitFor(() => false, step.observe);
        state.stepsDone = step.index;
      }
      return 'baking';
    },
    baking: async () => {
      await timer('bake', spec.bake);
      return 'frozen';
    },
    frozen: async () => {
      if (gitops && !state.blueAutoSyncPaused) await pauseBlueAutoSync(state.shiftApprovedBy ?? input.startedBy);
      await timer('freeze', spec.freeze);
      return 'awaiting-decommission';
    },
    'awaiting-decommission': async () => {
      const { decision, actor } = await gate('decommission');
      if (decision === 'reject') return requestRollback(actor, 'decommission rejected');
      state.decommissionApprovedBy = actor;
      return 'decommissioning';
    },
    decommissioning: async () => {
      const approver = state.decommissionApprovedBy;
      const verdict = blueDeletionAllowed({
        greenFullSince: state.greenFullSince,
        now: now(),
        bake: spec.bake,
        freeze: spec.freeze,
        decommissionApproved: !!approver,
      });
      if (!verdict.allowed) throw wf.ApplicationFailure.create({ type: 'InvariantViolation', message: verdict.reason, nonRetryable: true });
      await cloudMutation.removeBlueRouting({ ...trafficInput, actor: approver!, reason: 'decommission approved' });
      audit(approver!, 'remove-blue-routing', 'decommission approved');
      await deregisterFromArgo(spec.blue.cluster, approver!, 'decommission approved');
      if (plan.decommission.deleteBlueCluster) {
        await longPoll.deleteCluster({ region: spec.region, cluster: spec.blue.cluster });
        state.blueDeleted = true;
        audit(approver!, 'delete-cluster', `blue ${spec.blue.cluster} retired`);
      }
      return 'completed';
    },
    'rolled-back': async () => {
      await waitFor(() => !!state.afterRollback);
      const { choice, actor } = state.afterRollback!;
      state.afterRollback = undefined;
      audit(actor, choice, choice === 'retry' ? 'back to validating' : 'migration abandoned, traffic stays on blue');
      if (choice === 'abort') return 'aborted';
      state.stepsDone = 0;
      state.timers = [];
      state.error = undefined;
      return 'validating';
    },
  };

  if (!input.carried) {
    audit(input.startedBy, 'start', `migrate ${spec.blue.cluster} → ${spec.green.cluster} (${spec.green.kubernetesVersion})`);
    wf.upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: state.phase },
      { key: SEARCH_ATTRIBUTES.blue, value: spec.blue.cluster },
      { key: SEARCH_ATTRIBUTES.green, value: spec.green.cluster },
      { key: SEARCH_ATTRIBUTES.targetVersion, value: spec.green.kubernetesVersion },
    ]);
  }

  const cancelAndCompensate = async (actor: Actor, reason: string) => {
    await wf.CancellationScope.nonCancellable(async () => {
      if (state.weights.green > 0) await rollBack(actor, `cancel: ${reason}`);
      state.rollbacksDone = state.rollbacksRequested;
      await resumeBlueAutoSync(actor, `cancel: ${reason}`);
      if (state.greenCreated && spec.green.deleteOnCancel) {
        compensations.push({
          name: 'delete green',
          run: async () => {
            await longPoll.deleteCluster({ region: spec.region, cluster: spec.green.cluster });
            audit(actor, 'delete-cluster', `green ${spec.green.cluster} removed on cancel`);
          },
        });
        // Pushed last, so it runs first: the registration goes before the cluster it points at.
        if (state.greenRegistered) {
          compensations.push({ name: 'deregister green', run: () => deregisterFromArgo(spec.green.cluster, actor, `green ${spec.green.cluster} removed on cancel`) });
        }
      }
      for (const step of compensations.reverse()) await step.run();
      audit(actor, 'cancel', reason);
      enter('cancelled');
      await notify('cancelled', `${id}: cancelled by ${actor}: ${reason}`);
    });
  };

  try {
    while (!isTerminal()) {
      const info = wf.workflowInfo();
      if ((info.continueAsNewSuggested || (input.historyLimit && info.historyLength > input.historyLimit)) && !state.interrupt) {
        await watcherStopped;
        await wf.condition(wf.allHandlersFinished);
        // Search attributes are passed on explicitly so list filters keep finding the migration.
        const next = wf.makeContinueAsNewFunc<typeof migration>({ typedSearchAttributes: info.typedSearchAttributes });
        return await next({ ...input, carried: state });
      }
      try {
        await boundary();
        const run = phases[state.phase];
        if (!run) throw new Error(`no handler for phase ${state.phase}`);
        const inWatchedPhase = state.phase === 'shifting' || state.phase === 'baking' || state.phase === 'frozen';
        let next: Phase = state.phase;
        const step = async () => {
          next = await run();
          // A pause holds before the next phase begins (its label and timers included), with
          // the health watcher of the current phase still on duty.
          if (!TERMINAL_PHASES.includes(next) && next !== 'rolled-back') await boundary();
        };
        await (inWatchedPhase ? withHealthWatcher(step) : step());
        enter(next);
        if (next === 'completed') await notify('completed', `${id}: completed`);
      } catch (err) {
        if (!(err instanceof Interrupted)) throw err;
        // The interrupt stays set while it is handled, so validators see a rollback or cancel in
        // progress; once handled it is cleared unless a cancel replaced it meanwhile.
        const handling = state.interrupt!;
        if (handling.kind === 'cancel') {
          await cancelAndCompensate(handling.actor, handling.reason);
        } else {
          await rollBack(handling.actor, handling.reason);
          // Phase first, then answer waiting rollback requests: a retry sent right after a
          // `rollback?wait=true` must find the migration rolled back.
          enter('rolled-back');
          state.rollbacksDone = state.rollbacksRequested;
          if (state.interrupt === handling) state.interrupt = undefined;
          await resumeBlueAutoSync(handling.actor, `rollback: ${handling.reason}`);
          await notify('rollback', `${id}: traffic back on blue (${handling.reason}, by ${handling.actor})`);
        }
      }
    }
  } catch (err) {
    if (wf.isCancellation(err)) {
      await cancelAndCompensate(SYSTEM_ACTOR, 'workflow cancelled');
    } else {
      state.error = err instanceof Error ? err.message : String(err);
      enter('failed');
      await notify('failed', `${id}: failed: ${state.error}`);
      throw err;
    }
  }
  await watcherStopped;
  return { phase: state.phase, weights: state.weights, error: state.error };
}
