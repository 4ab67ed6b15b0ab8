// The whole migration on the time-skipping server with mocked activities: what a person
// sees (status, routing, audit) from start to a retired blue, days of bake in seconds.
import { describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages.js';
import { APPROVERS, baseSpec, STARTER } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const DAY = 24 * 3600_000;
const [alice, bob, carol] = APPROVERS;

describe('a migration from start to a retired blue', () => {
  it('shifts step by step after approval, bakes 7 days, freezes 3 days, and retires blue only after approval', async () => {
    const run = await start();
    const serverStart = await run.env.currentTimeMs();

    const atGate = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(atGate.phase).toBe('awaiting-cutover');
    expect(run.cloud.clusters.has('prod-green')).toBe(true);
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });

    await run.approve('cutover', alice, 'approve', 'change window open');
    for (const green of [20, 50, 80, 100]) {
      await run.until((s) => s.step?.greenWeight === green, `step to ${green} %`);
      await run.settle();
      expect(run.cloud.routing).toEqual({ blue: 100 - green, green });
      expect((await run.status()).weights).toEqual(run.cloud.routing);
      await run.advance('10m'); // the step's observe window
    }

    const baking = await run.until((s) => s.phase === 'baking', 'baking');
    const bake = baking.timers.find((t) => t.name === 'bake');
    expect(Date.parse(bake!.firesAt) - (await run.env.currentTimeMs())).toBeGreaterThan(7 * DAY - 60_000);
    await run.advance('6 days');
    await run.settle();
    expect((await run.status()).phase).toBe('baking');

    await run.advance('1 day');
    const frozen = await run.until((s) => s.phase === 'frozen', 'frozen');
    expect(frozen.timers.map((t) => t.name)).toEqual(['freeze']);
    expect(run.cloud.blueRouted).toBe(true); // blue stays reachable for an instant rollback

    await run.advance('3 days');
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
    expect(run.cloud.clusters.has('prod-blue')).toBe(true);

    await run.approveDecommission('blue can go');
    const outcome = await run.outcome();
    expect(outcome).toMatchObject({ phase: 'completed', weights: { blue: 0, green: 100 } });
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
    expect(run.cloud.blueRouted).toBe(false);
    expect(run.cloud.violations).toEqual([]);

    // What happened, in order, and who answers for it.
    expect(run.cloud.mutations().map((m) => (m.what === 'set-weights' ? `green ${m.weights.green}` : m.what))).toEqual([
      'create-cluster',
      'green 20',
      'green 50',
      'green 80',
      'green 100',
      'remove-blue-routing',
      'delete-load-balancers',
      'delete-node-groups',
      'delete-cluster',
    ]);
    const audit = await run.audit();
    expect(audit.map((e) => `${e.actor} ${e.action}`)).toEqual([
      `${STARTER} start`,
      `${STARTER} create-cluster`,
      `${alice} gate-approval`,
      `${alice} gate-approve`,
      `${alice} set-weights`,
      `${alice} set-weights`,
      `${alice} set-weights`,
      `${alice} set-weights`,
      `${carol} gate-approval`,
      `${bob} gate-approval`,
      `${bob} gate-approve`,
      `${bob} remove-blue-routing`,
      `${bob} delete-blue-load-balancers`,
      `${bob} delete-node-groups`,
      `${bob} delete-cluster`,
    ]);
    const serverDays = ((await run.env.currentTimeMs()) - serverStart) / DAY;
    expect(serverDays).toBeGreaterThanOrEqual(10);

    const { typedSearchAttributes } = await run.handle.describe();
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase)).toBe('completed');
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.blue)).toBe('prod-blue');
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.green)).toBe('prod-green');
    expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.targetVersion)).toBe('1.34');
  });

  it('reminds approvers at the configured interval while a gate waits, on the channel the spec names', async () => {
    const spec = { ...baseSpec(), approvals: { distinctApprover: true, reminderInterval: '4h' }, notify: { channel: 'platform-oncall' } };
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.settle();
    const events = () => run.cloud.calls('notify').map((c) => (c.input as { event: string }).event);
    expect(events()).toEqual(['gate-pending']);
    await run.advance('9h');
    await run.settle();
    expect(events()).toEqual(['gate-pending', 'gate-reminder', 'gate-reminder']);
    expect(run.cloud.calls('notify').map((c) => (c.input as { channel?: string }).channel)).toEqual(['platform-oncall', 'platform-oncall', 'platform-oncall']);
    expect((await run.status()).pendingGate?.gate).toBe('cutover');
  });

  it("hands green.overrides to preflight and provisioning, and shows them in the plan; a spec without them hands none", async () => {
    const overrides = { nodegroups: { '*': { amiType: 'AL2023_x86_64_STANDARD' } }, cluster: { publicAccessCidrs: ['203.0.113.0/24'] } };
    const spec = baseSpec();
    const run = await start({ spec: { ...spec, green: { ...spec.green, overrides } } });
    const atGate = await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(run.cloud.calls('preflight').map((c) => (c.input as { overrides?: unknown }).overrides)).toEqual([overrides]);
    expect(run.cloud.calls('provisionGreen').map((c) => (c.input as { overrides?: unknown }).overrides)).toEqual([overrides]);
    expect(atGate.plan?.greenOverrides).toEqual(['cluster.publicAccessCidrs: 203.0.113.0/24', 'nodegroups.*.amiType: AL2023_x86_64_STANDARD']);

    const plain = await start();
    await plain.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(plain.cloud.calls('provisionGreen').map((c) => Object.keys(c.input as object))).not.toContainEqual(expect.arrayContaining(['overrides']));
  });

  it('waits for an override of a blocking preflight finding; a rejection fails the migration untouched', async () => {
    const run = await start({ cloud: (c) => void (c.preflightFindings = [{ severity: 'blocking', source: 'removed-apis', message: 'policy/v1beta1 PodSecurityPolicy in use' }]) });
    const s = await run.until((st) => st.pendingGate?.gate === 'preflight-override', 'override gate');
    expect(s.findings).toEqual([expect.objectContaining({ severity: 'blocking', source: 'removed-apis' })]);
    await run.approve('preflight-override', alice, 'reject', 'fix the manifests first');
    // The outcome carries the final status: the API reads it there, with no worker to query.
    expect(await run.outcome()).toMatchObject({ phase: 'failed', status: { phase: 'failed', weights: { blue: 100, green: 0 } } });
    expect(run.cloud.mutations()).toEqual([]);
  });

  it('lets a person override a blocking preflight finding and go on', async () => {
    const run = await start({ cloud: (c) => void (c.preflightFindings = [{ severity: 'blocking', source: 'insights', message: 'deprecated API calls seen' }]) });
    await run.until((s) => s.pendingGate?.gate === 'preflight-override', 'override gate');
    await run.approve('preflight-override', alice, 'approve', 'known false positive');
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect((await run.audit()).find((e) => e.action === 'gate-approve')).toMatchObject({ actor: alice, reason: 'known false positive' });
  });

  it('holds at the next boundary while paused; timers keep counting and resume continues at once', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20);
    await run.pause(STARTER);
    await run.advance('2h'); // far past the 10-minute observe window
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    expect(await run.status()).toMatchObject({ paused: true, phase: 'shifting' });

    await run.resume(STARTER);
    await run.until((s) => s.step?.greenWeight === 50, 'next step right after resume');
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 50, green: 50 });
    expect((await run.audit()).filter((e) => e.action === 'pause' || e.action === 'resume').map((e) => `${e.actor} ${e.action}`)).toEqual([
      `${STARTER} pause`,
      `${STARTER} resume`,
    ]);
  });

  it('on a breach with onBreach pause, the watcher pauses the migration and the bake timer keeps running', async () => {
    const spec = baseSpec();
    spec.health!.onBreach = 'pause';
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover');
    await run.approve('cutover', alice);
    await run.advance('40m');
    await run.until((s) => s.phase === 'baking');
    expect(await run.breach('5xx rate 12 %')).toBe(true);
    const paused = await run.until((s) => s.paused, 'paused by the watcher');
    expect(paused.health.lastBreach?.reason).toBe('5xx rate 12 %');
    expect(run.cloud.routing).toEqual({ blue: 0, green: 100 }); // pause moves no traffic

    await run.advance('8 days');
    await run.settle();
    expect((await run.status()).phase).toBe('baking'); // bake done, but frozen waits for resume
    await run.resume(STARTER);
    await run.until((s) => s.phase === 'frozen', 'frozen after resume');
    const pause = (await run.audit()).find((e) => e.action === 'pause');
    expect(pause).toMatchObject({ actor: 'watcher', reason: 'health breach: 5xx rate 12 %' });
  });

  it('continues as new at a phase boundary with its state, status and search attributes intact', async () => {
    // On the real Temporal server, with waits of seconds: the time-skipping test server at times
    // answers a continue-as-new's completion "workflow execution already completed" and from then
    // on never skips time again (a clock lock it took for that task is never given back).
    const spec = baseSpec();
    spec.traffic.observe = '1s';
    spec.health!.interval = '1s';
    spec.bake = '2s';
    spec.freeze = '2s';
    spec.team = 'payments';
    const run = await start({ spec, historyLimit: 40, temporalAddress: inject('stack').temporalAddress });
    await run.until((s) => s.pendingGate?.gate === 'cutover');
    await run.approve('cutover', alice);
    // Each continue-as-new first waits for the phase's watcher to stop.
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate', 60_000);

    const current = await run.handle.describe();
    expect(current.runId).not.toBe(run.handle.firstExecutionRunId); // at least one continue-as-new
    expect(current.typedSearchAttributes.get(SEARCH_ATTRIBUTES.blue)).toBe('prod-blue');
    expect(current.typedSearchAttributes.get(SEARCH_ATTRIBUTES.team)).toBe('payments');
    const status = await run.status();
    expect(status).toMatchObject({ phase: 'awaiting-decommission', weights: { blue: 0, green: 100 }, greenCreatedByMigration: true });
    expect((await run.audit())[0]).toMatchObject({ actor: STARTER, action: 'start' }); // carried from the first run

    const before = await run.audit();
    await run.approveDecommission();
    const outcome = await run.outcome();
    expect(outcome).toMatchObject({ phase: 'completed' });
    // The result carries the whole audit, from the first run's start: the API reads a closed migration's from it.
    expect(outcome.audit.slice(0, before.length)).toEqual(before);
    expect(outcome.audit.map((e) => e.action)).toContain('delete-cluster');
    expect(outcome.status.audit).toEqual(outcome.audit.slice(-20));
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
  });
});
