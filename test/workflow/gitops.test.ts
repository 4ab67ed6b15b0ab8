// GitOps around the migration, on the time-skipping server with mocked activities: green is
// registered in Argo CD and bootstrapped before validation, blue's auto-sync is paused for the
// freeze (and restored by a rollback or cancel), and blue leaves Argo CD before it is deleted.
import { describe, expect, it } from 'vitest';
import type { MigrationSpec } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';
import { brokenInvariants } from './check-invariants.js';
import type { FakeCloud } from './fake-cloud.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

function gitopsSpec(): MigrationSpec {
  return { ...baseSpec(), gitops: { argocd: { managementContext: 'mgmt', registerCluster: true }, syncTimeout: '20m' } };
}

/** Blue is already in Argo CD (registered by hand long ago), as in any GitOps shop. */
const argoKnowsBlue = (c: FakeCloud) => void c.argoClusters.add('prod-blue');

const mutations = (run: Run) => run.cloud.mutations().map((m) => (m.what === 'set-weights' ? `green ${m.weights.green}` : `${m.what} ${m.cluster}`));

/** Approves cutover and lets the steps and the bake pass, leaving the migration frozen. */
async function toFreeze(run: Run): Promise<void> {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', alice);
  await run.advance('40m');
  await run.until((s) => s.phase === 'baking', 'baking');
  await run.advance('7 days');
  await run.until((s) => s.phase === 'frozen', 'frozen');
  await run.settle();
}

describe('a migration with GitOps', () => {
  it('registers and bootstraps green before validation, pauses blue auto-sync for the freeze, deregisters blue before deleting it', async () => {
    const run = await start({ spec: gitopsSpec(), cloud: argoKnowsBlue });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(run.cloud.argoClusters.has('prod-green')).toBe(true);
    // The wait is told not to register again: registration is its own audited mutation.
    const [bootstrap] = run.cloud.calls('bootstrapGitops');
    expect(bootstrap.input).toMatchObject({ green: 'prod-green', argocd: { managementContext: 'mgmt', registerCluster: false }, timeout: '20m' });
    const validated = run.cloud.log.findIndex((e) => e.kind === 'validated');
    expect(run.cloud.log.indexOf(bootstrap)).toBeLessThan(validated);

    await toFreeze(run);
    expect(run.cloud.blueAutoSyncPaused).toBe(true);
    await run.advance('3 days');
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
    await run.approveDecommission();
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });

    expect(mutations(run)).toEqual([
      'create-cluster prod-green',
      'register-cluster prod-green',
      'green 20',
      'green 50',
      'green 80',
      'green 100',
      'pause-auto-sync prod-blue',
      'remove-blue-routing prod-blue',
      'deregister-cluster prod-blue',
      'delete-load-balancers prod-blue',
      'delete-node-groups prod-blue',
      'delete-cluster prod-blue',
    ]);
    const audit = await run.audit();
    expect(audit.filter((e) => /cluster|auto-sync/.test(e.action)).map((e) => `${e.actor} ${e.action}`)).toEqual([
      `${STARTER} create-cluster`,
      `${STARTER} register-cluster`,
      `${alice} pause-blue-auto-sync`,
      `${bob} deregister-cluster`,
      `${bob} delete-cluster`,
    ]);
    expect(brokenInvariants(run.cloud, run.spec, { phase: 'completed', weights: run.cloud.routing }, audit)).toEqual([]);
  });

  it('a rollback during the freeze puts traffic on blue first, then restores blue auto-sync', async () => {
    const run = await start({ spec: gitopsSpec() });
    await toFreeze(run);
    expect(run.cloud.blueAutoSyncPaused).toBe(true);

    await run.rollback(bob, 'latency regression', true);
    await run.until((s) => s.phase === 'rolled-back', 'rolled back');
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.blueAutoSyncPaused).toBe(false);
    expect(mutations(run).slice(-2)).toEqual(['green 0', 'resume-auto-sync prod-blue']);
    expect((await run.audit()).find((e) => e.action === 'resume-blue-auto-sync')).toMatchObject({ actor: bob, reason: 'rollback: latency regression' });
  });

  it('when GitOps does not converge in time, a person decides at the bootstrap-override gate', async () => {
    const run = await start({ spec: gitopsSpec(), cloud: (c) => void (c.gitopsReady = false) });
    const waiting = await run.until((s) => s.pendingGate?.gate === 'bootstrap-override', 'bootstrap-override gate');
    expect(waiting.phase).toBe('bootstrapping');
    expect(waiting.findings).toEqual([expect.objectContaining({ severity: 'blocking', source: 'argocd' })]);
    expect(run.cloud.log.some((e) => e.kind === 'validated')).toBe(false);

    await run.approve('bootstrap-override', alice, 'approve', 'shop syncs by hand later');
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate after the override');
    expect((await run.audit()).find((e) => e.action === 'gate-approve')).toMatchObject({ actor: alice, reason: 'shop syncs by hand later' });
  });

  it('a rejected bootstrap override holds the migration with green as made: retry bootstraps again, cancel undoes', async () => {
    const run = await start({ spec: gitopsSpec(), cloud: (c) => void (c.gitopsReady = false) });
    await run.until((s) => s.pendingGate?.gate === 'bootstrap-override', 'bootstrap-override gate');
    await run.approve('bootstrap-override', alice, 'reject', 'apps must sync first');
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');
    expect(held.attention).toMatchObject({ phase: 'bootstrapping', error: expect.stringMatching(/rejected by alice@example: apps must sync first/) });
    expect(run.cloud.calls('setWeights')).toEqual([]);

    run.cloud.gitopsReady = true;
    await run.retry(STARTER);
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate after the retried bootstrap');
    await run.cancel(STARTER, 'not this week');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect([...run.cloud.argoClusters]).toEqual([]);
  });

  it('cancel in the freeze: traffic to blue, blue auto-sync back, green leaves Argo CD before it is deleted', async () => {
    const run = await start({ spec: gitopsSpec() });
    await toFreeze(run);
    await run.cancel(STARTER, 'project stopped');
    expect(await run.outcome()).toMatchObject({ phase: 'cancelled', weights: { blue: 100, green: 0 } });
    expect(mutations(run).slice(-4)).toEqual(['green 0', 'resume-auto-sync prod-blue', 'deregister-cluster prod-green', 'delete-cluster prod-green']);
    expect([...run.cloud.argoClusters]).toEqual([]);
  });

  it('a failed auto-sync pause is reported as a warning and the migration goes on', async () => {
    const run = await start({ spec: gitopsSpec(), cloud: (c) => c.fail('pauseBlueAutoSync', { times: 1, nonRetryable: true }) });
    await toFreeze(run);
    const status = await run.status();
    expect(status.findings).toContainEqual(expect.objectContaining({ severity: 'warning', source: 'gitops', message: expect.stringContaining("pausing prod-blue's auto-sync failed") }));
    expect(run.cloud.calls('notify').map((c) => (c.input as { event: string }).event)).toContain('warning');
    await run.advance('3 days');
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate despite the warning');
  });
});

describe('zero-length waits', () => {
  it('an observe window of 0s starts no timer between steps', async () => {
    const spec = baseSpec();
    spec.traffic.observe = '0s';
    spec.health = undefined;
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'baking', 'baking right after the last step');
    const timers = ((await run.handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes);
    const seconds = timers.map((e) => Number(e.timerStartedEventAttributes!.startToFireTimeout?.seconds ?? 0));
    expect(seconds.filter((s) => s < 60)).toEqual([]); // only the gate's reminders and the bake
    expect(seconds).toContain(7 * 24 * 3600);
  });
});
