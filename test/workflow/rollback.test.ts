// Rollback from every kind of wait in phases 6–9, what follows it (retry, abort), and cancel's
// compensation. Each rollback must end with blue carrying 100 % and the person on record.
import { describe, expect, it } from 'vitest';
import type { MigrationSpec } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, rejection, STARTER, type Run } from './harness.js';
import { eventually } from '../wait.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

function specWith(change: (s: MigrationSpec) => void): MigrationSpec {
  const spec = baseSpec();
  change(spec);
  return spec;
}

/** Approves cutover and waits until green carries the first step. */
async function shifted(run: Run) {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', alice);
  await run.until((s) => s.step?.greenWeight === 20, 'first step');
  await run.settle();
}

async function expectRolledBack(run: Run, actor: string, reason: string) {
  const status = await run.until((s) => s.phase === 'rolled-back', 'rolled-back');
  expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  expect(status).toMatchObject({ weights: { blue: 100, green: 0 }, timers: [] });
  expect(status.pendingGate).toBeUndefined();
  const lastShift = (await run.audit()).filter((e) => e.action === 'set-weights').at(-1);
  expect(lastShift).toMatchObject({ actor, reason, detail: { blue: 100, green: 0 } });
  expect(run.cloud.clusters.has('prod-blue')).toBe(true);
  expect(run.cloud.violations).toEqual([]);
}

const rollbackPoints: { when: string; spec?: MigrationSpec; cloud?: (c: Run['cloud']) => void; reach: (run: Run) => Promise<void> }[] = [
  {
    when: 'in the middle of a step observe window',
    reach: async (run) => {
      await shifted(run);
      await run.advance('10m');
      await run.until((s) => s.step?.greenWeight === 50);
      await run.advance('4m');
      await run.settle();
      expect(run.cloud.routing).toEqual({ blue: 50, green: 50 });
    },
  },
  {
    when: 'between steps, at a step approval gate',
    spec: specWith((s) => (s.traffic.stepApproval = 'manual')),
    reach: async (run) => {
      await shifted(run);
      await run.advance('10m');
      await run.until((s) => s.pendingGate?.gate === 'step-2', 'step-2 gate');
    },
  },
  {
    when: 'while waiting for the DNS change to be INSYNC',
    cloud: (c) => void (c.holdInsync = (w) => w.green > 0),
    reach: async (run) => {
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await eventually(async () => run.cloud.insyncHeld, (held) => held > 0);
      expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    },
  },
  {
    when: 'in the middle of the bake',
    reach: async (run) => {
      await shifted(run);
      await run.advance('40m');
      await run.until((s) => s.phase === 'baking');
      await run.advance('2 days');
    },
  },
  {
    when: 'in the middle of the freeze',
    reach: async (run) => {
      await shifted(run);
      await run.advance('40m');
      await run.until((s) => s.phase === 'baking');
      await run.advance('7 days');
      await run.until((s) => s.phase === 'frozen');
      await run.advance('1 day');
    },
  },
  {
    when: 'at the decommission gate',
    reach: async (run) => {
      await shifted(run);
      await run.advance('40m');
      await run.until((s) => s.phase === 'baking');
      await run.advance('10 days');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
    },
  },
];

describe('rollback', () => {
  it.each(rollbackPoints)('requested $when puts 100 % back on blue at once, on record', async ({ spec, cloud, reach }) => {
    const run = await start({ spec, cloud });
    await reach(run);
    const answer = await run.rollback(bob, 'p99 latency doubled', true);
    expect(answer).toEqual({ accepted: true, weights: { blue: 100, green: 0 } });
    await expectRolledBack(run, bob, 'p99 latency doubled');
  });

  it('is started by the watcher on a health breach when onBreach is rollback', async () => {
    const run = await start();
    await shifted(run);
    expect(await run.breach('3 smoke checks failed')).toBe(true);
    await expectRolledBack(run, 'watcher', 'health breach: 3 smoke checks failed');
  });

  it('follows a rejected step gate or a rejected decommission, by whoever rejected it', async () => {
    const run = await start({ spec: specWith((s) => (s.traffic.stepApproval = 'manual')) });
    await shifted(run);
    await run.advance('10m');
    await run.until((s) => s.pendingGate?.gate === 'step-2');
    await run.approve('step-2', bob, 'reject', 'error budget spent');
    await expectRolledBack(run, bob, 'step-2 rejected');
  });

  it('retry goes back to validating and waits for a new cutover approval before any traffic moves', async () => {
    const run = await start();
    await shifted(run);
    await run.rollback(bob, 'bad canary', true);
    await run.retry(STARTER);
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate again');
    expect(run.cloud.calls('validateGreen').length).toBe(2);
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });

    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20);
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    expect((await run.audit()).filter((e) => e.action === 'retry')).toEqual([expect.objectContaining({ actor: STARTER })]);
  });

  it('abort ends the migration with traffic on blue', async () => {
    const run = await start();
    await shifted(run);
    await run.rollback(bob, 'not today', true);
    await run.abort(STARTER);
    expect(await run.outcome()).toMatchObject({ phase: 'aborted', weights: { blue: 100, green: 0 } });
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
  });

  it('does not let an approval outlive the gate it was meant for', async () => {
    const run = await start({ spec: specWith((s) => (s.traffic.stepApproval = 'manual')) });
    await shifted(run);
    await run.advance('10m');
    await run.until((s) => s.pendingGate?.gate === 'step-2');
    await run.rollback(bob, 'hold on', true);
    expect(await rejection(run.approve('step-2', alice))).toBe('NotApplicable');

    await run.retry(STARTER);
    await run.until((s) => s.pendingGate?.gate === 'cutover');
    await run.approve('cutover', alice);
    await run.advance('10m');
    await run.until((s) => s.pendingGate?.gate === 'step-2', 'step-2 waits for a fresh approval');
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
  });

  it('keeps a retry chosen while paused', async () => {
    const run = await start();
    await shifted(run);
    await run.rollback(bob, 'investigate', true);
    await run.pause(STARTER);
    await run.retry(STARTER);
    await run.advance('1h');
    await run.settle();
    expect((await run.status()).phase).toBe('rolled-back');
    await run.resume(STARTER);
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate after resume');
  });
});

describe('cancel', () => {
  it('moves traffic back to blue first, then deletes the green this migration created', async () => {
    const run = await start();
    await shifted(run);
    await run.advance('40m');
    await run.until((s) => s.phase === 'baking');
    await run.cancel(STARTER, 'wrong target version');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.clusters.has('prod-green')).toBe(false);
    const last = run.cloud.mutations().slice(-2);
    expect(last.map((m) => m.what)).toEqual(['set-weights', 'delete-cluster']);
    const audit = await run.audit();
    expect(audit.at(-1)).toMatchObject({ actor: STARTER, action: 'cancel', reason: 'wrong target version' });
    expect(audit.find((e) => e.action === 'delete-cluster')).toMatchObject({ actor: STARTER });
  });

  it('keeps green when the spec does not ask to delete it', async () => {
    const run = await start({ spec: specWith((s) => (s.green.deleteOnCancel = false)) });
    await shifted(run);
    await run.cancel(STARTER);
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect(run.cloud.clusters.has('prod-green')).toBe(true);
  });

  it('keeps a green it adopted rather than created', async () => {
    const run = await start({
      spec: specWith((s) => (s.green.mode = 'adopt')),
      cloud: (c) => void c.clusters.add('prod-green'),
    });
    await shifted(run);
    await run.cancel(STARTER);
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled' });
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.clusters.has('prod-green')).toBe(true);
    expect((await run.status()).greenCreatedByMigration).toBe(false);
  });

  it('compensates the same way when the workflow itself is cancelled', async () => {
    const run = await start();
    await shifted(run);
    await run.handle.cancel();
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.clusters.has('prod-green')).toBe(false);
  });

  it('before cutover moves no traffic at all', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover');
    await run.cancel(STARTER);
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled' });
    expect(run.cloud.mutations().map((m) => m.what)).toEqual(['create-cluster', 'delete-cluster']);
  });
});
