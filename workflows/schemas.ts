// What a migration shows: its status (the status Query) and its plan (buildPlan), as TypeBox
// schemas. The types in model.ts and plan.ts are derived from them, and the API serves and
// documents them as they are, so the workflow, the API and the CLI share one shape each.
// Pure: workflow code imports only types from here, so TypeBox stays out of its bundle.
import { Type } from 'typebox';
import { DECOMMISSION_STEPS, FIXED_GATES, GATE_NAME_PATTERN, METRIC_PHASES, PHASES, type GateName } from './model.js';
import { NO_DATA_POLICIES, StringEnum } from './spec.js';

export const GateNameSchema = Type.Unsafe<GateName>({
  type: 'string',
  pattern: GATE_NAME_PATTERN,
  description: `${FIXED_GATES.join(', ')} or step-N`,
});

export const WeightsSchema = Type.Object({ blue: Type.Integer(), green: Type.Integer() });

export const FindingSchema = Type.Object({
  severity: StringEnum(['blocking', 'warning', 'info'] as const),
  source: Type.String(),
  message: Type.String(),
});

export const TimerStatusSchema = Type.Object({ name: Type.String(), firesAt: Type.String({ description: 'ISO time' }) });

/** One reading of a metric check, with the numbers it was judged by. */
export const MetricVerdictSchema = Type.Object({
  check: Type.String({ description: 'the check\'s name' }),
  outcome: StringEnum(['pass', 'fail', 'no-data'] as const),
  phase: StringEnum(METRIC_PHASES),
  value: Type.Optional(Type.Number({ description: "green's value (absent: no data)" })),
  blue: Type.Optional(Type.Number({ description: "blue's value, for a comparison with blue" })),
  above: Type.Optional(Type.Number({ description: 'fails above this (for a comparison: blue plus the tolerance)' })),
  below: Type.Optional(Type.Number({ description: 'fails below this (for a comparison: blue minus the tolerance)' })),
  failsWhen: Type.String({ description: 'the rule, e.g. "value > 0.01", "green > blue + 20 %", "alarm in ALARM"' }),
  window: Type.String({ description: 'the window the value was read over' }),
  alarmState: Type.Optional(Type.String({ description: 'OK, ALARM or INSUFFICIENT_DATA, for a CloudWatch alarm' })),
  reason: Type.Optional(Type.String({ description: 'why there is no data, or what the alarm says' })),
  consecutiveFailures: Type.Integer({ description: 'failures in a row in this phase; failureThreshold of them make a breach' }),
  failureThreshold: Type.Integer(),
  at: Type.String({ description: 'ISO time of the reading' }),
});

export const HealthStatusSchema = Type.Object({
  watching: Type.Boolean(),
  lastVerdict: Type.Optional(StringEnum(['healthy', 'breach'] as const)),
  lastBreach: Type.Optional(
    Type.Object({
      at: Type.String(),
      reason: Type.String(),
      check: Type.Optional(MetricVerdictSchema),
    }),
  ),
  checks: Type.Optional(
    Type.Array(MetricVerdictSchema, { description: "the last reading of each metric check, while the health watcher runs (from its heartbeat; kept out of the run's history)" }),
  ),
});

export const AuditEventSchema = Type.Object({
  at: Type.String({ description: 'ISO time, from the workflow clock' }),
  actor: Type.String({ description: "a person's subject, or watcher" }),
  action: Type.String(),
  reason: Type.String(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const PendingGateSchema = Type.Object({ gate: GateNameSchema, since: Type.String() });

/** Why a migration is held (needs-attention), where, and what the routing served when it was read. */
export const AttentionSchema = Type.Object({
  error: Type.String(),
  phase: StringEnum(PHASES, { description: 'the phase that failed; a retry re-enters it' }),
  step: Type.Optional(Type.Integer({ description: 'the traffic step that failed, when shifting' })),
  at: Type.String({ description: 'ISO time' }),
  liveWeights: Type.Optional(Type.Array(WeightsSchema, { description: 'read from the routing layer when the migration was held, one per routed object' })),
  weightsUnknown: Type.Optional(Type.String({ description: 'why the routing could not be read: a rollback is still allowed' })),
});

/** A change that keeps failing and is being retried (forward weight changes). */
export const RetryingSchema = Type.Object({
  activity: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.String(),
  since: Type.String({ description: 'ISO time of the first failed attempt' }),
});

/** Decommissioning's steps in order, each with how far it got. */
/** The observed-share check's last answer for a step: green's weight against the share it carries. */
export const ObservedShareReadingSchema = Type.Object({
  intended: Type.Number({ description: "the step's green weight (percent)" }),
  observed: Type.Optional(Type.Number({ description: "green's share of traffic (percent) over the window at the last reading; absent while neither side has traffic" })),
  tolerance: Type.Number({ description: 'percentage points observed may be off intended' }),
  within: Type.Boolean({ description: 'observed within tolerance of intended' }),
  source: Type.String({ description: 'where green and blue are read' }),
  reason: Type.Optional(Type.String({ description: 'why not within: the share, no data, or why a source could not be read' })),
  at: Type.String({ description: 'ISO time of the last reading' }),
});

/** The drain check's last answer: blue's traffic against the threshold. */
export const DrainReadingSchema = Type.Object({
  drained: Type.Boolean(),
  value: Type.Optional(Type.Number({ description: "blue's traffic over the window at the last reading; absent with no data" })),
  below: Type.Number(),
  window: Type.String(),
  source: Type.String({ description: 'where it was read' }),
  reason: Type.Optional(Type.String({ description: 'why not drained: the value, no data, or why the source could not be read' })),
  at: Type.String({ description: 'ISO time of the last reading' }),
});

export const DecommissionStatusSchema = Type.Object({
  steps: Type.Array(
    Type.Object({
      step: StringEnum(DECOMMISSION_STEPS),
      status: StringEnum(['done', 'running', 'failed', 'pending'] as const, { description: 'failed: the migration is held there (needs-attention); a retry goes on from it' }),
    }),
  ),
  drain: Type.Optional(DrainReadingSchema),
});

/** A wait the workflow sits out now: what it waits for and why, since when, and until when if known. */
export const WaitingSchema = Type.Object({
  what: Type.String({ description: 'e.g. "TTL 300 s of app.example.com. CNAME after Route 53 INSYNC"' }),
  since: Type.String({ description: 'ISO time' }),
  seconds: Type.Optional(Type.Number({ description: 'its length, when known in advance' })),
  until: Type.Optional(Type.String({ description: 'ISO time it ends, when known in advance (an INSYNC wait is not)' })),
});

/** A bake over peak windows, while it runs: what it still waits for. */
export const BakeStatusSchema = Type.Object({
  since: Type.String({ description: 'ISO time the bake began' }),
  minimumEndsAt: Type.String({ description: 'ISO time the minimum has passed' }),
  endsAt: Type.String({ description: 'ISO time the bake is expected to end: the later of the minimum and the last window still to pass' }),
  windows: Type.Array(
    Type.Object({
      peak: Type.String({ description: 'the window as the spec gives it, e.g. "mon–fri 09:00–11:00 Europe/Berlin"' }),
      from: Type.String({ description: 'ISO time the occurrence that counts begins' }),
      to: Type.String({ description: 'ISO time it ends' }),
      passed: Type.Boolean({ description: 'it passed with green at 100 %, no health breach and the migration not paused' }),
      missed: Type.Optional(Type.Array(Type.String(), { description: 'earlier occurrences that did not count, and why' })),
    }),
  ),
});

export const PlannedStepSchema = Type.Object({
  index: Type.Integer({ description: '1-based' }),
  weights: WeightsSchema,
  approvalGate: Type.Optional(GateNameSchema),
  applied: Type.String({ description: 'what the step waits for once the weights are written, before its observe window, and why (Route 53 INSYNC, the records\' TTL, …)' }),
  observedShare: Type.Optional(Type.String({ description: "with traffic.observedShare: the share of traffic green must be seen to carry after the DNS wait, before the observe window" })),
  observe: Type.String(),
});

export const PlannedMetricCheckSchema = Type.Object({
  name: Type.String(),
  source: Type.String({ description: 'where the value is read' }),
  window: Type.String(),
  phases: Type.Array(
    Type.Object({
      phase: StringEnum(METRIC_PHASES),
      failsWhen: Type.String(),
      failureThreshold: Type.Integer(),
      noData: StringEnum(NO_DATA_POLICIES),
    }),
    { description: 'the phases the check runs in, with its rule in each' },
  ),
});

export const PlanSchema = Type.Object({
  phases: Type.Array(StringEnum(PHASES)),
  steps: Type.Array(PlannedStepSchema),
  gates: Type.Array(GateNameSchema),
  timers: Type.Array(
    Type.Object({
      name: Type.String(),
      duration: Type.String({ description: "its length; for a bake over peaks, the bake's minimum" }),
      peaks: Type.Optional(Type.Array(Type.String(), { description: 'the bake: windows that must each pass once, e.g. "mon–fri 09:00–11:00 Europe/Berlin"' })),
      ends: Type.Optional(Type.String({ description: 'when a bake over peaks ends' })),
    }),
  ),
  metricChecks: Type.Optional(Type.Array(PlannedMetricCheckSchema, { description: "health.metrics: each check's source, window and rule per phase" })),
  decommission: Type.Object({
    removeRouting: Type.Boolean(),
    deleteBlueCluster: Type.Optional(Type.String({ description: 'absent when blue is kept' })),
    keptBecause: Type.Optional(Type.String({ description: "why blue's cluster is kept although the spec did not ask for it (a cluster outside EKS)" })),
    steps: Type.Array(StringEnum(DECOMMISSION_STEPS), { description: 'what decommissioning does, in order' }),
    drain: Type.Optional(Type.String({ description: "with decommission.drain: where blue's traffic is read and what counts as drained" })),
  }),
});

export const MigrationStatusSchema = Type.Object({
  id: Type.String(),
  phase: StringEnum(PHASES),
  paused: Type.Boolean(),
  weights: WeightsSchema,
  step: Type.Optional(
    Type.Object({
      index: Type.Integer(),
      of: Type.Integer(),
      greenWeight: Type.Integer(),
      observedShare: Type.Optional(ObservedShareReadingSchema),
    }),
  ),
  pendingGate: Type.Optional(PendingGateSchema),
  findings: Type.Array(FindingSchema),
  timers: Type.Array(TimerStatusSchema),
  health: HealthStatusSchema,
  greenCreatedByMigration: Type.Boolean(),
  blueDeleted: Type.Boolean(),
  startedBy: Type.String(),
  team: Type.Optional(Type.String({ description: 'the owning team (spec.team): acting on the migration needs a role in it when the API has team scopes' })),
  audit: Type.Array(AuditEventSchema, { description: 'most recent audit events, oldest first' }),
  error: Type.Optional(Type.String()),
  attention: Type.Optional(AttentionSchema),
  retrying: Type.Optional(RetryingSchema),
  decommission: Type.Optional(DecommissionStatusSchema),
  waiting: Type.Optional(WaitingSchema),
  bake: Type.Optional(BakeStatusSchema),
  plan: Type.Object(PlanSchema.properties, { description: 'the plan, fixed when the migration started: a worker build with other defaults does not change it' }),
});
