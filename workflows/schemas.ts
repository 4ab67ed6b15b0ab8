// What a migration shows: its status (the status Query) and its plan (buildPlan), as TypeBox
// schemas. The types in model.ts and plan.ts are derived from them, and the API serves and
// documents them as they are, so the workflow, the API and the CLI share one shape each.
// Pure: workflow code imports only types from here, so TypeBox stays out of its bundle.
import { Type } from 'typebox';
import { FIXED_GATES, GATE_NAME_PATTERN, PHASES, type GateName } from './model.js';
import { METRIC_PHASES, NO_DATA_POLICIES, StringEnum } from './spec.js';

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

export const MigrationStatusSchema = Type.Object({
  id: Type.String(),
  phase: StringEnum(PHASES),
  paused: Type.Boolean(),
  weights: WeightsSchema,
  step: Type.Optional(Type.Object({ index: Type.Integer(), of: Type.Integer(), greenWeight: Type.Integer() })),
  pendingGate: Type.Optional(PendingGateSchema),
  findings: Type.Array(FindingSchema),
  timers: Type.Array(TimerStatusSchema),
  health: HealthStatusSchema,
  greenCreatedByMigration: Type.Boolean(),
  blueDeleted: Type.Boolean(),
  startedBy: Type.String(),
  audit: Type.Array(AuditEventSchema, { description: 'most recent audit events, oldest first' }),
  error: Type.Optional(Type.String()),
  attention: Type.Optional(AttentionSchema),
  retrying: Type.Optional(RetryingSchema),
});

export const PlannedStepSchema = Type.Object({
  index: Type.Integer({ description: '1-based' }),
  weights: WeightsSchema,
  approvalGate: Type.Optional(GateNameSchema),
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
  timers: Type.Array(Type.Object({ name: Type.String(), duration: Type.String() })),
  metricChecks: Type.Optional(Type.Array(PlannedMetricCheckSchema, { description: "health.metrics: each check's source, window and rule per phase" })),
  decommission: Type.Object({
    removeRouting: Type.Boolean(),
    deleteBlueCluster: Type.Optional(Type.String({ description: 'absent when blue is kept' })),
    keptBecause: Type.Optional(Type.String({ description: "why blue's cluster is kept although the spec did not ask for it (a cluster outside EKS)" })),
  }),
});
