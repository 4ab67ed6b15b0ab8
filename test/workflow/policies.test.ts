// Approval policies, step-back and promote on the time-skipping server: k of N from groups, who
// may not decide and why, expiry that rejects, holds or escalates, a step back to an earlier
// weight held at the next gate, and a promote that skips the remaining steps.
import { describe, expect, it } from 'vitest';
import { REJECTION } from '../../workflows/messages.js';
import type { ApprovalPolicy } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, STARTER } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob, carol] = APPROVERS;

function withPolicies(policies: Partial<Record<'cutover' | 'step' | 'promote' | 'decommission', ApprovalPolicy>>, traffic: Partial<ReturnType<typeof baseSpec>['traffic']> = {}) {
  const spec = baseSpec();
  return { spec: { ...spec, traffic: { ...spec.traffic, ...traffic }, approvals: { ...spec.approvals, ...policies } } };
}

/** The failure type and message an Update was refused with. */
async function refusal(call: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e as { cause?: { type?: string; message: string } },
  );
  expect(err, 'the request was accepted').toBeDefined();
  return { type: err!.cause?.type, message: err!.cause?.message ?? '' };
}

const notifications = (run: Awaited<ReturnType<typeof start>>) => run.cloud.calls('notify').map((c) => c.input as { event: string; text: string; channel?: string });

describe('approval policies', () => {
  it('counts distinct approvals from the policy’s groups until k of N, and shows who approved and who may still', async () => {
    const run = await start(withPolicies({ cutover: { required: 2, groups: ['leads'] } }));
    const pending = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(pending.pendingGate).toMatchObject({ required: 2, approvals: [], mayApprove: { groups: ['leads'], except: [STARTER] } });

    expect(await refusal(run.approveAs('cutover', bob, ['sre']))).toEqual({ type: REJECTION.forbidden, message: `${bob} is in sre; gate cutover is decided by members of leads` });
    expect(await refusal(run.approveAs('cutover', STARTER, ['leads']))).toEqual({ type: REJECTION.forbidden, message: `${STARTER} started this migration and may not decide gate cutover` });
    expect(await run.approveAs('cutover', alice, ['leads'])).toEqual({ gate: 'cutover', decision: 'approve', approvals: 1, required: 2, met: false });
    expect(await refusal(run.approveAs('cutover', alice, ['leads']))).toEqual({ type: REJECTION.forbidden, message: `${alice} already approved gate cutover: it needs 2 different people` });

    const one = await run.status();
    expect(one.phase).toBe('awaiting-cutover');
    expect(one.pendingGate).toMatchObject({ approvals: [{ actor: alice, at: expect.any(String) }], mayApprove: { except: [alice, STARTER] } });
    expect(run.cloud.routing.green).toBe(0);

    expect(await run.approveAs('cutover', carol, ['leads', 'sre'])).toMatchObject({ approvals: 2, required: 2, met: true });
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    const approved = (await run.audit()).find((e) => e.action === 'gate-approve');
    expect(approved).toMatchObject({ actor: carol, detail: { gate: 'cutover', approvers: [alice, carol] } });
  });

  it('one rejection by an eligible person ends the gate', async () => {
    const run = await start(withPolicies({ cutover: { required: 2 } }));
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    expect(await run.approve('cutover', bob, 'reject', 'not on a Friday')).toMatchObject({ decision: 'reject' });
    const rolledBack = await run.until((s) => s.phase === 'rolled-back', 'rolled back');
    expect(rolledBack.weights.green).toBe(0);
    expect((await run.audit()).find((e) => e.action === 'gate-reject')).toMatchObject({ actor: bob, reason: 'not on a Friday' });
  });

  it('decommission takes two approvers by default, neither the starter nor the cutover approver', async () => {
    const run = await start({ spec: { ...baseSpec(), bake: '1h', freeze: '1h', traffic: { ...baseSpec().traffic, observe: '0s' } } });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'baking', 'baking');
    await run.advance('2h');
    const gate = await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
    expect(gate.pendingGate).toMatchObject({ required: 2, mayApprove: { except: expect.arrayContaining([STARTER, alice]) } });
    expect(await refusal(run.approve('decommission', alice))).toEqual({ type: REJECTION.forbidden, message: `${alice} approved gate cutover of this migration, so may not approve gate decommission` });
    expect(await refusal(run.approve('decommission', STARTER))).toMatchObject({ type: REJECTION.forbidden });
    await run.approve('decommission', bob);
    expect((await run.status()).phase).toBe('awaiting-decommission');
    expect(run.cloud.mutations().some((m) => m.what === 'remove-blue-routing')).toBe(false);
    await run.approve('decommission', carol);
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
  });

  it('expiry with onExpiry reject rejects as the policy: traffic stays on blue', async () => {
    const run = await start(withPolicies({ cutover: { expiresAfter: '2h', onExpiry: 'reject' } }));
    const pending = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(Date.parse(pending.pendingGate!.expiresAt!) - Date.parse(pending.pendingGate!.since)).toBe(2 * 3600_000);
    await run.advance('2h');
    await run.until((s) => s.phase === 'rolled-back', 'rejected on expiry');
    const audit = await run.audit();
    expect(audit.find((e) => e.action === 'gate-expired')).toMatchObject({ actor: 'cutover', detail: { gate: 'cutover', then: 'reject' } });
    expect(audit.find((e) => e.action === 'gate-reject')?.reason).toContain('expired with 0 of 1 approvals');
    expect(notifications(run).some((n) => n.event === 'gate-expired')).toBe(true);
  });

  it('expiry with onExpiry hold holds the migration; a retry opens the gate again', async () => {
    const run = await start(withPolicies({ cutover: { expiresAfter: '1h', onExpiry: 'hold' } }));
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.advance('1h');
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention).toMatchObject({ phase: 'awaiting-cutover' });
    expect(held.error).toContain('gate cutover expired with 0 of 1 approvals');
    await run.retry();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'the gate again');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
  });

  it('escalates to its channel on expiry, then acts after the further wait; an approval meanwhile still counts', async () => {
    const escalating: ApprovalPolicy = { expiresAfter: '1h', onExpiry: 'escalate', escalate: { channel: 'sre-escalations', after: '30m', then: 'reject' } };
    const run = await start(withPolicies({ cutover: escalating }));
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.advance('1h');
    const escalated = await run.until((s) => !!s.pendingGate?.escalated, 'escalated');
    expect(escalated.pendingGate!.escalated).toMatchObject({ channel: 'sre-escalations' });
    expect(Date.parse(escalated.pendingGate!.escalated!.actsAt) - Date.parse(escalated.pendingGate!.escalated!.at)).toBe(30 * 60_000);
    await run.settle();
    expect(notifications(run).find((n) => n.event === 'gate-escalated')).toMatchObject({ channel: 'sre-escalations' });
    await run.advance('30m');
    await run.until((s) => s.phase === 'rolled-back', 'rejected after the escalation');
  });

  it('reminds at the policy’s interval while the gate waits', async () => {
    const run = await start(withPolicies({ cutover: { reminderInterval: '10m' } }));
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.advance('35m');
    await run.settle();
    expect(notifications(run).filter((n) => n.event === 'gate-reminder').length).toBe(3);
  });
});

describe('step-back', () => {
  it('moves green from 80 back to 50 in one change and holds at the next step’s gate with the reason', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    await run.advance('10m');
    await run.until((s) => s.step?.greenWeight === 50, 'step 2');
    await run.advance('10m');
    await run.until((s) => s.step?.greenWeight === 80, 'step 3');

    expect(await refusal(run.stepBack(bob, 'latency', 30))).toMatchObject({ type: REJECTION.invalid, message: expect.stringContaining('weight 30 is not a step') });
    expect(await run.stepBack(bob, 'p99 latency up 20 %', 50)).toEqual({ step: 2, greenWeight: 50 });
    const held = await run.until((s) => s.pendingGate?.gate === 'step-3', 'held at step-3');
    expect(held.weights).toEqual({ blue: 50, green: 50 });
    expect(run.cloud.routing).toEqual({ blue: 50, green: 50 });
    expect(held.pendingGate!.reason).toBe(`stepped back from green 80% to 50% by ${bob}: p99 latency up 20 %`);
    expect((await run.audit()).find((e) => e.action === 'step-back')).toMatchObject({ actor: bob, detail: { from: 80, to: 50, step: 2 } });

    await run.advance('1h'); // it holds: no step moves without the gate
    expect(run.cloud.routing.green).toBe(50);
    await run.approve('step-3', alice);
    await run.until((s) => s.step?.greenWeight === 80, 'step 3 again');
    const weights = run.cloud.mutations().filter((m) => m.what === 'set-weights').map((m) => (m as unknown as { weights: { green: number } }).weights.green);
    expect(weights).toEqual([20, 50, 80, 50, 80]);
  });

  it('is refused before traffic, at the first step, and in runs that cannot', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(await refusal(run.stepBack(bob, 'why'))).toMatchObject({ type: REJECTION.notApplicable, message: expect.stringContaining('only while shifting or baking') });
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    expect(await refusal(run.stepBack(bob, 'why'))).toMatchObject({ type: REJECTION.notApplicable, message: expect.stringContaining('roll back') });
    // A rollback is always accepted, whatever was asked before.
    await run.rollback(bob, 'errors', true);
  });
});

describe('promote', () => {
  it('skips the remaining steps to 100 % once the current step has passed its observe, under its policy', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    expect(await refusal(run.promote(STARTER))).toMatchObject({ type: REJECTION.forbidden });
    expect(await run.promote(bob)).toMatchObject({ gate: 'promote', approvals: 1, required: 1, met: true });
    expect(run.cloud.routing.green).toBe(20); // not before the step's checks passed
    await run.advance('10m');
    await run.until((s) => s.weights.green === 100, 'green at 100 %');
    const weights = run.cloud.mutations().filter((m) => m.what === 'set-weights').map((m) => (m as unknown as { weights: { green: number } }).weights.green);
    expect(weights).toEqual([20, 100]);
    expect((await run.audit()).find((e) => e.action === 'promoted')).toMatchObject({ actor: bob, detail: { approvers: [bob] } });
  });

  it('with two required, the second approval comes through gate promote', async () => {
    const run = await start(withPolicies({ promote: { required: 2 } }));
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    expect(await run.promote(bob)).toMatchObject({ approvals: 1, required: 2, met: false });
    expect((await run.status()).promotion).toMatchObject({ required: 2, met: false, mayApprove: { except: expect.arrayContaining([bob, STARTER]) } });
    expect(await run.approve('promote', carol)).toMatchObject({ gate: 'promote', approvals: 2, met: true });
    await run.advance('10m');
    await run.until((s) => s.weights.green === 100, 'green at 100 %');
  });
});

describe('promote and rollback', () => {
  it('a promote approved before a rollback does not carry over to the retry (found by the property test, seed 2063039405)', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1');
    expect(await run.promote(bob)).toMatchObject({ met: true });
    await run.rollback(bob, 'errors', true);
    await run.retry();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover again');
    expect((await run.status()).promotion).toBeUndefined();
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1 again');
    await run.advance('10m');
    await run.until((s) => s.step?.greenWeight === 50, 'step 2, not 100 %');
  });
});
