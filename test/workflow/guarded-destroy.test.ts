// The guarded destroy: once the decommission gate is approved, a last delay before anything of
// blue is deleted, announced with its end and the command that cancels it; keep-blue cancels
// it and sends the migration back to the gate; rollback works during it as at the gate. A
// protected blue is never deleted: its routing goes, the migration completes with blue kept.
import { describe, expect, it } from 'vitest';
import { REJECTION } from '../../workflows/messages.js';
import { APPROVERS, atDecommissionGate, baseSpec, rejection, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

const withDelay = (lastDelay: string) => ({ ...baseSpec(), decommission: { lastDelay } });


const notices = (run: Run, event: string) => run.cloud.calls('notify').map((c) => c.input as { event: string; text: string }).filter((n) => n.event === event);
const BLUE_DELETES = ['removeBlueRouting', 'deleteBlueLoadBalancers', 'deleteNodegroups', 'deleteCluster'] as const;
const nothingOfBlueTouched = (run: Run) => BLUE_DELETES.every((name) => run.cloud.calls(name).length === 0);

describe('the last delay', () => {
  it('waits after the gate before anything of blue is deleted, announced with its end and the keep-blue command, shown in timers and waiting', async () => {
    const run = await start({ spec: withDelay('2h') });
    await atDecommissionGate(run);
    await run.approveDecommission();
    // The delay is on record first, then announced, then sat out (waiting).
    const during = await run.until((s) => !!s.lastDelay && !!s.waiting, 'last delay');

    expect(during.phase).toBe('awaiting-decommission');
    expect(during.lastDelay).toMatchObject({ approvedBy: bob, keepBlue: expect.stringContaining(`cutover keep-blue ${run.handle.workflowId}`) });
    const endsAt = during.lastDelay!.endsAt;
    expect(Date.parse(endsAt) - Date.parse(during.lastDelay!.since)).toBe(2 * 3600_000);
    expect(during.timers).toContainEqual({ name: 'last-delay', firesAt: endsAt });
    expect(during.waiting).toMatchObject({ what: expect.stringContaining('last delay before blue prod-blue is deleted'), until: endsAt });
    const [announced] = notices(run, 'last-delay');
    expect(announced.text).toContain(`blue prod-blue will be deleted at ${endsAt}`);
    expect(announced.text).toContain(`cutover keep-blue ${run.handle.workflowId}`);
    expect(announced.text).toContain(`/v1/migrations/${run.handle.workflowId}/keep-blue`);
    expect(nothingOfBlueTouched(run)).toBe(true);

    await run.advance('2h');
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
    expect(run.cloud.violations).toEqual([]);
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
    const trail = await run.audit();
    const delayEntry = trail.findIndex((e) => e.action === 'last-delay');
    expect(trail[delayEntry]).toMatchObject({ actor: bob, detail: { endsAt, delay: '2h' } });
    // Blue's retirement began only after the delay.
    expect(trail.findIndex((e) => e.action === 'remove-blue-routing')).toBeGreaterThan(delayEntry);
    expect(Date.parse(trail.find((e) => e.action === 'remove-blue-routing')!.at)).toBeGreaterThanOrEqual(Date.parse(endsAt));
    const status = await run.status();
    expect(status.timers).toEqual([]);
    expect(status.lastDelay).toBeUndefined();
  });

  it('keep-blue cancels it: back to the decommission gate, its approval cleared, the reason audited and told; a new approval waits again', async () => {
    const run = await start({ spec: withDelay('1h') });
    await atDecommissionGate(run);
    // Refused (409) while no delay runs: at the gate.
    expect(await rejection(run.keepBlue(alice, 'too early'))).toBe(REJECTION.notApplicable);

    await run.approveDecommission();
    await run.until((s) => !!s.lastDelay, 'last delay');
    await run.keepBlue(alice, 'payments asked to keep blue until their batch ends');
    const back = await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate again');

    expect(back.phase).toBe('awaiting-decommission');
    expect(back.lastDelay).toBeUndefined();
    expect(back.timers).toEqual([]);
    expect(back.waiting).toBeUndefined();
    expect(nothingOfBlueTouched(run)).toBe(true);
    const kept = (await run.audit()).find((e) => e.action === 'keep-blue');
    expect(kept).toMatchObject({ actor: alice, reason: 'payments asked to keep blue until their batch ends', detail: { approvedBy: bob } });
    expect(notices(run, 'blue-kept')[0].text).toContain('waits at the decommission gate again');
    // Refused again once the delay is over.
    expect(await rejection(run.keepBlue(alice, 'again'))).toBe(REJECTION.notApplicable);

    // The earlier approval does not count: the gate waits, and a new one starts a new delay.
    await run.advance('2h');
    expect((await run.status()).pendingGate?.gate).toBe('decommission');
    await run.approveDecommission();
    await run.until((s) => !!s.lastDelay, 'second last delay');
    await run.advance('1h');
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
    expect(run.cloud.violations).toEqual([]);
    expect(notices(run, 'last-delay')).toHaveLength(2);
  });

  it('gives way to a rollback as the gate does: traffic back on blue, nothing of blue deleted', async () => {
    const run = await start({ spec: withDelay('1h') });
    await atDecommissionGate(run);
    await run.approveDecommission();
    await run.until((s) => !!s.lastDelay, 'last delay');
    await run.rollback(alice, 'green misbehaves after all', true);
    const rolled = await run.until((s) => s.phase === 'rolled-back', 'rolled back');

    expect(rolled.weights).toEqual({ blue: 100, green: 0 });
    expect(rolled.lastDelay).toBeUndefined();
    expect(rolled.timers).toEqual([]);
    expect(nothingOfBlueTouched(run)).toBe(true);
    expect(run.cloud.violations).toEqual([]);
  });

  it('is skipped at 0s', async () => {
    const run = await start({ spec: withDelay('0s') });
    await atDecommissionGate(run);
    await run.approveDecommission();
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
    expect(notices(run, 'last-delay')).toEqual([]);
    expect((await run.audit()).some((e) => e.action === 'last-delay')).toBe(false);
  });
});

describe('a protected blue', () => {
  const PROTECTED = 'tag cutover.io/protected=true on EKS cluster prod-blue';

  it('is kept: its routing is removed, nothing of it deleted, the migration completes saying why', async () => {
    const run = await start({ cloud: (cloud) => cloud.protectedClusters.set('prod-blue', PROTECTED) });
    await atDecommissionGate(run);
    await run.approveDecommission();
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });

    expect(run.cloud.violations).toEqual([]);
    expect(run.cloud.calls('clusterProtection')).toHaveLength(1);
    expect(run.cloud.calls('removeBlueRouting')).toHaveLength(1);
    for (const name of ['deleteBlueLoadBalancers', 'deleteNodegroups', 'deleteCluster', 'retainedVolumeFindings'] as const) expect(run.cloud.calls(name)).toEqual([]);
    expect(run.cloud.clusters.has('prod-blue')).toBe(true);

    const status = await run.status();
    expect(status.blueDeleted).toBe(false);
    expect(status.decommission).toEqual({
      steps: [
        { step: 'remove-blue-routing', status: 'done' },
        { step: 'report-retained-volumes', status: 'skipped' },
        { step: 'delete-load-balancers', status: 'skipped' },
        { step: 'delete-node-groups', status: 'skipped' },
        { step: 'delete-cluster', status: 'skipped' },
      ],
      keptBecause: PROTECTED,
    });
    const kept = (await run.audit()).find((e) => e.action === 'keep-cluster');
    expect(kept).toMatchObject({ actor: bob, reason: expect.stringContaining(`blue prod-blue is protected (${PROTECTED}): it is kept`) });
    expect(notices(run, 'blue-kept')[0].text).toContain(PROTECTED);
  });
});
