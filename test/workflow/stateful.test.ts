// Stateful workloads carried over (spec.stateful): blue's writes stopped, its volumes copied to
// green before validation, and every copy undone by a rollback, a rejected gate or a cancel,
// with blue's workloads back at their replicas and blue's own volumes untouched.
import { describe, expect, it } from 'vitest';
import type { MigrationSpec, StatefulSettings } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;
const DB = 'shop/StatefulSet/db';

function specWith(stateful: StatefulSettings): MigrationSpec {
  return { ...baseSpec(), stateful };
}
const scaleToZero: StatefulSettings = { quiesce: { mode: 'scale-to-zero', workloads: [DB] }, zones: { 'eu-west-1a': 'eu-west-1b' } };

/** What the carry-over made for green, what it scaled in blue; blue's own claims as they were. */
function expectCarried(run: Run) {
  expect([...run.cloud.greenCopies].sort()).toEqual(['PersistentVolume on volume from snapshot of vol-blue0 in eu-west-1b', 'shop/data-db-0', 'snapshot of vol-blue0', 'volume from snapshot of vol-blue0 in eu-west-1b']);
  expect(run.cloud.blueReplicas.get(DB)).toBe(0);
}
function expectUndone(run: Run) {
  expect(run.cloud.greenCopies.size).toBe(0);
  expect(run.cloud.blueReplicas.get(DB)).toBe(3);
  // Blue's data is never touched: its claim and volume are still there.
  expect(run.cloud.blueClaims.get('shop/data-db-0')).toEqual({ volumeId: 'vol-blue0', zone: 'eu-west-1a' });
}

describe('stateful workloads carried over', () => {
  it('copies before validation, and a rollback after the copy deletes green\'s copies and scales blue\'s workloads back; a retry copies afresh', async () => {
    const run = await start({ spec: specWith(scaleToZero) });
    const atCutover = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expectCarried(run);
    expect(atCutover.stateful).toMatchObject({
      step: 'done',
      scaled: [{ workload: DB, replicas: 3 }],
      claims: [{ claim: 'shop/data-db-0', volumeId: 'vol-blue0', zone: 'eu-west-1a', greenZone: 'eu-west-1b', encrypted: true, phase: 'Bound' }],
    });
    expect(atCutover.plan.stateful).toMatchObject({ phase: 'validating', zones: { 'eu-west-1a': 'eu-west-1b' } });
    // Blue stopped writing before anything was copied, and green had it all before validation.
    const order = run.cloud.log.flatMap((e) => (e.kind === 'call' && e.outcome === 'ok' ? [e.name] : []));
    expect(order.indexOf('quiesceBlueWorkloads')).toBeLessThan(order.indexOf('snapshotBlueVolumes'));
    expect(order.indexOf('bindGreenClaims')).toBeLessThan(order.indexOf('validateGreen'));

    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'first step');
    await run.settle();
    await run.rollback(bob, 'orders table looks wrong', true);
    await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    // The phase is entered once blue carries everything; the undo follows it.
    await run.settle();
    const rolledBack = await run.status();
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expectUndone(run);
    expect(rolledBack.stateful).toBeUndefined();
    const actions = (await run.audit()).map((e) => e.action);
    // Blue back first (it serves again), then green's copies.
    expect(actions.slice(actions.lastIndexOf('set-weights'))).toEqual(expect.arrayContaining(['restore-blue-workloads', 'delete-green-copies']));
    expect(actions.indexOf('restore-blue-workloads')).toBeLessThan(actions.indexOf('delete-green-copies'));
    expect((await run.audit()).find((e) => e.action === 'delete-green-copies')).toMatchObject({ actor: bob, reason: 'rollback: orders table looks wrong' });

    await run.retry(STARTER);
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate again');
    expectCarried(run);
    expect(run.cloud.calls('snapshotBlueVolumes')).toHaveLength(2);
  });

  it('gate mode waits in validating for a person to confirm that writes stopped; a rejection rolls back with nothing copied', async () => {
    const run = await start({ spec: specWith({ quiesce: { mode: 'gate' } }) });
    const waiting = await run.until((s) => s.pendingGate?.gate === 'stateful', 'stateful gate');
    expect(waiting.phase).toBe('validating');
    expect(waiting.plan.gates).toEqual(['stateful', 'cutover', 'decommission']);
    expect(run.cloud.calls('snapshotBlueVolumes')).toHaveLength(0);
    await run.approve('stateful', alice, 'reject', 'the batch job still writes');
    const status = await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    expect(status.error).toMatch(/gate stateful rejected by .*the batch job still writes/);
    expect(run.cloud.greenCopies.size).toBe(0);
    expect(run.cloud.calls('validateGreen')).toHaveLength(0);
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });

  it('gate mode: approved, the volumes are copied and validation follows', async () => {
    const run = await start({ spec: specWith({ quiesce: { mode: 'gate' } }) });
    await run.until((s) => s.pendingGate?.gate === 'stateful', 'stateful gate');
    await run.approve('stateful', alice);
    const status = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(status.stateful).toMatchObject({ step: 'done', claims: [{ claim: 'shop/data-db-0', greenZone: 'eu-west-1a' }] });
    expect(run.cloud.greenCopies.size).toBe(4);
    // Nothing of blue's was scaled: a person stopped the writes.
    expect(run.cloud.blueReplicas.get(DB)).toBe(3);
  });

  it('a failed validation after the copy brings blue\'s workloads back and deletes the copies', async () => {
    const run = await start({
      spec: specWith(scaleToZero),
      cloud: (c) => void (c.validationFindings = [[{ severity: 'blocking', source: 'readiness', message: 'StatefulSet shop/db in prod-green is not ready' }]]),
    });
    const status = await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    expect(status.error).toMatch(/validation failed/);
    expectUndone(run);
  });

  it('cancel after the copy undoes it: copies deleted, blue scaled back', async () => {
    const run = await start({ spec: specWith(scaleToZero) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expectCarried(run);
    await run.cancel(STARTER, 'wrong window');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled' });
    expectUndone(run);
  });

  it('a carry-over call AWS refuses holds the migration naming it; rollback stays open and undoes what was made', async () => {
    const run = await start({ spec: specWith(scaleToZero), cloud: (c) => c.fail('createGreenVolumes', { times: 1, nonRetryable: true }) });
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention).toMatchObject({ phase: 'validating', error: expect.stringContaining('injected createGreenVolumes fault') });
    expect(run.cloud.blueReplicas.get(DB)).toBe(0);
    await run.rollback(bob, 'KMS key not shared with green', true);
    await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    await run.settle();
    expectUndone(run);
  });

  it('a spec without stateful carries nothing', async () => {
    const run = await start();
    const status = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(run.cloud.calls('statefulClaims')).toHaveLength(0);
    expect(status.stateful).toBeUndefined();
    expect(status.plan.stateful).toBeUndefined();
    expect(Object.keys(status.plan.approvalPolicies ?? {})).not.toContain('stateful');
  });
});
