// Requests that do not apply now are refused by the Update validators, with a type the API
// maps to an HTTP code, and leave no trace in the workflow's history.
import { describe, expect, it } from 'vitest';
import { REJECTION } from '../../workflows/messages.js';
import { APPROVERS, baseSpec, refusal, rejection, rolledBackAtStep2, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

/**
 * Sends a request that must be refused with `type`. Nothing may be recorded: no Update event, no
 * command, no state change. (A real server runs the validator in a speculative workflow task
 * that is dropped; the Java test server writes that task's three events, which carry nothing.)
 */
async function refused(run: Run, send: () => Promise<unknown>, type: string = REJECTION.notApplicable) {
  await run.settle();
  const before = (await run.handle.fetchHistory()).events!.length;
  const statusBefore = await run.status();
  expect(await rejection(send())).toBe(type);
  await run.settle();
  const added = (await run.handle.fetchHistory()).events!.slice(before);
  const traces = added.filter((e) => !(e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes));
  expect(traces).toEqual([]);
  expect(await run.status()).toEqual(statusBefore);
}

async function atCutoverGate(run: Run) {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
}

describe('refused requests', () => {
  it('approving a gate that is not pending', async () => {
    const run = await start();
    await atCutoverGate(run);
    await refused(run, () => run.approve('decommission', alice));
    await refused(run, () => run.approve('step-2', alice));
  });

  it('approving the same gate twice', async () => {
    const run = await start();
    await atCutoverGate(run);
    await run.approve('cutover', alice);
    await refused(run, () => run.approve('cutover', bob));
    expect((await run.audit()).filter((e) => e.action === 'gate-approve')).toHaveLength(1);
  });

  it('deciding one’s own migration: the policies exclude the starter by default', async () => {
    const run = await start();
    await atCutoverGate(run);
    await refused(run, () => run.approve('cutover', STARTER), REJECTION.forbidden);
    await refused(run, () => run.approve('cutover', STARTER, 'reject'), REJECTION.forbidden);
    await run.approve('cutover', alice); // another person may
  });

  it('self-approval is allowed when the policy says so', async () => {
    const run = await start({ spec: { ...baseSpec(), approvals: { cutover: { excludeStarter: false } } } });
    await atCutoverGate(run);
    expect(await run.approve('cutover', STARTER)).toEqual({ gate: 'cutover', decision: 'approve', approvals: 1, required: 1, met: true });
  });

  it('rolling back before cutover, with no reason, or when already rolled back', async () => {
    const run = await start();
    await atCutoverGate(run);
    await refused(run, () => run.rollback(bob, 'nervous'));
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20);
    await refused(run, () => run.rollback(bob, '  '));
    await run.rollback(bob, 'canary errors', true);
    await refused(run, () => run.rollback(bob, 'again'));
  });

  it('rolling back after completion', async () => {
    const run = await start({ spec: { ...baseSpec(), bake: '1h', freeze: '1h', traffic: { ...baseSpec().traffic, observe: '0s' } } });
    await atCutoverGate(run);
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'baking');
    await run.advance('2h');
    await run.until((s) => s.pendingGate?.gate === 'decommission');
    await run.approveDecommission();
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
    await expect(run.rollback(bob, 'too late')).rejects.toThrow();
    expect(run.cloud.mutations().at(-1)).toMatchObject({ what: 'delete-cluster', cluster: 'prod-blue' });
  });

  it('resuming when not paused, pausing twice', async () => {
    const run = await start();
    await atCutoverGate(run);
    await refused(run, () => run.resume());
    await run.pause();
    await refused(run, () => run.pause());
    await run.resume();
  });

  it('retry or abort when nothing was rolled back, or once one was chosen', async () => {
    const run = await start();
    await atCutoverGate(run);
    await refused(run, () => run.retry());
    await refused(run, () => run.abort());
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20);
    await run.pause(); // keeps the rolled-back phase in place after the retry below
    await run.rollback(bob, 'errors', true);
    await run.retry();
    await refused(run, () => run.abort());
  });

  it('a second choice while a pause holds back the first: refused, and never acts on a later hold (soak seed 20261321)', async () => {
    const run = await rolledBackAtStep2(start);
    await run.settle();
    await run.pause(); // rolled back and waiting: the retry is taken at once, validating waits for the resume
    await run.retry();
    expect((await refusal(run.abort())).message).toMatch(/retry was already chosen by ops@example; the migration is paused: resume it/);
    await refused(run, () => run.retry());
    await run.resume();
    await atCutoverGate(run);
    run.cloud.fail('setWeights', { times: 1, afterEffect: true, nonRetryable: true });
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'needs-attention', 'held');
    await run.settle();
    // The held migration waits for a person with green serving, as it says: no abort left over.
    expect((await run.status()).phase).toBe('needs-attention');
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    await run.rollback(bob, 'held at step 1', true);
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });
});
