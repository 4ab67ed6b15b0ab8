// The dry run (POST /v1/plans?inspect=true): a short workflow, not a migration, that asks the
// worker — its identity, its access to the clusters — the read-only checks a migration's
// preflight and validation make, with the same activities and the same inputs
// (migration/inputs.ts), plus whether IAM lets the worker make the plan's calls. It writes
// nothing. Each check has its own time bound and a few quick attempts; one that does not
// answer in time, or fails, is a finding naming it and why, so the answer always comes.
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { describeFailure, NON_RETRYABLE_FAILURES, UNREACHABLE_AFTER_ATTEMPTS } from './failures.js';
import type { Finding, Weights } from './model.js';
import { permissionsInput, preflightInput, trafficInputOf, validateInput } from './migration/inputs.js';
import type { Inspection, InspectionCheck } from './schemas.js';
import type { ResolvedSpec } from './spec-defaults.js';

export interface InspectInput {
  /** The spec as a migration would fix it at its start (its `aws` roles reach the activities as headers, as a migration's do). */
  spec: ResolvedSpec;
  /** The ID the migration would get: named in the Temporal UI. */
  migrationId: string;
  /** The whole inspection's bound: checks still out then are findings. */
  timeoutMs: number;
}

type CheckName = InspectionCheck['name'];

/** Each check's own bound (the inspection's, less the margin, when that is shorter). */
const CHECK_BOUND_MS: Record<CheckName, number> = { preflight: 90_000, routing: 30_000, validation: 90_000, permissions: 30_000 };
/** Left of the inspection's bound for the answer to reach the API. */
const ANSWER_MARGIN_MS = 2_000;

/** What each check is, in findings and in the Temporal UI. */
const LABEL: Record<CheckName, string> = {
  preflight: 'preflight checks',
  routing: 'routing readback',
  validation: 'validation checks',
  permissions: 'IAM permission check',
};

/**
 * A few quick attempts within the bound: enough for an API server that stays unreachable to
 * become the finding a migration's preflight records (UNREACHABLE_AFTER_ATTEMPTS), seconds apart.
 */
function checkActivities(name: CheckName, timeoutMs: number) {
  const bound = Math.max(1_000, Math.min(CHECK_BOUND_MS[name], timeoutMs - ANSWER_MARGIN_MS));
  return {
    bound,
    activities: wf.proxyActivities<Activities>({
      scheduleToCloseTimeout: bound,
      startToCloseTimeout: bound,
      retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: UNREACHABLE_AFTER_ATTEMPTS, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
    }),
  };
}

interface Outcome {
  check: InspectionCheck;
  findings: Finding[];
}

/** Runs one check: its findings, or a blocking finding saying why it has none. */
async function runCheck<T>(name: CheckName, timeoutMs: number, call: (a: wf.ActivityInterfaceFor<Activities>) => Promise<T>, findingsOf: (result: T) => Finding[], seen?: (result: T) => void): Promise<Outcome> {
  const { bound, activities } = checkActivities(name, timeoutMs);
  const started = Date.now();
  const took = () => Date.now() - started;
  try {
    const result = await call(activities);
    seen?.(result);
    const findings = findingsOf(result);
    return { check: { name, state: findings.some((f) => f.severity !== 'info') ? 'finding' : 'ok', durationMs: took() }, findings };
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure ? err.cause : err;
    const block = (state: InspectionCheck['state'], message: string): Outcome => ({ check: { name, state, durationMs: took() }, findings: [{ severity: 'blocking', source: name, message }] });
    if (cause instanceof wf.TimeoutFailure) return block('timed-out', `${LABEL[name]} did not answer within ${Math.round(bound / 1000)} s`);
    const final = cause instanceof wf.ApplicationFailure && (cause.nonRetryable || NON_RETRYABLE_FAILURES.includes(cause.type ?? ''));
    if (final) return block('finding', `${LABEL[name]} could not run: ${describeFailure(err)}`);
    return block('unreachable', `${LABEL[name]} could not run after ${UNREACHABLE_AFTER_ATTEMPTS} attempts: ${describeFailure(err)}`);
  }
}

/** What the Temporal UI shows of the inspection: what it checks, then how each check ended. */
function details(input: InspectInput, checks?: InspectionCheck[]): string {
  const { spec } = input;
  const lines = [
    `**Dry run** of ${input.migrationId}: nothing is started or written`,
    `**Blue** ${spec.blue.cluster} → **green** ${spec.green.cluster} (${spec.green.mode}) at Kubernetes ${spec.green.kubernetesVersion}`,
    `**Checks** preflight (EKS, upgrade insights, add-ons, removed APIs, stateful workloads), routing readback (${spec.traffic.driver}, live weights), ${spec.green.mode === 'adopt' ? "validation (smoke checks, drift, green's readiness)" : 'validation once green exists'}, IAM permissions`,
    `**Bound** ${Math.round(input.timeoutMs / 1000)} s`,
  ];
  if (checks) lines.push(`**Results** ${checks.map((c) => `${c.name} ${c.state} (${c.durationMs} ms)`).join(', ')}`);
  return lines.join('\n');
}

export async function inspectMigration(input: InspectInput): Promise<Inspection> {
  const { spec, timeoutMs } = input;
  const startedAt = Date.now();
  wf.setCurrentDetails(details(input));
  let weights: Weights[] | undefined;
  const adopt = spec.green.mode === 'adopt';
  const [preflight, routing, validation, permissions] = await Promise.all([
    runCheck('preflight', timeoutMs, (a) => a.preflight(preflightInput(spec)), (r) => r.findings),
    runCheck('routing', timeoutMs, (a) => a.checkRouting(trafficInputOf(spec)), (r) => r.findings, (r) => (weights = r.weights)),
    // Green's checks need green: only an adopted one exists before the migration.
    adopt ? runCheck('validation', timeoutMs, (a) => a.validateGreen(validateInput(spec)), (r) => r.findings) : undefined,
    runCheck('permissions', timeoutMs, (a) => a.permissionFindings(permissionsInput(spec)), (r) => r),
  ]);
  const notYet: Finding = {
    severity: 'info',
    source: 'validation',
    message: `green ${spec.green.cluster} is made by the migration (mode create): validation's checks (smoke checks, drift against blue, readiness) run once it exists`,
  };
  const ran = [preflight, routing, validation, permissions].filter((o): o is Outcome => !!o);
  const checks = ran.map((o) => o.check);
  wf.setCurrentDetails(details(input, checks));
  return {
    workflowId: wf.workflowInfo().workflowId,
    findings: [...preflight.findings, ...routing.findings, ...(validation ? validation.findings : [notYet]), ...permissions.findings],
    ...(weights && { weights }),
    checks,
    startedAt: new Date(startedAt).toISOString(),
    tookMs: Date.now() - startedAt,
  };
}
