// Request and response schemas of the REST API: they type the handlers, validate requests,
// shape responses and feed /openapi.json, so the documentation cannot drift from the code.
import { Type, type Static } from 'typebox';
import { PHASES } from '../workflows/model.js';
import { MIGRATION_ID_PATTERN } from '../workflows/migration-id.js';
import { AuditEventSchema, GateNameSchema, InspectionSchema, MigrationStatusSchema, PlanSchema, WeightsSchema } from '../workflows/schemas.js';
import { MigrationSpecSchema, StringEnum } from '../workflows/spec.js';
import { TEAM_NAME } from '../workflows/spec-values.js';
import { DEFAULT_HEARTBEAT_S } from './event-stream.js';

/** The groups of operations in /openapi.json. */
export const TAGS = { migrations: 'migrations', operations: 'operations' } as const;

export const FieldError = Type.Object({
  path: Type.String({ description: 'JSON pointer to the field, e.g. /traffic/steps/2 or /querystring/pageSize' }),
  message: Type.String({ description: 'why it is wrong' }),
});

/** Who polls the migrations' task queue (pollers seen in the last 90 s). */
export const WorkersBody = Type.Object(
  {
    taskQueue: Type.String(),
    workflowPollers: Type.Integer({ description: 'workers that answer status queries and accept decisions' }),
    activityPollers: Type.Integer({ description: 'workers that do the work against AWS and Kubernetes' }),
  },
  { description: "who polls the migrations' task queue" },
);

export const Links = Type.Object({ temporalUi: Type.String({ description: "the migration's run in the Temporal Web UI" }) });

/** Every error answer, 4xx and 5xx alike. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'HTTP status title' }),
    message: Type.String(),
    requestId: Type.String({ description: 'also in the x-request-id header; the server log has details under it' }),
    errors: Type.Optional(Type.Array(FieldError, { description: 'every problem with the request, each naming its field; at most 50 entries, and then the last says how many more' })),
    truncated: Type.Optional(Type.Integer({ description: 'how many problems errors[] leaves out' })),
    id: Type.Optional(Type.String({ description: 'the migration concerned' })),
    phase: Type.Optional(Type.String({ description: 'phase the migration is in (409 and self-approval 403)' })),
    workflowStatus: Type.Optional(Type.String()),
    pendingGate: Type.Optional(Type.String()),
    links: Type.Optional(Links),
  },
  { additionalProperties: true, title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorBody>;

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid request (or an ambiguous Authorization header): errors[] names every bad field and why',
  401: 'No valid bearer token',
  403: "The token's role is too low, or the gate's approval policy does not let this person decide it (not in its groups, already approved, started the migration, approved an earlier gate); for a migration of a team, the caller's role in that team, named in the message",
  404: 'No such migration',
  409: "Does not apply in the migration's current state: phase and workflowStatus say which",
  413: 'The request body is larger than the API reads',
  503: "No worker polls the migrations' task queue, or Temporal or the worker did not answer in time: the message says which, naming the task queue; retry",
};
/** The documented error answers of a route: one body shape, a meaning per code. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { ...ErrorBody, description: ERROR_MEANINGS[c] ?? 'Error' }]));

/** A workflow ID as Cutover makes them (checkSpec refuses a spec whose ID would not match). */
const MigrationId = { pattern: MIGRATION_ID_PATTERN, description: 'migration ID, e.g. migration-us-east-1-sandbox-blue' };
export const IdParams = Type.Object({ id: Type.String({ ...MigrationId, examples: ['migration-us-east-1-sandbox-blue'] }) });
/** Without an example: an example ID would lead a fuzzer into a stream that lasts as long as the migration. */
export const StreamIdParams = Type.Object({ id: Type.String(MigrationId) });

/** The sandbox's migration (examples/sandbox.json, trimmed): prefills /docs and seeds the fuzzer. */
export const SPEC_EXAMPLE = {
  region: 'us-east-1',
  blue: { cluster: 'sandbox-blue' },
  green: { cluster: 'sandbox-green', mode: 'create', kubernetesVersion: '1.34' },
  traffic: {
    driver: 'route53',
    route53: { hostedZoneName: 'sandbox.example.', records: [{ name: 'app.sandbox.example.', type: 'CNAME' }] },
    steps: [20, 50, 80, 100],
    observe: '20s',
  },
  bake: '2m',
  freeze: '1m',
  approvals: { distinctApprover: true },
  decommission: { drain: { none: "sandbox: blue's only clients come through the record Cutover removes" }, lastDelay: '1m' },
};

/** A spec in a request body, with the sandbox's as its example. */
export const SpecBody = { ...MigrationSpecSchema, examples: [SPEC_EXAMPLE] } as typeof MigrationSpecSchema;

const INSPECT_DESCRIPTION = 'run the read-only checks of preflight and validation against the real accounts and clusters (in the worker, as the worker) and answer `inspection` too; nothing is started or written';

/** POST /v1/plans' body: a spec, and beside its fields `inspect` (the same as ?inspect=true), taken off before the spec is checked. */
export const PlanRequestBody = Type.Object(
  { ...MigrationSpecSchema.properties, inspect: Type.Optional(Type.Boolean({ description: `${INSPECT_DESCRIPTION}; the same as ?inspect=true` })) },
  { additionalProperties: false, title: 'PlanRequest', examples: [SPEC_EXAMPLE, { ...SPEC_EXAMPLE, inspect: true }] },
);

/** The dry run's bound: the answer comes by then, with a finding for each check still out. */
export const INSPECT_TIMEOUT = { default: '2m', minMs: 10_000, maxMs: 5 * 60_000 } as const;
export const PlanQuery = Type.Object({
  inspect: Type.Optional(Type.Boolean({ description: INSPECT_DESCRIPTION })),
  timeout: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: `with inspect: the bound of the whole inspection, a duration (e.g. 90s, 2m) from 10s to 5m (default ${INSPECT_TIMEOUT.default}); checks that have not answered by then are findings`,
      examples: ['90s'],
    }),
  ),
});

/** How an activity the migration waits on stands, as Temporal's server knows it. */
export const ACTIVITY_STATES = ['scheduled', 'running', 'waiting-to-retry', 'cancel-requested', 'paused'] as const;
export const ActivityStatus = Type.Object(
  {
    activity: Type.String({ description: 'the activity, e.g. preflight, provisionGreen, waitForRoutingApplied' }),
    state: StringEnum(ACTIVITY_STATES, {
      description: 'scheduled: waits for a worker to take it; running: an attempt runs; waiting-to-retry: an attempt failed, the next starts at nextAttemptAt; cancel-requested; paused (in Temporal)',
    }),
    attempt: Type.Integer({ minimum: 1, description: 'the attempt running or next; above 1, earlier attempts failed' }),
    since: Type.String({ description: 'when the activity was first scheduled (its first attempt)' }),
    lastError: Type.Optional(Type.String({ description: 'why the last attempt failed' })),
    lastFailedAt: Type.Optional(Type.String({ description: 'when the last attempt failed' })),
    nextAttemptAt: Type.Optional(Type.String({ description: 'waiting-to-retry: when the next attempt starts' })),
    progress: Type.Optional(
      Type.Array(Type.Unknown(), {
        description:
          "the carry-over of blue's volumes (spec.stateful), from the activity's last heartbeat: snapshotBlueVolumes each snapshot's progress (\"40%\") and state, createGreenVolumes each volume's state, bindGreenClaims each claim's phase, quiesceBlueWorkloads the pods still running",
      }),
    ),
  },
  { title: 'ActivityStatus' },
);
export type ActivityStatus = Static<typeof ActivityStatus>;

/** The status Query's answer (a closed run's: its final status), with what Temporal's server knows of the run. */
export const StatusBody = Type.Object(
  {
    ...MigrationStatusSchema.properties,
    workflowStatus: Type.String({ description: 'Temporal execution status: RUNNING, COMPLETED, FAILED, …' }),
    activities: Type.Array(ActivityStatus, {
      description: 'every activity the migration waits on now, with its attempts and last error: one that keeps failing shows here while it retries (the health watcher shows under health); empty once the run has closed',
    }),
    links: Links,
  },
  { additionalProperties: true, title: 'MigrationStatus', description: 'Where the migration stands' },
);
export type StatusBody = Static<typeof StatusBody>;

export const StartedBody = Type.Object({ id: Type.String(), links: Links }, { description: 'Started; follow it at links.temporalUi or GET /v1/migrations/{id}' });
export type StartedBody = Static<typeof StartedBody>;

const HeldBySchema = Type.Array(
  Type.Object({
    window: Type.String(),
    calendar: Type.Optional(Type.String({ description: "the settings' calendar it comes from (absent: the spec's own window)" })),
    reason: Type.String(),
    from: Type.String({ description: 'ISO time' }),
    until: Type.String({ description: 'ISO time' }),
    timeZone: Type.String(),
  }),
  { description: 'the freeze windows that would hold it, in order (windows can chain)' },
);

export const FreezeScheduleBody = Type.Object(
  {
    assumes: Type.String({ description: 'what the estimate assumes' }),
    steps: Type.Array(Type.Object({ index: Type.Integer(), earliest: Type.String({ description: 'ISO time: the earliest the step could shift' }), heldBy: Type.Optional(HeldBySchema) })),
    decommission: Type.Optional(Type.Object({ earliest: Type.String({ description: 'ISO time: the earliest decommissioning could begin' }), heldBy: Type.Optional(HeldBySchema) })),
    note: Type.Optional(Type.String({ description: 'why no time could be given' })),
  },
  { description: "the earliest time each step could run given the change-freeze calendars (company-wide, named by the spec, and its own): an estimate from now, not part of the plan" },
);
export type FreezeScheduleBody = Static<typeof FreezeScheduleBody>;

export const PlanBody = Type.Object(
  {
    id: Type.String({ description: 'the ID the migration would get' }),
    plan: PlanSchema,
    links: Links,
    freezes: Type.Optional(FreezeScheduleBody),
    inspection: Type.Optional({
      ...InspectionSchema,
      description: 'with inspect: what the read-only checks found in the real accounts and clusters',
      examples: [
        {
          workflowId: 'inspect-0b7c6f0e-6d1e-4d0e-9a51-2f4f2b9c1d3a',
          findings: [
            { severity: 'info', source: 'eks', message: 'EKS version catalogue not available on this endpoint; target version not checked against it' },
            { severity: 'blocking', source: 'stateful', message: "StatefulSet shop/db in sandbox-blue with 1 PVC (gp3, 10 GiB): its data stays in blue's volumes; migrate it (Velero, a snapshot restore, or the app's own replication) to green before cutover" },
            { severity: 'info', source: 'validation', message: "green sandbox-green is made by the migration (mode create): validation's checks (smoke checks, drift against blue, readiness) run once it exists" },
            { severity: 'info', source: 'permissions', message: 'IAM policy simulation not available: permissions not checked (simulating arn:aws:iam::123456789012:role/cutover-worker\'s policies: not implemented)' },
          ],
          weights: [{ blue: 100, green: 0 }],
          checks: [
            { name: 'preflight', state: 'finding', durationMs: 840 },
            { name: 'routing', state: 'ok', durationMs: 120 },
            { name: 'permissions', state: 'ok', durationMs: 95 },
          ],
          startedAt: '2026-01-15T09:30:00.000Z',
          tookMs: 870,
        },
      ],
    }),
  },
  { description: 'The plan the migration would follow; nothing was started' },
);
export type PlanBody = Static<typeof PlanBody>;

export const ApprovalBody = Type.Object(
  {
    gate: GateNameSchema,
    decision: StringEnum(['approve', 'reject'] as const),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export const ApprovedBody = Type.Object(
  {
    gate: Type.String(),
    decision: Type.String(),
    approvals: Type.Optional(Type.Integer({ description: "approvals the gate has now (its policy's k of N)" })),
    required: Type.Optional(Type.Integer({ description: 'approvals its policy needs' })),
    met: Type.Optional(Type.Boolean({ description: 'the policy is met: the migration goes on' })),
    links: Links,
  },
  { description: 'Decision recorded by the migration' },
);
export const StepBackBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'why; shown at the gate the migration then waits at, and recorded in the audit log' }),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: "green's weight to go back to: one of the plan's steps (default: the step before the current one)" })),
  },
  { additionalProperties: false },
);
export type SteppedBackBody = Static<typeof SteppedBackBody>;
export const SteppedBackBody = Type.Object({ step: Type.Integer(), greenWeight: Type.Integer(), links: Links }, { description: 'The step-back is under way: green goes to this step, then waits at the next step\'s gate' });
export type ApprovedBody = Static<typeof ApprovedBody>;

export const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const RollbackBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'why; recorded in the audit log' }) },
  { additionalProperties: false },
);
export const RollbackQuery = Type.Object({
  wait: Type.Optional(Type.Boolean({ description: 'answer 200 only once blue carries 100 % again (202 with a message when it does not within CUTOVER_API_ROLLBACK_WAIT_MS); otherwise 202 once accepted' })),
});
export const RollbackAccepted = Type.Object(
  { accepted: Type.Boolean(), message: Type.Optional(Type.String({ description: 'With ?wait=true: why the answer came before blue carries 100 % again' })), links: Links },
  { description: 'Rollback accepted; traffic is on its way back to blue' },
);
export const RollbackDone = Type.Object({ accepted: Type.Boolean(), weights: WeightsSchema, links: Links }, { description: 'Blue carries 100 % again (?wait=true)' });
export type RollbackAnswer = Static<typeof RollbackAccepted> | Static<typeof RollbackDone>;
export const ActionBody = Type.Object({ ok: Type.Boolean(), links: Links }, { description: 'Accepted by the migration' });
export type ActionBody = Static<typeof ActionBody>;

// Accepted both as the API prints them (RUNNING) and as Temporal's visibility names them (Running).
export const WORKFLOW_STATUSES = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'TimedOut',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
} as const;
const STATUS_FILTER = [...Object.keys(WORKFLOW_STATUSES), ...Object.values(WORKFLOW_STATUSES)] as string[];

export const DEFAULT_PAGE_SIZE = 20;
export const ListQuery = Type.Object(
  {
    phase: Type.Optional(StringEnum(PHASES)),
    status: Type.Optional(StringEnum(STATUS_FILTER, { description: 'Temporal execution status, e.g. RUNNING' })),
    blue: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,255}$', description: 'blue cluster name' })),
    team: Type.Optional(Type.String({ pattern: TEAM_NAME, description: 'owning team (spec.team): only the migrations of this team' })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,4096}$', description: 'nextCursor of the previous page' })),
  },
);

export const ListBody = Type.Object(
  {
    migrations: Type.Array(
      Type.Object({
        id: Type.String(),
        phase: Type.Optional(Type.String()),
        blue: Type.Optional(Type.String()),
        green: Type.Optional(Type.String()),
        targetVersion: Type.Optional(Type.String()),
        team: Type.Optional(Type.String({ description: 'the owning team, when the spec names one' })),
        workflowStatus: Type.String(),
        startTime: Type.Optional(Type.String()),
        closeTime: Type.Optional(Type.String()),
        links: Links,
      }),
    ),
    nextCursor: Type.Optional(Type.String({ description: 'pass as ?cursor= (with the same filters) for the next page; absent on the last page' })),
  },
  { description: 'One page of migrations, newest first' },
);
export type ListBody = Static<typeof ListBody>;

export const EventsQuery = Type.Object({
  heartbeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: `seconds between keep-alive comments (default ${DEFAULT_HEARTBEAT_S})` })),
});

export const DEFAULT_AUDIT_LIMIT = 100;
export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_AUDIT_LIMIT, description: 'entries per page' })),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,4096}$', description: 'nextCursor of the previous page' })),
});
export const AuditBody = Type.Object(
  {
    id: Type.String({ description: 'the migration' }),
    entries: Type.Array(AuditEventSchema, { description: 'oldest first, from where the cursor points' }),
    total: Type.Integer({ description: 'how many entries the audit has now, all pages together' }),
    nextCursor: Type.Optional(Type.String({ description: 'pass as ?cursor= for the next page; absent on the last page' })),
    links: Links,
  },
  { title: 'Audit', description: "One page of a migration's whole audit, since its start (across continue-as-new), oldest first" },
);
export type AuditBody = Static<typeof AuditBody>;
