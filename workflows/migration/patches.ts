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
   * The health watcher also runs for metric checks (health.metrics), told its phase, in a
   * phase where a metric check runs. Asked only by specs with metric checks, so every run that
   * began before them keeps its path.
   */
  metricChecks: 'metric-checks',
} as const;
