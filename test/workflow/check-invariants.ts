// The migration's invariants (weights add up to 100; green gets traffic only after a passed
// validation and a cutover approval; blue goes only after approval and bake+freeze; every
// mutation audited; the status tells the truth), checked against the simulated cloud's own log
// (what really happened and in which order) rather than against what the workflow believes.
// Returns the broken ones.
import { durationMs } from '../../workflows/duration.js';
import type { ApprovalRequest } from '../../workflows/messages.js';
import type { AuditEvent, MigrationStatus } from '../../workflows/model.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import type { FakeCloud, LogEntry, Mutation } from './fake-cloud.js';

const AUDITED: Record<Mutation['what'], string> = {
  'set-weights': 'set-weights',
  'create-cluster': 'create-cluster',
  'delete-cluster': 'delete-cluster',
  'remove-blue-routing': 'remove-blue-routing',
  'delete-load-balancers': 'delete-blue-load-balancers',
  'delete-node-groups': 'delete-node-groups',
  'register-cluster': 'register-cluster',
  'deregister-cluster': 'deregister-cluster',
  'pause-auto-sync': 'pause-blue-auto-sync',
  'resume-auto-sync': 'resume-blue-auto-sync',
};
const TERMINAL = ['aborted', 'cancelled', 'failed', 'completed'];
const BLUE_ONLY_PHASES = ['preflight', 'provisioning', 'validating', 'awaiting-cutover', 'rolled-back', 'aborted', 'cancelled'];

/** A change-freeze window the test put in the worker's calendars: open over [from, to), and visible to the run from `setAt` until `clearedAt` (server time, ms). */
export interface FreezeSet {
  from: number;
  to: number;
  setAt: number;
  clearedAt?: number;
}

/** What the property test knows beyond the cloud's log: the freeze windows it set, and the rollback requests it sent that had to be accepted. */
export interface Expectations {
  freezes?: FreezeSet[];
  /** Indexes in the cloud's log of rollback messages sent in a ROLLBACK_PHASES phase, not held before traffic, blue not retiring, no cancel under way. */
  rollbacksOwed?: { index: number; phase: string }[];
  /** Who started the migration (for the decommission quorum). */
  starter?: string;
}

/** Blue's retirement: a mutation that only decommissioning makes. */
const retiresBlue = (e: Mutation, blue: string) =>
  e.what === 'remove-blue-routing' || e.what === 'delete-load-balancers' || (['delete-cluster', 'delete-node-groups'].includes(e.what) && 'cluster' in e && e.cluster === blue);

function approved(e: LogEntry, gate: string): boolean {
  if (e.kind !== 'message' || e.name !== 'approve' || e.accepted !== true) return false;
  const req = e.arg as ApprovalRequest;
  return req.gate === gate && req.decision === 'approve';
}

/** `status` and `audit` must be read while the workflow is settled. */
export function brokenInvariants(
  cloud: FakeCloud,
  spec: MigrationSpec,
  status: Pick<MigrationStatus, 'phase' | 'weights'> & Partial<Pick<MigrationStatus, 'attention'>>,
  audit: AuditEvent[],
  expect: Expectations = {},
): string[] {
  const broken = [...cloud.violations];
  const resolved = resolveSpec(spec);
  const { routing, log } = cloud;

  // 1. Weights add up to 100 (each change was also checked when the mock received it).
  if (routing.blue + routing.green !== 100) broken.push(`routing ${JSON.stringify(routing)} does not add up to 100`);

  let lastValidation = -1;
  let lastShift = -1;
  let greenFullAt: number | undefined;
  let greenBefore = 0;
  log.forEach((e, i) => {
    if (e.kind === 'validated') lastValidation = i;
    if (e.kind !== 'mutation') return;
    const since = (from: number, gate: string) => log.slice(from + 1, i).some((m) => approved(m, gate));
    // A promote (its approvals accepted since the last shift) decides a step's gate and skips to the last step.
    const promoted = (from: number) => log.slice(from + 1, i).some((m) => m.kind === 'message' && m.accepted === true && (m.name === 'promote' || (m.name === 'approve' && (m.arg as ApprovalRequest).gate === 'promote')));
    if (e.what === 'set-weights') {
      // 2. Green gets traffic only after a passed validation and a cutover approval that followed it.
      if (e.weights.green > 0) {
        const validated = lastValidation >= 0 && (log[lastValidation] as Extract<LogEntry, { kind: 'validated' }>).passed;
        if (!validated || !since(lastValidation, 'cutover')) broken.push(`green got ${e.weights.green} % without a passed validation followed by a cutover approval`);
        // With manual steps, every step after the first needs its own approval (going forward: a step-back to a step is not one).
        const step = resolved.traffic.steps.indexOf(e.weights.green) + 1;
        if (resolved.traffic.stepApproval === 'manual' && step > 1 && e.weights.green > greenBefore && !since(lastShift, `step-${step}`) && !(step === resolved.traffic.steps.length && promoted(lastShift))) broken.push(`step ${step} without its approval`);
      }
      greenFullAt = e.weights.green === 100 ? (greenFullAt ?? e.at) : undefined;
      greenBefore = e.weights.green;
      lastShift = i;
    }
    // 3. Blue goes only after decommission approval, once green carried everything for bake+freeze.
    if ((['delete-cluster', 'delete-node-groups'].includes(e.what) && 'cluster' in e && e.cluster === cloud.blue) || e.what === 'remove-blue-routing' || e.what === 'delete-load-balancers') {
      if (!since(lastShift, 'decommission')) broken.push(`${e.what} of blue without a decommission approval after the last shift`);
      const needed = durationMs(resolved.bake) + durationMs(resolved.freeze);
      if (greenFullAt === undefined || e.at - greenFullAt < needed) broken.push(`${e.what} of blue after ${greenFullAt === undefined ? 'no' : e.at - greenFullAt} ms of green at 100 % (needs ${needed})`);
    }
  });

  // 9. No blue retired without its quorum: before the first remove-blue-routing in the audit, the
  // decommission gate was approved by 2 or more distinct people, none the starter nor an approver
  // of the cutover approval that came before it.
  if (cloud.mutations().some((m) => retiresBlue(m, cloud.blue))) {
    const removal = audit.findIndex((a) => a.action === 'remove-blue-routing');
    const before = removal < 0 ? audit : audit.slice(0, removal);
    const approvalAt = before.findLastIndex((a) => a.action === 'gate-approve' && a.detail?.gate === 'decommission');
    if (removal < 0) broken.push('QUORUM: blue retired without a remove-blue-routing in the audit');
    else if (approvalAt < 0) broken.push('QUORUM: remove-blue-routing without a decommission gate-approve before it');
    else {
      const approvers = [...new Set((before[approvalAt].detail?.approvers as string[] | undefined) ?? [])];
      const cutover = before.slice(0, approvalAt).findLast((a) => a.action === 'gate-approve' && a.detail?.gate === 'cutover');
      const cutoverApprovers = (cutover?.detail?.approvers as string[] | undefined) ?? (cutover ? [cutover.actor] : []);
      const excluded = approvers.filter((a) => a === expect.starter || cutoverApprovers.includes(a));
      if (approvers.length < 2 || excluded.length) {
        broken.push(`QUORUM: decommission approved by ${JSON.stringify(approvers)} (cutover by ${JSON.stringify(cutoverApprovers)}, started by ${expect.starter}): needs 2 distinct people, neither the starter nor a cutover approver`);
      }
    }
  }

  // 10. A rollback is accepted wherever it applies (the test sent these where it did).
  for (const owed of expect.rollbacksOwed ?? []) {
    const e = log[owed.index];
    if (e?.kind === 'message' && e.name === 'rollback' && e.accepted === false) broken.push(`ROLLBACK: refused in phase ${owed.phase}: ${JSON.stringify(e.arg)}`);
  }

  // 4. Every mutation is in the audit trail, in order, with an actor and a reason.
  const trail = audit.filter((a) => Object.values(AUDITED).includes(a.action));
  let next = 0;
  const auditedAt = new Map<Mutation, number>();
  for (const m of cloud.mutations()) {
    const at = trail.slice(next).findIndex((a) => {
      if (a.action !== AUDITED[m.what]) return false;
      if (m.what !== 'set-weights') return true;
      return a.detail?.blue === m.weights.blue && a.detail?.green === m.weights.green && a.actor === m.actor && a.reason === m.reason;
    });
    if (at < 0) {
      broken.push(`mutation not audited: ${JSON.stringify(m)}`);
      continue;
    }
    auditedAt.set(m, Date.parse(trail[next + at].at));
    next += at + 1;
  }
  // 7. Nothing moves forward inside a change freeze the run could see: no set-weights that raises
  // green's weight, no mutation retiring blue, at an instant inside a window set by then (and not
  // cleared yet). The instant is the mutation's audit entry's (workflow time): the fake cloud's
  // `at` (the activity's scheduled time on the test server) lags behind by the time skipped while
  // nothing ran, so it cannot be compared with windows set in server time. 8. Green's weight is always one the plan names (a step-back goes to a plan step too), or 0.
  const steps = resolved.traffic.steps;
  let green = 0;
  let lastAt = -Infinity;
  for (const m of cloud.mutations()) {
    const forward = (m.what === 'set-weights' && m.weights.green > green) || retiresBlue(m, cloud.blue);
    if (m.what === 'set-weights') {
      if (m.weights.green !== 0 && !steps.includes(m.weights.green)) broken.push(`green set to ${m.weights.green} %, a weight neither the plan (${steps.join(', ')}) nor a step-back names`);
      green = m.weights.green;
    }
    // A repeat of a call whose answer was lost shares its audit entry: the one before stands for it.
    const at = (lastAt = auditedAt.get(m) ?? lastAt);
    const frozen = forward && (expect.freezes ?? []).find((f) => f.setAt <= at && at < (f.clearedAt ?? Infinity) && f.from <= at && at < f.to);
    if (frozen) {
      const what = m.what === 'set-weights' ? `set-weights to green ${m.weights.green} %` : m.what;
      broken.push(`FREEZE: ${what} at ${new Date(at).toISOString()}, inside the change freeze [${new Date(frozen.from).toISOString()}, ${new Date(frozen.to).toISOString()}) set at ${new Date(frozen.setAt).toISOString()}`);
    }
  }

  for (const a of audit) if (!a.actor || !a.reason) broken.push(`audit entry without actor or reason: ${JSON.stringify(a)}`);

  // 5. The status tells the truth about the routing (unless it says it could not read it), and
  // phases before or after a shift mean blue only.
  if (cloud.blueRouted && !status.attention?.weightsUnknown && (status.weights.blue !== routing.blue || status.weights.green !== routing.green)) {
    broken.push(`status says ${JSON.stringify(status.weights)} but routing is ${JSON.stringify(routing)}`);
  }
  if (BLUE_ONLY_PHASES.includes(status.phase) && routing.blue !== 100) broken.push(`phase ${status.phase} with routing ${JSON.stringify(routing)}`);
  // 6. No terminal phase with green above 0, except completed.
  if (TERMINAL.includes(status.phase) && status.phase !== 'completed' && routing.green > 0) broken.push(`terminal phase ${status.phase} with green at ${routing.green} %`);
  return broken;
}
