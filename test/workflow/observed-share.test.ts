// With traffic.observedShare, each step waits after its weights are applied until green's
// observed share of traffic is within the tolerance of the step's weight, before its observe
// window; a share that never gets there holds the migration for a person (retry or rollback).
import { describe, expect, it } from 'vitest';
import { APPROVERS, baseSpec } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

const SOURCE = (cluster: string) => ({ prometheus: { server: 'main', query: `sum(rate(http_requests_total{cluster="${cluster}"}[{{window}}]))` } });
const CHECK = { green: SOURCE('{{cluster}}'), blue: SOURCE('{{cluster}}'), tolerance: 5, window: '5m', within: '30m' };
const withCheck = () => {
  const spec = baseSpec();
  return { ...spec, traffic: { ...spec.traffic, observedShare: CHECK } };
};

describe('observed traffic share', () => {
  it("holds each step until green's observed share follows its weight, then observes it; the reading is in the status and the audit", async () => {
    const run = await start({ spec: withCheck() });
    run.cloud.holdShare = true;
    run.cloud.greenShare = 3; // clients still hold blue's old answer
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);

    const waiting = await run.until((s) => !!s.waiting?.what.includes('observed share'), 'the observed-share wait');
    expect(waiting.waiting?.what).toBe("green's observed share of traffic within 5 points of 20 % (at most 30m)");
    expect(waiting.step).toEqual({ index: 1, of: 4, greenWeight: 20 });
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    expect(run.cloud.calls('waitObservedShare')).toEqual([]); // still waiting

    run.cloud.greenShare = 18; // the old answers expired
    const observed = await run.until((s) => !!s.waiting?.what.startsWith('observe'), 'the observe window');
    expect(observed.step?.observedShare).toMatchObject({ intended: 20, observed: 18, tolerance: 5, within: true });
    expect(observed.step?.observedShare?.source).toContain('Prometheus main');
    const entry = (await run.audit()).find((e) => e.action === 'observed-share');
    expect(entry).toMatchObject({ actor: alice, reason: 'step 1: green carries 18 % of traffic, intended 20 %', detail: { intended: 20, observed: 18, within: true } });

    run.cloud.greenShare = undefined; // from here the share follows the weights
    await run.settle();
    await run.advance('40m');
    await run.until((s) => s.phase === 'baking', 'baking');
    // Every step, 100 % too (blue must be seen to get nothing), after its weights and before the next.
    const order = run.cloud.log.flatMap((e) =>
      e.kind === 'mutation' && e.what === 'set-weights' ? [`set ${e.weights.green}`] : e.kind === 'call' && e.name === 'waitObservedShare' ? [`observed ${(e.input as { intended: number }).intended}`] : [],
    );
    expect(order).toEqual(['set 20', 'observed 20', 'set 50', 'observed 50', 'set 80', 'observed 80', 'set 100', 'observed 100']);
    expect(run.cloud.violations).toEqual([]);
  });

  it('holds the migration in needs-attention naming both shares when the share never comes within tolerance; a rollback from there works', async () => {
    const run = await start({ spec: withCheck() });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => !!s.waiting?.what.startsWith('observe green at 20%'), 'step 1 observed');
    run.cloud.greenShare = 20; // from step 2 on, another route keeps sending blue what green should take
    await run.settle();
    await run.advance('10m');
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');

    expect(held.attention).toMatchObject({ phase: 'shifting', step: 2, liveWeights: [{ blue: 50, green: 50 }] });
    expect(held.attention?.error).toContain("green's share of traffic did not come within 5 points of 50 % within 30m: last reading 20 % (green carries 20 %)");
    expect(held.attention?.error).toContain('Prometheus main');
    expect(held.step?.observedShare).toMatchObject({ intended: 50, observed: 20, within: false });
    expect(run.cloud.mutations().filter((m) => m.what === 'set-weights').map((m) => (m.what === 'set-weights' ? m.weights.green : undefined))).toEqual([20, 50]);
    const entry = (await run.audit()).filter((e) => e.action === 'observed-share').at(-1);
    expect(entry).toMatchObject({ reason: "step 2: green's share not within 5 points of 50 % within 30m", detail: { intended: 50, observed: 20, within: false } });

    const answer = await run.rollback(bob, 'traffic does not follow the weights', true);
    expect(answer.weights).toEqual({ blue: 100, green: 0 });
    expect((await run.status()).phase).toBe('rolled-back');
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.violations).toEqual([]);
  });
});
