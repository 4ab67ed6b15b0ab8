// Never stranded: a failure no retry fixes holds the migration in needs-attention with what the
// routing serves read live, and from there a person can roll back (whatever failed), retry the
// failed step, abort once traffic is on blue, or cancel (the saga runs). Nothing a spec says
// breaks the workflow, and provisioning that created green before it failed is on record.
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { APPROVERS, baseSpec, refusal, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice] = APPROVERS;

/** Approves cutover and waits until green carries the first step. */
async function shifted(run: Run) {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', alice);
  await run.until((s) => s.step?.greenWeight === 20, 'first step');
  await run.settle();
}

describe('needs-attention', () => {
  it('holds a migration whose forward weight change fails for good, with the live weights, and rolls it back to blue', async () => {
    const run = await start();
    await shifted(run);
    run.cloud.fail('setWeights', { times: 1, nonRetryable: true });
    await run.advance('10m'); // the observe window ends: the next step's change fails
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    await run.settle(); // the notification is an activity after the phase change
    expect(held.attention).toMatchObject({ phase: 'shifting', step: 2, liveWeights: [{ blue: 80, green: 20 }] });
    expect(held.attention?.error).toMatch(/injected setWeights fault/);
    expect(held.weights).toEqual({ blue: 80, green: 20 });
    expect(run.cloud.calls('notify').some((c) => (c.input as { event: string }).event === 'needs-attention')).toBe(true);
    expect((await run.describe()).status.name).toBe('RUNNING');

    const answer = await run.rollback(alice, 'held at step 2', true);
    expect(answer.weights).toEqual({ blue: 100, green: 0 });
    expect((await run.status()).phase).toBe('rolled-back');
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });

  it('keeps retrying a forward weight change that fails retryably (Throttling) past one call’s attempts, shown in the status', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    run.cloud.fail('setWeights', { times: 4 }); // one call tries 3 times
    await run.approve('cutover', alice);
    const retrying = await run.until((s) => !!s.retrying, 'retrying in the status');
    expect(retrying.phase).toBe('shifting');
    expect(retrying.retrying).toMatchObject({ activity: 'setWeights', attempts: 3, lastError: expect.stringContaining('injected setWeights fault') });
    await run.settle();
    await run.advance('1m'); // the pause between calls
    const shifted = await run.until((s) => s.step?.greenWeight === 20, 'first step');
    expect(shifted.retrying).toBeUndefined();
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
  });

  it("held in decommissioning once blue's routing removal was asked for: no way back to blue, a retry finishes", async () => {
    const run = await start();
    await shifted(run);
    await run.advance('40m');
    await run.until((s) => s.phase === 'baking', 'baking');
    await run.advance('10 days');
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
    run.cloud.fail('removeBlueRouting', { times: 1, afterEffect: true, nonRetryable: true });
    await run.approveDecommission();
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention?.phase).toBe('decommissioning');
    // The call took effect though it failed: the audit says it was made, and that it failed.
    expect((await run.audit()).find((e) => e.action === 'remove-blue-routing')?.detail).toMatchObject({ mayHaveTakenEffect: true });
    expect(run.cloud.blueRouted).toBe(false);

    expect((await refusal(run.rollback(alice, 'second thoughts'))).message).toMatch(/retirement began/);
    expect((await refusal(run.cancel())).message).toMatch(/retirement began/);
    await run.retry();
    expect(await run.outcome()).toMatchObject({ phase: 'completed', weights: { blue: 0, green: 100 } });
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
  });

  it('retries the failed step: the shift goes on from the step that failed', async () => {
    const run = await start();
    await shifted(run);
    run.cloud.fail('setWeights', { times: 1, nonRetryable: true });
    await run.advance('10m');
    await run.until((s) => s.phase === 'needs-attention', 'held');
    expect((await refusal(run.abort())).message).toMatch(/roll back first/);
    await run.retry();
    const status = await run.until((s) => s.phase === 'shifting' && s.step?.index === 2, 'step 2 again');
    expect(status.attention).toBeUndefined();
    await run.settle();
    expect(run.cloud.routing.green).toBeGreaterThan(20);
  });

  it('a bug in a phase (an activity answering garbage) still leaves rollback working', async () => {
    const run = await start();
    await shifted(run);
    run.cloud.garbage.set('checkGreenTargets', {}); // findings undefined: the phase's code throws a TypeError
    await run.advance('10m');
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention?.error).toMatch(/TypeError/);
    await run.rollback(alice, 'bug in shifting', true);
    const status = await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    expect(status.weights).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });

  it('rolls back even when the routing cannot be read: blue 100 is written regardless', async () => {
    const run = await start();
    await shifted(run);
    run.cloud.fail('setWeights', { times: 1, nonRetryable: true });
    run.cloud.fail('readWeights', { times: 5, nonRetryable: true });
    await run.advance('10m');
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention?.weightsUnknown).toMatch(/routing could not be read/);
    await run.rollback(alice, 'weights unknown', true);
    await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });

  it('cancel from needs-attention runs the saga (green created by the migration deleted)', async () => {
    const spec = baseSpec();
    spec.green.deleteOnCancel = true;
    const run = await start({ spec });
    await shifted(run);
    run.cloud.fail('setWeights', { times: 1, nonRetryable: true });
    await run.advance('10m');
    await run.until((s) => s.phase === 'needs-attention', 'held');
    await run.cancel();
    await run.outcome();
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.clusters.has(spec.green.cluster)).toBe(false);
  });
});

describe('provisioning', () => {
  it('records a green it created before it failed (seed 1222967279, path 15): audit, status and the undo', async () => {
    const spec = baseSpec();
    spec.green.deleteOnCancel = true;
    const run = await start({ spec, cloud: (c) => c.fail('provisionGreen', { times: 1, afterEffect: true, nonRetryable: true }) });
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held).toMatchObject({ greenCreatedByMigration: true, attention: { phase: 'provisioning' } });
    expect((await run.audit()).some((e) => e.action === 'create-cluster')).toBe(true);
    await run.cancel();
    await run.outcome();
    expect(run.cloud.clusters.has(spec.green.cluster)).toBe(false);
  });

  it('holds a migration whose provisioning failed and made nothing; abort ends it with nothing changed', async () => {
    const run = await start({ cloud: (c) => c.fail('provisionGreen', { times: 1, nonRetryable: true }) });
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention).toMatchObject({ phase: 'provisioning', error: expect.stringContaining('injected provisionGreen fault') });
    await run.abort();
    expect(await run.outcome()).toMatchObject({ phase: 'aborted', weights: { blue: 100, green: 0 } });
    expect(run.cloud.mutations()).toEqual([]);
  });

  it('cancelled while provisioning retries: the activity is given up at once, a green it made is deleted', async () => {
    const spec = baseSpec();
    spec.green.deleteOnCancel = true;
    // The call creates green, then keeps failing retryably (its answers lost, say).
    const run = await start({ spec, cloud: (c) => c.fail('provisionGreen', { times: 1_000_000, afterEffect: true }) });
    await run.until((s) => s.phase === 'provisioning' && !!s.waiting?.what.includes('created from blue'), 'provisioning shown as waited on');
    await run.cancel(STARTER, 'wrong account');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect(run.cloud.clusters.has(spec.green.cluster)).toBe(false);
    expect((await run.audit()).map((e) => e.action)).toEqual(expect.arrayContaining(['create-cluster', 'delete-cluster', 'cancel']));
  });

  it('keeps what could not be copied from blue in the status', async () => {
    const finding = { severity: 'warning' as const, source: 'eks', message: 'access entries not copied' };
    const run = await start({ cloud: (c) => (c.provisioningFindings = [finding]) });
    const status = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(status.findings).toContainEqual(finding);
  });
});

describe('what a spec says', () => {
  it('refuses a bake no timer can reach at start, before any change', async () => {
    const spec = baseSpec();
    spec.bake = '300000 years';
    const run = await start({ spec });
    const err = await run.outcome().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/bake/);
    expect(run.cloud.log.filter((e) => e.kind === 'call')).toEqual([]);
  });
});

describe('preflight', () => {
  it('reads the routing: weights not all on blue are a blocking finding saying what they are', async () => {
    const run = await start({ cloud: (c) => (c.routing = { blue: 70, green: 30 }) });
    const status = await run.until((s) => s.pendingGate?.gate === 'preflight-override', 'preflight override');
    expect(status.findings.some((f) => f.severity === 'blocking' && /green 30/.test(f.message))).toBe(true);
    expect(status.weights).toEqual({ blue: 70, green: 30 });
  });
});

describe('before traffic moves', () => {
  it('holds a migration whose preflight fails for good (access denied), with the reason; nothing to roll back; a retry goes on once fixed', async () => {
    const run = await start({ cloud: (c) => c.fail('preflight', { times: 1, nonRetryable: true }) });
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention).toMatchObject({ phase: 'preflight', error: expect.stringContaining('injected preflight fault') });
    expect((await run.describe()).status.name).toBe('RUNNING');
    expect((await refusal(run.rollback(alice, 'just in case'))).message).toMatch(/nothing to roll back/);
    await run.retry();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate after the retry');
    expect(run.cloud.mutations().filter((m) => m.what === 'set-weights')).toEqual([]);
  });

  it('cancel from a hold before traffic writes no weights (the routing may be out of reach)', async () => {
    const run = await start({ cloud: (c) => c.fail('preflight', { times: 1, nonRetryable: true }) });
    await run.until((s) => s.phase === 'needs-attention', 'held');
    run.cloud.fail('setWeights', { times: 1_000_000 });
    await run.cancel(STARTER, 'not now');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled' });
    expect(run.cloud.calls('setWeights')).toEqual([]);
  });

  for (const [phase, activity] of [
    ['preflight', 'preflight'],
    ['validating', 'validateGreen'],
  ] as const) {
    it(`cancelled while ${phase}'s ${activity} retries without end: acted on at once, nothing left behind`, async () => {
      const run = await start({ cloud: (c) => c.fail(activity, { times: 1_000_000 }) });
      await run.until((s) => s.phase === phase && !!s.waiting, `${phase} shown as waited on`);
      await run.until(() => run.cloud.calls(activity).length >= 3, `${activity} retried`);
      await run.cancel(STARTER, 'AWS out of reach');
      expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
      expect(run.cloud.mutations().filter((m) => m.what !== 'create-cluster' && m.what !== 'delete-cluster')).toEqual([]);
      expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    });
  }

  it("a rollback while green's targets are re-checked without end acts at once", async () => {
    const run = await start();
    await shifted(run);
    run.cloud.fail('checkGreenTargets', { times: 1_000_000 });
    await run.advance('10m'); // the observe window ends: the next step checks green first
    await run.until((s) => !!s.waiting?.what.includes('green can take step 2'), 'the check shown as waited on');
    await run.rollback(alice, 'green looks wrong', true);
    expect((await run.status()).phase).toBe('rolled-back');
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });
});
