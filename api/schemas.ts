// Request and response schemas of the REST API; they type the handlers and feed /openapi.json.
import { Type, type Static } from 'typebox';
import { PHASES } from '../workflows/model.js';
import { StringEnum } from '../workflows/spec.js';

export const ErrorBody = Type.Object(
  {
    error: Type.String(),
    message: Type.String(),
    requestId: Type.Optional(Type.String()),
    phase: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);

export const Links = Type.Object({ temporalUi: Type.String() });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 512 }) });

const WeightsSchema = Type.Object({ blue: Type.Integer(), green: Type.Integer() });

export const StatusBody = Type.Object(
  {
    id: Type.String(),
    phase: StringEnum(PHASES),
    workflowStatus: Type.String({ description: 'Temporal execution status: RUNNING, COMPLETED, FAILED, …' }),
    paused: Type.Boolean(),
    weights: WeightsSchema,
    step: Type.Optional(Type.Object({ index: Type.Integer(), of: Type.Integer(), greenWeight: Type.Integer() })),
    pendingGate: Type.Optional(Type.Object({ gate: Type.String(), since: Type.String() })),
    findings: Type.Array(Type.Object({ severity: Type.String(), source: Type.String(), message: Type.String() })),
    timers: Type.Array(Type.Object({ name: Type.String(), firesAt: Type.String() })),
    health: Type.Object({
      watching: Type.Boolean(),
      lastVerdict: Type.Optional(Type.String()),
      lastBreach: Type.Optional(Type.Object({ at: Type.String(), reason: Type.String() })),
    }),
    greenCreatedByMigration: Type.Boolean(),
    blueDeleted: Type.Boolean(),
    startedBy: Type.String(),
    audit: Type.Array(
      Type.Object({ at: Type.String(), actor: Type.String(), action: Type.String(), reason: Type.String(), detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
    ),
    error: Type.Optional(Type.String()),
    links: Links,
  },
  { additionalProperties: true },
);

export const ApprovalBody = Type.Object(
  {
    gate: Type.String({ minLength: 1, description: 'cutover, decommission, preflight-override or step-N' }),
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type ApprovalBody = Static<typeof ApprovalBody>;

export const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const RollbackBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export const RollbackQuery = Type.Object({ wait: Type.Optional(Type.Boolean({ description: 'answer 200 only once blue carries 100 % again' })) });

export const ListQuery = Type.Object({
  phase: Type.Optional(StringEnum(PHASES)),
  status: Type.Optional(StringEnum(['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'] as const)),
  blue: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String()),
});

export const ListBody = Type.Object({
  migrations: Type.Array(
    Type.Object({
      id: Type.String(),
      phase: Type.Optional(Type.String()),
      blue: Type.Optional(Type.String()),
      green: Type.Optional(Type.String()),
      targetVersion: Type.Optional(Type.String()),
      workflowStatus: Type.String(),
      startTime: Type.Optional(Type.String()),
      links: Links,
    }),
  ),
  nextCursor: Type.Optional(Type.String()),
});
