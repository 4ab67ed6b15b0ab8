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
): string[] {
  const broken = [...cloud.violations];
  const resolved = resolveSpec(spec);
  const { routing, log } = cloud;

  // 1. Weights add up to 100 (each change was also checked when the mock received it).
  if (routing.blue + routing.green !== 100) broken.push(`routing ${JSON.stringify(routing)} does not add up to 100`);

  let lastValidation = -1;
  let lastShift = -1;
  let greenFullAt: number | undefined;
  log.forEach((e, i) => {
    if (e.kind === 'validated') lastValidation = i;
    if (e.kind !== 'mutation') return;
    const since = (from: number, gate: string) => log.slice(from + 1, i).some((m) => approved(m, gate));
    if (e.what === 'set-weights') {
      // 2. Green gets traffic only after a passed validation and a cutover approval that followed it.
      if (e.weights.green > 0) {
        const validated = lastValidation >= 0 && (log[lastValidation] as Extract<LogEntry, { kind: 'validated' }>).passed;
        if (!validated || !since(lastValidation, 'cutover')) broken.push(`green got ${e.weights.green} % without a passed validation followed by a cutover approval`);
        // With manual steps, every step after the first needs its own approval.
        const step = resolved.traffic.steps.indexOf(e.weights.green) + 1;
        if (resolved.traffic.stepApproval === 'manual' && step > 1 && !since(lastShift, `step-${step}`)) broken.push(`step ${step} without its approval`);
      }
      greenFullAt = e.weights.green === 100 ? (greenFullAt ?? e.at) : undefined;
      lastShift = i;
    }
    // 3. Blue goes only after decommission approval, once green carried everything for bake+freeze.
    if ((['delete-cluster', 'delete-node-groups'].includes(e.what) && 'cluster' in e && e.cluster === cloud.blue) || e.what === 'remove-blue-routing' || e.what === 'delete-load-balancers') {
      if (!since(lastShift, 'decommission')) broken.push(`${e.what} of blue without a decommission approval after the last shift`);
      const needed = durationMs(resolved.bake) + durationMs(resolved.freeze);
      if (greenFullAt === undefined || e.at - greenFullAt < needed) broken.push(`${e.what} of blue after ${greenFullAt === undefined ? 'no' : e.at - greenFullAt} ms of green at 100 % (needs ${needed})`);
    }
  });

  // 4. Every mutation is in the audit trail, in order, with an actor and a reason.
  const trail = audit.filter((a) => Object.values(AUDITED).includes(a.action));
  let next = 0;
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
    next += at + 1;
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
