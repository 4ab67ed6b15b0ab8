// Markers for changes to what open runs do (docs/architecture.md, "Changing the released
// workflow"). Each is asked where its change is, so a run that began before it keeps the old
// path on replay; each has a fixture in test/histories/ that takes the new path unless it says why not.
export const PATCHES = {
  /** Preflight reads the routing (every routed object, all on blue) beside the cluster checks. */
  preflightRouting: 'preflight-routing',
  /** A rejected bootstrap-override holds the run in needs-attention instead of ending it failed. */
  bootstrapRejectHolds: 'bootstrap-reject-holds',
  /**
   * A breach the health watcher reports after it was stopped is dropped, not acted on. No
   * fixture: the path needs a watcher answering in the moment after its cancel.
   */
  staleBreachIgnored: 'stale-breach-ignored',
  /**
   * Decommissioning in steps (model.ts DECOMMISSION_STEPS): blue's load balancers deleted and
   * gone before its node groups, then the cluster; retained volumes reported; the progress in
   * the status; a wait that times out holds the run.
   */
  decommissionSteps: 'decommission-steps',
  /**
   * A bake with peak windows (bake.peaks) waits, beyond its minimum, until each window has
   * passed once; their times come from a local activity. Asked only for such a bake, which no
   * run before it could have.
   */
  bakePeaks: 'bake-peaks',
  /**
   * The health watcher also runs for metric checks (health.metrics), told its phase, in a
   * phase where a metric check runs. Asked only by specs with metric checks, so every run that
   * began before them keeps its path.
   */
  metricChecks: 'metric-checks',
  /**
   * Each step waits, after its weights are applied and its DNS wait, until green's observed
   * share of traffic is within a tolerance of its weight (traffic.observedShare). Asked only by
   * specs with that setting, which no run before it could have.
   */
  observedShare: 'observed-share',
  /**
   * A forward weight change whose local activity used up its attempts on a failure a retry can
   * fix (Throttling) is tried again after a pause, instead of holding the run: such a failure
   * arrives as the activity's bare ApplicationFailure, which was taken for a final one. Asked
   * only where such a failure arrives.
   */
  forwardRetryLocalFailure: 'forward-retry-local-failure',
  /**
   * A retry or abort, once acted on, stays on record until the next phase begins: a second
   * choice sent while a pause holds that phase back is refused. Before, it was accepted and
   * lingered until the next hold, which it ended at once (an abort with green serving).
   */
  choiceKeptUntilNextPhase: 'choice-kept-until-next-phase',
  /**
   * The checks the forward phases wait on (preflight's, provisioning, validation, green's
   * targets) give way at once to a cancel, or to a rollback where one applies: the activity is
   * cancelled, also while it retries, instead of being waited for.
   */
  interruptibleChecks: 'interruptible-checks',
  /**
   * A failure in preflight or provisioning (credentials refused, an unknown cluster or zone)
   * holds the run in needs-attention with the reason, as later failures do, instead of ending it
   * failed: a person fixes the access and retries, or aborts or cancels. Traffic never moved
   * there, so abort and cancel write no weights. Asked once, as a run starts (state
   * `failuresHold`): a decision first asked at the failure could be taken while the worker
   * replays a workflow task the server refused, where a missing marker reads as "old run".
   */
  holdBeforeTraffic: 'hold-before-traffic',
  /**
   * Governance: approval policies decide the gates (k of N from groups, the starter and earlier
   * approvers excluded, expiry that rejects, holds or escalates), and step-back and promote
   * apply. Asked once, as a run starts (state `governance`); runs before keep one approval per
   * gate and refuse step-back and promote.
   */
  governance: 'governance',
  /**
   * Change freezes: before each forward move (the first shift and each step, decommissioning)
   * the run asks a local activity whether a freeze window is open (the spec's, the calendars it
   * names, the worker's company-wide ones) and waits it out. Asked once, as a run starts (state
   * `freezeChecks`), so every run started before keeps its path for good.
   */
  changeFreezes: 'change-freezes',
  /**
   * Guarded destroy: after the decommission gate, a last delay (decommission.lastDelay),
   * announced and cancellable (keep-blue: back to the gate), before anything of blue is
   * deleted; and a blue marked protected (tag cutover.io/protected=true, or EKS deletion
   * protection), read as decommissioning begins, is kept: its routing goes, nothing of it is
   * deleted. Asked once, as a run starts (state `guardedDestroy`), like hold-before-traffic.
   */
  guardedDestroy: 'guarded-destroy',
  /**
   * Stateful workloads carried over (spec.stateful): validation begins with blue's writes stopped
   * (gate stateful, or its workloads scaled to zero), EBS snapshots, volumes in green's zones,
   * and the PersistentVolumes and claims in green; a rollback, a failed validation and a cancel
   * undo them. Asked only by specs with `stateful`, which no run before it could have.
   */
  statefulCarryOver: 'stateful-carry-over',
} as const;
