// Before green gets more traffic its targets are checked (healthy ALB targets, ready pods):
// a blocking finding holds the step, and one that stays pauses the migration for a person.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../workflows/model.js';
import { APPROVERS, STARTER } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice] = APPROVERS;
const unhealthy: Finding = { severity: 'blocking', source: 'green-targets', message: 'target group green-tg: 10.0.1.7:80 unhealthy (Target.FailedHealthChecks)' };
const healthy: Finding = { severity: 'info', source: 'green-targets', message: '2 healthy targets in green-tg' };

describe("green's targets before a shift", () => {
  it('holds the first step until green is healthy, re-checking every 30 s, then shifts', async () => {
    const run = await start({ cloud: (c) => void (c.greenTargetFindings = [[unhealthy], [unhealthy], [healthy]]) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.advance('1m'); // two re-checks, 30 s apart (the watcher may let the clock run ahead)
    await run.until((s) => s.step?.greenWeight === 20, 'first step once green is healthy');

    const checks = run.cloud.calls('checkGreenTargets');
    expect(checks).toHaveLength(3);
    expect(checks[2].at - checks[0].at).toBeGreaterThanOrEqual(60_000);
    const firstShift = run.cloud.mutations().find((m) => m.what === 'set-weights');
    expect(run.cloud.log.indexOf(firstShift!)).toBeGreaterThan(run.cloud.log.indexOf(checks[2])); // no traffic while unhealthy
    expect((await run.status()).findings).toContainEqual(healthy);
  });

  it('pauses when green stays unhealthy, moving no traffic; after resume it checks again and goes on', async () => {
    const run = await start({ cloud: (c) => void (c.greenTargetFindings = [[healthy], [unhealthy]]) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20, 'first step');
    await run.advance('10m'); // observe; then step 2 finds green unhealthy
    await run.advance('5m');
    const paused = await run.until((s) => s.paused, 'paused by the check');
    await run.settle(); // the notification is an activity after the pause
    expect(paused.step?.greenWeight).toBe(20);
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    expect(paused.audit.at(-1)).toMatchObject({ actor: 'cutover', action: 'pause', reason: expect.stringContaining('green not ready for step 2: target group green-tg') });
    expect(run.cloud.calls('notify').map((c) => (c.input as { event: string }).event)).toContain('warning');

    run.cloud.greenTargetFindings = [[healthy]];
    await run.resume(STARTER);
    await run.until((s) => s.step?.greenWeight === 50, 'step 2 after resume');
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 50, green: 50 });
  });
});
