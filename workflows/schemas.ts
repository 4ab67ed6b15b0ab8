// What a migration shows: its status (the status Query) and its plan (buildPlan), as TypeBox
// schemas. The types in model.ts and plan.ts are derived from them, and the API serves and
// documents them as they are, so the workflow, the API and the CLI share one shape each.
// Pure: workflow code imports only types from here, so TypeBox stays out of its bundle.
import { Type, type Static } from 'typebox';
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

export const GateVoteSchema = Type.Object({
  actor: Type.String({ description: "the person's subject" }),
  at: Type.String({ description: 'ISO time' }),
  comment: Type.Optional(Type.String()),
});

export const PendingGateSchema = Type.Object({
  gate: GateNameSchema,
  since: Type.String(),
  required: Type.Optional(Type.Integer({ description: 'approvals the policy needs (k of N: approvals.length of required)' })),
  approvals: Type.Optional(Type.Array(GateVoteSchema, { description: 'who approved so far, when, with their comment' })),
  mayApprove: Type.Optional(
    Type.Object({
      groups: Type.Optional(Type.Array(Type.String(), { description: 'members of one of these groups; absent: anyone with the approver role' })),
      except: Type.Array(Type.String(), { description: 'people who may not approve it (the starter, approvers of earlier gates, who approved already)' }),
    }),
  ),
  policy: Type.Optional(Type.String({ description: 'the approval policy in a line' })),
  expiresAt: Type.Optional(Type.String({ description: 'ISO time the gate expires at (then the policy rejects, holds or escalates)' })),
  escalated: Type.Optional(Type.Object({ channel: Type.String(), at: Type.String(), actsAt: Type.String({ description: 'when the gate then rejects or holds' }) })),
  reason: Type.Optional(Type.String({ description: 'why the migration waits at this gate (a step-back)' })),
});

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
      status: StringEnum(['done', 'running', 'failed', 'pending', 'skipped'] as const, {
        description: 'failed: the migration is held there (needs-attention); a retry goes on from it. skipped: blue is protected, so nothing of it is deleted',
      }),
    }),
  ),
  drain: Type.Optional(DrainReadingSchema),
  keptBecause: Type.Optional(Type.String({ description: 'blue is protected (tag cutover.io/protected=true, or EKS deletion protection): what marks it; blue is kept' })),
});

/** The last delay before anything of blue is deleted, while it runs. */
export const LastDelayStatusSchema = Type.Object({
  since: Type.String({ description: 'ISO time the decommission gate was approved and the delay began' }),
  endsAt: Type.String({ description: 'ISO time blue starts to be deleted, unless kept' }),
  approvedBy: Type.String({ description: 'who approved the decommission gate' }),
  keepBlue: Type.String({ description: 'the command that cancels the delay and keeps blue (back to the decommission gate)' }),
});

/** A wait the workflow sits out now: what it waits for and why, since when, and until when if known. */
export const WaitingSchema = Type.Object({
  what: Type.String({ description: 'e.g. "TTL 300 s of app.example.com. CNAME after Route 53 INSYNC"' }),
  since: Type.String({ description: 'ISO time' }),
  seconds: Type.Optional(Type.Number({ description: 'its length, when known in advance' })),
  until: Type.Optional(Type.String({ description: 'ISO time it ends, when known in advance (an INSYNC wait is not)' })),
});

/** A change-freeze window holding the migration's next forward move, while it does. */
export const FreezeStatusSchema = Type.Object({
  window: Type.String({ description: 'its name, or its definition' }),
  calendar: Type.Optional(Type.String({ description: "the settings' calendar it comes from (absent: the spec's own window)" })),
  reason: Type.String(),
  from: Type.String({ description: 'ISO time it began' }),
  until: Type.String({ description: 'ISO time it ends: the migration goes on by itself then (unless another window follows)' }),
  timeZone: Type.String({ description: 'the IANA time zone the window is defined in' }),
  holds: Type.String({ description: 'the move it holds back, e.g. "step 2/4: green 50%" or "decommissioning"' }),
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
      ends: Type.Optional(Type.String({ description: 'when a bake over peaks ends; when the last delay runs' })),
    }),
  ),
  metricChecks: Type.Optional(Type.Array(PlannedMetricCheckSchema, { description: "health.metrics: each check's source, window and rule per phase" })),
  approvalPolicies: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'each kind of gate (cutover, step, promote, decommission, override; stateful with spec.stateful) → its approval policy in a line' })),
  greenOverrides: Type.Optional(Type.Array(Type.String(), { description: "green.overrides, one per line: what green gets other than blue's configuration when provisioning creates it" })),
  stateful: Type.Optional(
    Type.Object(
      {
        phase: StringEnum(['validating'] as const, { description: 'the carry-over is the first step of this phase, before the checks' }),
        carryOver: Type.Array(Type.String(), { description: 'what the carry-over does, in order' }),
        zones: Type.Record(Type.String(), Type.String(), { description: "blue's availability zone → green's, as the spec maps them" }),
        zonesByDefault: Type.String(),
      },
      { description: "spec.stateful: blue's EBS-backed claims carried to green before validation" },
    ),
  ),
  decommission: Type.Object({
    removeRouting: Type.Boolean(),
    deleteBlueCluster: Type.Optional(Type.String({ description: 'absent when blue is kept' })),
    keptBecause: Type.Optional(Type.String({ description: "why blue's cluster is kept although the spec did not ask for it (a cluster outside EKS)" })),
    steps: Type.Array(StringEnum(DECOMMISSION_STEPS), { description: 'what decommissioning does, in order' }),
    drain: Type.Optional(Type.String({ description: "with decommission.drain: where blue's traffic is read and what counts as drained; or \"none: <reason>\"" })),
    lastDelay: Type.Optional(Type.String({ description: 'the wait after the decommission gate before anything of blue is deleted (cancellable: keep-blue)' })),
  }),
});

/** The carry-over of blue's volumes (spec.stateful), as far as it went. */
export const CarryOverStatusSchema = Type.Object(
  {
    step: StringEnum(['inventory', 'quiesce', 'snapshots', 'volumes', 'claims', 'done'] as const, { description: 'the step under way (or done)' }),
    claims: Type.Array(
      Type.Object({
        claim: Type.String({ description: '"namespace/name" in blue, and the same in green' }),
        volumeId: Type.String({ description: "blue's EBS volume (never deleted by the carry-over)" }),
        zone: Type.String(),
        greenZone: Type.String(),
        sizeGiB: Type.Number(),
        encrypted: Type.Boolean(),
        snapshotId: Type.Optional(Type.String()),
        greenVolumeId: Type.Optional(Type.String()),
        persistentVolume: Type.Optional(Type.String({ description: "green's PersistentVolume" })),
        phase: Type.Optional(Type.String({ description: "green's claim: Bound once its PV controller bound it" })),
      }),
    ),
    scaled: Type.Optional(Type.Array(Type.Object({ workload: Type.String(), replicas: Type.Integer({ description: 'restored on rollback or cancel' }) }))),
    quiescedAt: Type.Optional(Type.String({ description: "when blue's writes were confirmed stopped (gate stateful) or its workloads' pods were gone: the snapshots are taken after it" })),
  },
  { description: "spec.stateful: blue's claims carried to green, and blue's workloads scaled to zero (the snapshots' progress is in activities[].progress while they complete)" },
);

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
  promotion: Type.Optional(
    Type.Object(
      {
        approvals: Type.Array(GateVoteSchema),
        required: Type.Integer(),
        met: Type.Boolean({ description: 'green goes to 100 % once the current step has passed its checks' }),
        reason: Type.Optional(Type.String()),
        mayApprove: Type.Optional(Type.Object({ groups: Type.Optional(Type.Array(Type.String())), except: Type.Array(Type.String()) })),
      },
      { description: 'a promote asked for: its approvals under the promote policy' },
    ),
  ),
  findings: Type.Array(FindingSchema),
  timers: Type.Array(TimerStatusSchema),
  health: HealthStatusSchema,
  greenCreatedByMigration: Type.Boolean(),
  blueDeleted: Type.Boolean(),
  stateful: Type.Optional(CarryOverStatusSchema),
  startedBy: Type.String(),
  team: Type.Optional(Type.String({ description: 'the owning team (spec.team): acting on the migration needs a role in it when the API has team scopes' })),
  audit: Type.Array(AuditEventSchema, { description: 'most recent audit events, oldest first' }),
  error: Type.Optional(Type.String()),
  attention: Type.Optional(AttentionSchema),
  retrying: Type.Optional(RetryingSchema),
  decommission: Type.Optional(DecommissionStatusSchema),
  waiting: Type.Optional(WaitingSchema),
  bake: Type.Optional(BakeStatusSchema),
  freeze: Type.Optional(FreezeStatusSchema),
  lastDelay: Type.Optional(LastDelayStatusSchema),
  plan: Type.Object(PlanSchema.properties, { description: 'the plan, fixed when the migration started: a worker build with other defaults does not change it' }),
});

/** How a check of the dry run ended (workflows/inspect.ts). */
export const INSPECTION_CHECK_STATES = ['ok', 'finding', 'timed-out', 'unreachable'] as const;

/** What the dry run found (POST /v1/plans?inspect=true): the checks a migration's preflight and validation make, read-only. */
export const InspectionSchema = Type.Object(
  {
    workflowId: Type.String({ description: 'the inspection\'s own workflow (inspect-<uuid>), in the Temporal UI; not a migration' }),
    findings: Type.Array(FindingSchema, { description: 'what the checks found, as a migration records them; a check that did not answer is a blocking finding naming it and why' }),
    weights: Type.Optional(Type.Array(WeightsSchema, { description: 'what the routing serves now, one entry per routed object; absent when it could not be read' })),
    checks: Type.Array(
      Type.Object({
        name: StringEnum(['preflight', 'routing', 'validation', 'permissions'] as const),
        state: StringEnum(INSPECTION_CHECK_STATES, {
          description: 'ok: answered, nothing above info; finding: answered with a warning or blocking finding, or refused for good; timed-out: no answer within the bound; unreachable: failed after its attempts (a network or server error)',
        }),
        durationMs: Type.Integer({ minimum: 0 }),
      }),
    ),
    startedAt: Type.String({ description: 'ISO time' }),
    tookMs: Type.Integer({ minimum: 0 }),
  },
  { title: 'Inspection' },
);
export type Inspection = Static<typeof InspectionSchema>;
export type InspectionCheck = Inspection['checks'][number];
