// Every message a migration understands, defined once: the API and the tests import these,
// never the string names. Requests that change the course of a migration are Updates with
// validators, so a request that does not apply now is refused without touching history.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { LIFECYCLE, type Actor, type AuditEvent, type GateName, type MigrationStatus, type Weights } from './model.js';
import { clusterName } from './migration-id.js';
import type { MigrationSpec } from './spec.js';

export const TASK_QUEUE = 'cutover';
export const WORKFLOW_TYPE = 'migration';
/** The dry run's workflow (workflows/inspect.ts): not a migration, so never listed as one. */
export const INSPECT_WORKFLOW_TYPE = 'inspectMigration';

export interface ApprovalRequest {
  gate: GateName;
  decision: 'approve' | 'reject';
  comment?: string;
  actor: Actor;
  /** The person's groups (OIDC claim or static token), for a policy that names groups. */
  groups?: string[];
}
export interface RollbackRequest {
  reason: string;
  actor: Actor;
  /** Complete the Update only once blue carries 100 % again. */
  wait?: boolean;
}
export interface ActorRequest {
  actor: Actor;
  reason?: string;
}
/** Green back to an earlier step's weight: by its weight (one the plan names), else the step before the current one. */
export interface StepBackRequest extends ActorRequest {
  reason: string;
  weight?: number;
}
/** Skip the remaining steps to 100 %: an approval under the promote policy. */
export interface PromoteRequest extends ActorRequest {
  groups?: string[];
}

/** What an approval did: the gate's count so far, and whether its policy is met. */
export interface ApprovalOutcome {
  gate: GateName;
  decision: string;
  approvals?: number;
  required?: number;
  met?: boolean;
}

export const statusQuery = defineQuery<MigrationStatus>('status');
/** The whole audit trail (the status carries only the latest events). */
export const auditQuery = defineQuery<AuditEvent[]>('audit');
export const approveUpdate = defineUpdate<ApprovalOutcome, [ApprovalRequest]>('approve');
export const stepBackUpdate = defineUpdate<{ step: number; greenWeight: number }, [StepBackRequest]>('step-back');
export const promoteUpdate = defineUpdate<ApprovalOutcome, [PromoteRequest]>('promote');
export const rollbackUpdate = defineUpdate<{ accepted: true; weights?: Weights }, [RollbackRequest]>('rollback');
export const pauseUpdate = defineUpdate<void, [ActorRequest]>('pause');
export const resumeUpdate = defineUpdate<void, [ActorRequest]>('resume');
export const retryUpdate = defineUpdate<void, [ActorRequest]>('retry');
export const abortUpdate = defineUpdate<void, [ActorRequest]>('abort');
export const cancelUpdate = defineUpdate<void, [ActorRequest]>('cancel');
/** During the last delay before blue is deleted: cancel it and keep blue (back to the decommission gate). */
export const keepBlueUpdate = defineUpdate<void, [ActorRequest]>('keepBlue');

/** Failure types a validator raises; the API maps them to HTTP codes. */
export const REJECTION = {
  notApplicable: 'NotApplicable', // 409
  selfApproval: 'SelfApproval', // 403
  forbidden: 'Forbidden', // 403: the approval policy does not let this person decide
  invalid: 'InvalidRequest', // 400: the request names something the migration never had
} as const;

/** The HTTP status of a validator's refusal. */
export function refusalStatus(type: string | undefined | null): 400 | 403 | 409 {
  if (type === REJECTION.invalid) return 400;
  return type === REJECTION.selfApproval || type === REJECTION.forbidden ? 403 : 409;
}

/** What list filters find a migration by. The workflow keeps only the phase current. */
export const SEARCH_ATTRIBUTES = {
  phase: defineSearchAttributeKey('CutoverPhase', SearchAttributeType.KEYWORD),
  blue: defineSearchAttributeKey('CutoverBlue', SearchAttributeType.KEYWORD),
  green: defineSearchAttributeKey('CutoverGreen', SearchAttributeType.KEYWORD),
  targetVersion: defineSearchAttributeKey('CutoverTargetVersion', SearchAttributeType.KEYWORD),
  /** The owning team (spec.team); only migrations that name one have it. */
  team: defineSearchAttributeKey('CutoverTeam', SearchAttributeType.KEYWORD),
};

/** The search attributes a migration starts with; whoever starts the workflow sets them, once. */
export function initialSearchAttributes(spec: Pick<MigrationSpec, 'blue' | 'green' | 'team'>): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.phase, value: LIFECYCLE[0] },
    { key: SEARCH_ATTRIBUTES.blue, value: clusterName(spec.blue) },
    { key: SEARCH_ATTRIBUTES.green, value: clusterName(spec.green) },
    { key: SEARCH_ATTRIBUTES.targetVersion, value: spec.green.kubernetesVersion },
    ...(spec.team ? [{ key: SEARCH_ATTRIBUTES.team, value: spec.team }] : []),
  ];
}
