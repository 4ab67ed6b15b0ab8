// Stateful workloads carried over (spec.stateful), validation's first step: blue's writes
// stopped (gate stateful, or blue's named workloads scaled to zero), an EBS snapshot of each
// claim's volume, a volume from each in green's zone, and the PersistentVolume and claim in
// green bound to it, so green's workloads start on blue's data before validation judges them.
// Each thing made is an undo entry (saga.ts) before it is made; nothing of blue's is deleted.
import * as wf from '@temporalio/workflow';
import type { CarriedClaim } from '../../activities/contract.js';
import { describeFailure } from '../failures.js';
import type { Actor, CarryOverStatus, Finding } from '../model.js';
import { bestEffort, longPoll, notify, quick } from './activities.js';
import { audited } from './effects.js';
import { gate } from './gates.js';
import { PATCHES } from './patches.js';
import { remember } from './saga.js';
import { kubeContexts, now } from './state.js';
import { tell } from './story.js';
import type { Run } from './types.js';
import { checking, Interrupted, interruptible, sittingOut } from './waits.js';

/** Whether this run carries blue's volumes: only specs with `stateful` ask the patch. */
export function carriesState(run: Run): boolean {
  return !!run.spec.stateful && wf.patched(PATCHES.statefulCarryOver);
}

function statefulInput(run: Run) {
  const { spec } = run;
  return { migrationId: run.id, region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, stateful: spec.stateful!, ...kubeContexts(run) };
}

function addFindings(run: Run, findings: Finding[]): void {
  if (findings.length) run.state.findings.stateful = [...(run.state.findings.stateful ?? []), ...findings];
}

/**
 * Carries blue's claims to green, from the step the run stands at (a retry after a hold goes on
 * where it failed; every activity finds what it made before by its tags). Answers `rejected`
 * when a person rejected gate stateful: nothing was copied, the caller rolls back.
 */
export async function carryOver(run: Run): Promise<'carried' | 'rejected'> {
  const { spec, state } = run;
  const stateful = spec.stateful!;
  if (state.stateful?.step === 'done') return 'carried';
  const input = statefulInput(run);
  const found = await checking(run, `blue ${spec.blue.cluster}'s claims to carry over to green ${spec.green.cluster}`, () => quick.statefulClaims(input));
  addFindings(
    run,
    found.notCarried.map((n): Finding => ({ severity: 'warning', source: 'stateful', message: `not carried over: PersistentVolumeClaim ${n.claim}: ${n.reason}` })),
  );
  const claims = found.claims;
  const progress: CarryOverStatus = state.stateful ?? { step: 'quiesce', claims: [] };
  progress.claims = claims.map((c) => ({ ...progress.claims.find((p) => p.claim === claimOf(c)), claim: claimOf(c), volumeId: c.volumeId, zone: c.zone, greenZone: c.greenZone, sizeGiB: c.sizeGiB, encrypted: c.encrypted }));
  state.stateful = progress;
  tell(run);

  if (progress.step === 'quiesce') {
    if (stateful.quiesce.mode === 'gate') {
      const { decision, actor, comment } = await gate(run, 'stateful');
      if (decision === 'reject') {
        state.error = `gate stateful rejected by ${actor}${comment ? `: ${comment}` : ''}: blue's writes were not confirmed stopped, nothing was copied`;
        return 'rejected';
      }
    } else {
      const workloads = stateful.quiesce.workloads;
      // Remembered before asking: a lost answer may hide a workload already at zero.
      remember(run, { kind: 'restore-blue-workloads' });
      const entry = { actor: run.startedBy, action: 'scale-blue-workloads', reason: `blue's writes stopped before its volumes are copied`, detail: (r: { scaled: unknown }) => ({ scaled: r.scaled }) };
      const what = `${workloads.join(', ')} in blue ${spec.blue.cluster} scaled to 0, their pods gone`;
      const { scaled } = await sittingOut(run, { what }, () => audited(run, entry, () => interruptible(run, () => longPoll.quiesceBlueWorkloads({ ...input, workloads }))));
      progress.scaled = scaled;
    }
    progress.quiescedAt = now();
    progress.step = 'snapshots';
  }
  if (!claims.length) {
    progress.step = 'done';
    return 'carried';
  }
  // Before the first thing is made in green's name: a lost answer may hide a snapshot made.
  remember(run, { kind: 'delete-green-copies' });
  const byClaim = (c: CarriedClaim) => progress.claims.find((p) => p.claim === claimOf(c))!;

  if (progress.step === 'snapshots') {
    const volumes = claims.map((c) => ({ claim: claimOf(c), volumeId: c.volumeId }));
    const entry = { actor: run.startedBy, action: 'snapshot-blue-volumes', reason: `blue's volumes copied for green`, detail: (r: { snapshots: unknown }) => ({ snapshots: r.snapshots }) };
    const what = `EBS snapshots of ${volumes.length} volume${volumes.length === 1 ? '' : 's'} of blue completed (progress: activities[].progress)`;
    const { snapshots } = await sittingOut(run, { what }, () => audited(run, entry, () => interruptible(run, () => longPoll.snapshotBlueVolumes({ migrationId: run.id, region: spec.region, volumes, since: progress.quiescedAt }))));
    for (const s of snapshots) progress.claims.find((p) => p.claim === s.claim)!.snapshotId = s.snapshotId;
    progress.step = 'volumes';
    tell(run);
  }
  if (progress.step === 'volumes') {
    const copies = claims.map((c) => ({ claim: claimOf(c), snapshotId: byClaim(c).snapshotId!, volumeId: c.volumeId, greenZone: c.greenZone, volumeType: c.volumeType, iops: c.iops, throughput: c.throughput, encrypted: c.encrypted, kmsKeyId: c.kmsKeyId }));
    const entry = { actor: run.startedBy, action: 'create-green-volumes', reason: `volumes for green ${spec.green.cluster} from blue's snapshots`, detail: (r: { volumes: unknown }) => ({ volumes: r.volumes }) };
    const what = `EBS volumes from the snapshots available in green's zones (${[...new Set(copies.map((c) => c.greenZone))].join(', ')})`;
    const { volumes } = await sittingOut(run, { what }, () => audited(run, entry, () => interruptible(run, () => longPoll.createGreenVolumes({ migrationId: run.id, region: spec.region, green: spec.green.cluster, copies }))));
    for (const v of volumes) progress.claims.find((p) => p.claim === v.claim)!.greenVolumeId = v.greenVolumeId;
    progress.step = 'claims';
    tell(run);
  }
  if (progress.step === 'claims') {
    const bind = claims.map((c) => ({ ...c, greenVolumeId: byClaim(c).greenVolumeId! }));
    const entry = { actor: run.startedBy, action: 'create-green-claims', reason: `blue's claims in green ${spec.green.cluster}, on the copied volumes`, detail: (r: { claims: unknown }) => ({ claims: r.claims }) };
    const what = `PersistentVolumes and claims in green ${spec.green.cluster} Bound`;
    const result = await sittingOut(run, { what }, () => audited(run, entry, () => interruptible(run, () => longPoll.bindGreenClaims({ ...input, claims: bind }))));
    for (const c of result.claims) Object.assign(progress.claims.find((p) => p.claim === c.claim)!, { persistentVolume: c.persistentVolume, phase: c.phase });
    addFindings(run, result.findings);
    progress.step = 'done';
    tell(run);
  }
  return 'carried';
}

const claimOf = (c: { namespace: string; name: string }) => `${c.namespace}/${c.name}`;

/** Undo: green's copies (claims, PersistentVolumes, volumes, snapshots) deleted; a failure is a warning naming what is left, never a held rollback. */
export async function deleteGreenCopies(run: Run, actor: Actor, reason: string): Promise<void> {
  await reportLeft(run, `deleting green's copies of blue's volumes (tag cutover.io/migration=${run.id})`, async () => {
    const entry = { actor, action: 'delete-green-copies', reason, detail: (r: { deleted: unknown }) => ({ deleted: r.deleted }) };
    const result = await audited(run, entry, () => wf.CancellationScope.nonCancellable(() => bestEffort.deleteGreenCopies(statefulInput(run))));
    addFindings(run, result.findings);
    // The copies are gone: a retry copies blue's data afresh.
    run.state.stateful = undefined;
  });
}

/** Undo: blue's workloads back at the replicas they had (kept on each workload). */
export async function restoreBlueWorkloads(run: Run, actor: Actor, reason: string): Promise<void> {
  const quiesce = run.spec.stateful?.quiesce;
  if (quiesce?.mode !== 'scale-to-zero') return;
  await reportLeft(run, `restoring ${quiesce.workloads.join(', ')} in blue ${run.spec.blue.cluster} (replicas in annotation cutover.io/replicas-before-carry-over)`, async () => {
    const entry = { actor, action: 'restore-blue-workloads', reason, detail: (r: { restored: unknown }) => ({ restored: r.restored }) };
    await audited(run, entry, () => wf.CancellationScope.nonCancellable(() => bestEffort.restoreBlueWorkloads({ ...statefulInput(run), workloads: quiesce.workloads })));
    // Blue writes again: whatever was copied is stale, so a retry stops its writes and copies again.
    if (run.state.stateful) Object.assign(run.state.stateful, { scaled: undefined, step: 'quiesce' });
  });
}

async function reportLeft(run: Run, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Interrupted || wf.isCancellation(err)) throw err;
    const message = `${what} failed: ${describeFailure(err)}`;
    addFindings(run, [{ severity: 'warning', source: 'stateful', message }]);
    await notify(run, 'warning', `${run.id}: ${message}`);
  }
}
