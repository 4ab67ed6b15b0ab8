// Change freezes on the time-skipping server: a company-wide calendar the worker gets while the
// migration waits at its cutover gate (so after the run began) holds step 2 for as long as its
// windows last — two windows in a row — and lets it go by itself; a rollback inside a freeze is
// carried out at once; a spec's own window holds the cutover's first shift.
import { describe, expect, it } from 'vitest';
import type { FreezeWindow } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** At the cutover gate: the worker's calendars get two windows in a row, from 5 minutes on (step 1 shifts before them, step 2 after 10 minutes inside them). */
async function freezeFromFiveMinutesOn(run: Run): Promise<{ now: number; first: FreezeWindow; second: FreezeWindow }> {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  const now = await run.env.currentTimeMs();
  const first = { name: 'quarter-close', reason: 'quarter close: no production changes', timeZone: 'UTC', from: iso(now + 5 * MINUTE), to: iso(now + 180 * MINUTE) };
  const second = { name: 'release-train', reason: 'release train', timeZone: 'Europe/Berlin', from: iso(now + 180 * MINUTE), to: iso(now + 240 * MINUTE) };
  run.cloud.freezeCalendars = { company: { companyWide: true, windows: [first, second] } };
  return { now, first, second };
}

/** Step 1 shifted, its 10 minutes observed: step 2 is next. The server skips no time while the watcher runs. */
async function toStep2(run: Run): Promise<void> {
  await run.until((s) => s.step?.greenWeight === 20, 'step 1');
  await run.settle();
  await run.advance('10m');
}

const green = (run: Run, weight: number) => run.cloud.mutations().filter((m) => m.what === 'set-weights' && m.weights.green === weight);

describe('change freezes', () => {
  it('a company-wide freeze holds step 2, shows it, tells the channel once per window, and lets it go by itself when the windows end', async () => {
    const run = await start();
    const { now, first, second } = await freezeFromFiveMinutesOn(run);
    await run.approve('cutover', alice);
    await toStep2(run);

    const held = await run.until((s) => !!s.freeze, 'held by the freeze');
    expect(held.step?.greenWeight).toBe(20);
    expect(held.freeze).toEqual({
      window: 'quarter-close',
      calendar: 'company',
      reason: first.reason,
      from: iso(now + 5 * MINUTE),
      until: iso(now + 180 * MINUTE),
      timeZone: 'UTC',
      holds: 'step 2/4: green 50%',
    });
    expect(held.waiting?.what).toContain('change freeze quarter-close');
    expect(held.waiting?.until).toBe(iso(now + 180 * MINUTE));
    expect(green(run, 50)).toEqual([]);

    // The first window ends and the second follows at once: still held, by the second.
    await run.settle();
    await run.advance('2h');
    await run.settle();
    expect((await run.status()).freeze?.window).toBe('quarter-close');
    await run.advance('1h');
    const chained = await run.until((s) => s.freeze?.window === 'release-train', 'held by the next window');
    expect(chained.freeze?.until).toBe(second.to);
    expect(green(run, 50)).toEqual([]);

    await run.settle();
    await run.advance('1h');
    // The skip goes on past step 2's observe window: step 2 shifted at the end of the freeze.
    const released = await run.until((s) => (s.step?.index ?? 0) >= 2, 'step 2 after the freeze');
    expect(released.freeze).toBeUndefined();
    expect(green(run, 50)).toHaveLength(1);
    const step2 = (await run.audit()).find((e) => e.action === 'set-weights' && e.reason.startsWith('step 2/4'))!;
    expect(Date.parse(step2.at)).toBeGreaterThanOrEqual(now + 240 * MINUTE);
    expect(Date.parse(step2.at)).toBeLessThan(now + 241 * MINUTE);

    const told = run.cloud.calls('notify').map((c) => c.input as { event: string; text: string }).filter((n) => n.event === 'freeze');
    expect(told).toHaveLength(2);
    expect(told[0].text).toContain('change freeze quarter-close (calendar company, UTC: quarter close: no production changes) holds step 2/4: green 50%');
    const actions = (await run.audit()).map((e) => e.action);
    expect(actions.filter((a) => a === 'freeze-hold')).toHaveLength(2);
    expect(actions).toContain('freeze-release');
    expect(run.cloud.violations).toEqual([]);
  });

  it('a rollback inside a freeze is carried out at once', async () => {
    const run = await start();
    await freezeFromFiveMinutesOn(run);
    await run.approve('cutover', alice);
    await toStep2(run);
    await run.until((s) => !!s.freeze, 'held by the freeze');
    await run.settle();
    await run.rollback(bob, 'error rate up while frozen', true);
    const rolledBack = await run.until((s) => s.phase === 'rolled-back', 'rolled back');
    expect(rolledBack.weights).toEqual({ blue: 100, green: 0 });
    expect(rolledBack.freeze).toBeUndefined();
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(green(run, 50)).toEqual([]);
  });

  it("a spec's own window holds the cutover's first shift; a pause asked inside it holds the shift after it", async () => {
    const spec = baseSpec();
    // Open now, whatever the server's clock says: from long ago to well ahead.
    const until = Date.now() + 24 * 60 * MINUTE;
    spec.freezes = { windows: [{ reason: 'launch week', timeZone: 'America/New_York', from: '2000-01-01T00:00', to: iso(until) }] };
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    const held = await run.until((s) => !!s.freeze, 'held by the freeze');
    expect(held.freeze?.holds).toBe('step 1/4: green 20%');
    expect(held.freeze?.window).toBe(`2000-01-01T00:00 – ${iso(until)} America/New_York`);
    expect(run.cloud.mutations().filter((m) => m.what === 'set-weights')).toEqual([]);
    await run.settle();
    await run.pause(bob);
    await run.advance('25h');
    await run.settle();
    const paused = await run.status();
    expect(paused.freeze).toBeUndefined();
    expect(paused.paused).toBe(true);
    expect(green(run, 20)).toEqual([]);
    await run.resume(bob);
    await run.until((s) => s.step?.greenWeight === 20, 'step 1 after the freeze and the resume');
  });
});

describe('a change freeze before decommissioning', () => {
  it('holds blue’s retirement after the gate, with rollback still open there', async () => {
    const run = await start({ spec: { ...baseSpec(), bake: '1h', freeze: '1h', traffic: { ...baseSpec().traffic, observe: '0s' }, decommission: { drain: { none: 'test' }, lastDelay: '0s' } } });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'baking', 'baking');
    await run.advance('2h');
    await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
    const now = await run.env.currentTimeMs();
    run.cloud.freezeCalendars = { company: { companyWide: true, windows: [{ name: 'year-end', reason: 'year-end freeze', timeZone: 'UTC', from: iso(now - MINUTE), to: iso(now + 24 * 60 * MINUTE) }] } };
    await run.approveDecommission();
    const held = await run.until((s) => !!s.freeze, 'held by the freeze');
    expect(held).toMatchObject({ phase: 'awaiting-decommission', freeze: { window: 'year-end', holds: 'decommissioning' } });
    expect(run.cloud.calls('removeBlueRouting')).toEqual([]);
    await run.rollback(bob, 'found an issue during the freeze', true);
    const back = await run.until((s) => s.phase === 'rolled-back', 'rolled back');
    expect(back.weights).toEqual({ blue: 100, green: 0 });
    expect(run.cloud.clusters.has('prod-blue')).toBe(true);
  });
});
