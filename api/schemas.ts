// Request and response schemas of the REST API: they type the handlers, validate requests,
// shape responses and feed /openapi.json, so the documentation cannot drift from the code.
import { Type, type Static } from 'typebox';
import { PHASES } from '../workflows/model.js';
import { MIGRATION_ID_PATTERN } from '../workflows/plan.js';
import { StringEnum } from '../workflows/spec.js';

export const FieldError = Type.Object({
  path: Type.String({ description: 'JSON pointer to the field, e.g. /traffic/steps/2 or /querystring/pageSize' }),
  message: Type.String({ description: 'why it is wrong' }),
});

export const Links = Type.Object({ temporalUi: Type.String({ description: "the migration's run in the Temporal Web UI" }) });

/** Every error answer, 4xx and 5xx alike. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'HTTP status title' }),
    message: Type.String(),
    requestId: Type.String({ description: 'also in the x-request-id header; the server log has details under it' }),
    errors: Type.Optional(Type.Array(FieldError, { description: 'every problem with the request, each naming its field' })),
    id: Type.Optional(Type.String({ description: 'the migration concerned' })),
    phase: Type.Optional(Type.String({ description: 'phase the migration is in (409 and self-approval 403)' })),
    workflowStatus: Type.Optional(Type.String()),
    pendingGate: Type.Optional(Type.String()),
    links: Type.Optional(Links),
  },
  { additionalProperties: true, title: 'Error' },
);

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Invalid request: errors[] names every bad field and why',
  401: 'No valid bearer token',
  403: "The token's role is too low, or the starter approves under distinctApprover",
  404: 'No such migration',
  409: "Does not apply in the migration's current state: phase and workflowStatus say which",
  503: "Temporal or the migration's worker did not answer in time; retry",
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
};

const Weights = Type.Object({ blue: Type.Integer(), green: Type.Integer() });

export const StatusBody = Type.Object(
  {
    id: Type.String(),
    phase: StringEnum(PHASES),
    workflowStatus: Type.String({ description: 'Temporal execution status: RUNNING, COMPLETED, FAILED, …' }),
    paused: Type.Boolean(),
    weights: Weights,
    step: Type.Optional(Type.Object({ index: Type.Integer(), of: Type.Integer(), greenWeight: Type.Integer() })),
    pendingGate: Type.Optional(Type.Object({ gate: Type.String(), since: Type.String() })),
    findings: Type.Array(Type.Object({ severity: Type.String(), source: Type.String(), message: Type.String() })),
    timers: Type.Array(Type.Object({ name: Type.String(), firesAt: Type.String({ description: 'ISO time' }) })),
    health: Type.Object({
      watching: Type.Boolean(),
      lastVerdict: Type.Optional(Type.String()),
      lastBreach: Type.Optional(Type.Object({ at: Type.String(), reason: Type.String() })),
    }),
    greenCreatedByMigration: Type.Boolean(),
    blueDeleted: Type.Boolean(),
    startedBy: Type.String(),
    audit: Type.Array(
      Type.Object({
        at: Type.String(),
        actor: Type.String(),
        action: Type.String(),
        reason: Type.String(),
        detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      { description: 'most recent audit events, oldest first' },
    ),
    error: Type.Optional(Type.String()),
    links: Links,
  },
  { additionalProperties: true, title: 'MigrationStatus', description: 'Where the migration stands' },
);
export type StatusBody = Static<typeof StatusBody>;

export const StartedBody = Type.Object({ id: Type.String(), links: Links }, { description: 'Started; follow it at links.temporalUi or GET /v1/migrations/{id}' });

export const PlanBody = Type.Object(
  {
    id: Type.String({ description: 'the ID the migration would get' }),
    plan: Type.Object({
      phases: Type.Array(Type.String()),
      steps: Type.Array(
        Type.Object({
          index: Type.Integer(),
          weights: Weights,
          approvalGate: Type.Optional(Type.String()),
          observe: Type.String(),
        }),
      ),
      gates: Type.Array(Type.String()),
      timers: Type.Array(Type.Object({ name: Type.String(), duration: Type.String() })),
      decommission: Type.Object({
        removeRouting: Type.Boolean(),
        deleteBlueCluster: Type.Optional(Type.String({ description: 'absent when blue is kept' })),
      }),
    }),
    links: Links,
  },
  { description: 'The plan the migration would follow; nothing was started' },
);

export const GATE_PATTERN = '^(preflight-override|bootstrap-override|cutover|decommission|step-[1-9][0-9]{0,2})$';
export const ApprovalBody = Type.Object(
  {
    gate: Type.String({ pattern: GATE_PATTERN, description: 'cutover, decommission, preflight-override, bootstrap-override or step-N' }),
    decision: StringEnum(['approve', 'reject'] as const),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export const ApprovedBody = Type.Object({ gate: Type.String(), decision: Type.String(), links: Links }, { description: 'Decision recorded by the migration' });

export const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const RollbackBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'why; recorded in the audit log' }) },
  { additionalProperties: false },
);
export const RollbackQuery = Type.Object({
  wait: Type.Optional(Type.Boolean({ description: 'answer 200 only once blue carries 100 % again; otherwise 202 once accepted' })),
});
export const RollbackAccepted = Type.Object({ accepted: Type.Boolean(), links: Links }, { description: 'Rollback accepted; traffic is on its way back to blue' });
export const RollbackDone = Type.Object({ accepted: Type.Boolean(), weights: Weights, links: Links }, { description: 'Blue carries 100 % again (?wait=true)' });
export const ActionBody = Type.Object({ ok: Type.Boolean(), links: Links }, { description: 'Accepted by the migration' });

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

export const ListQuery = Type.Object(
  {
    phase: Type.Optional(StringEnum(PHASES)),
    status: Type.Optional(StringEnum(STATUS_FILTER, { description: 'Temporal execution status, e.g. RUNNING' })),
    blue: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,255}$', description: 'blue cluster name' })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
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

export const EventsQuery = Type.Object({
  heartbeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'seconds between keep-alive comments (default 15)' })),
});
