// Markers for changes to what open runs do (docs/architecture.md, "Changing the released
// workflow"). Each is asked where its change is, so a run that began before it keeps the old
// path on replay; each has a fixture in test/histories/ that takes the new path.
export const PATCHES = {
  /** Preflight reads the routing (every routed object, all on blue) beside the cluster checks. */
  preflightRouting: 'preflight-routing',
  /** A rejected bootstrap-override holds the run in needs-attention instead of ending it failed. */
  bootstrapRejectHolds: 'bootstrap-reject-holds',
} as const;
