// A bake over peak traffic on the time-skipping server, across a week: the bake ends once its
// minimum has passed and every peak window has passed once after it began, healthy and not
// paused; the status says which windows remain. Windows are computed by the (real, pure)
// calendar activity in Europe/Berlin; server time is moved to a Friday noon (UTC) first.
import { describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../workflows/model.js';
import { APPROVERS, baseSpec, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice] = APPROVERS;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEEKDAYS = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[], from: '09:00', to: '11:00', timeZone: 'Europe/Berlin' };

function peakSpec(onBreach: 'notify' | 'pause' = 'notify') {
  const spec = baseSpec();
  spec.traffic.observe = '0s'; // the bake begins right after the cutover approval
  spec.health!.onBreach = onBreach;
  spec.bake = { minimum: '1 day', peaks: [WEEKDAYS] };
  return spec;
}

/** Moves server time to the next Friday 12:00 UTC (13:00 in Berlin, after that day's peak) while the run waits at the cutover gate, then approves. */
async function cutoverOnFridayNoon(run: Run): Promise<number> {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  const now = await run.env.currentTimeMs();
  const today = new Date(now);
  const daysToFriday = (5 - today.getUTCDay() + 7) % 7 || 7;
  const friday = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + daysToFriday, 12);
  await run.advance(`${friday - now}ms`);
  await run.settle();
  await run.approve('cutover', alice);
  return friday;
}

/** The window's instants in Berlin in winter or summer: 09:00–11:00 local is 08:00–10:00 or 07:00–09:00 UTC. */
function berlinPeak(day: number): { from: number; to: number } {
  const offsetHours = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hour: 'numeric', hourCycle: 'h23' }).format(new Date(day + 12 * HOUR))) - 12;
  return { from: day + (9 - offsetHours) * HOUR, to: day + (11 - offsetHours) * HOUR };
}

const baking = (s: MigrationStatus) => s.phase === 'baking' && !!s.bake;

describe('a bake over peak windows', () => {
  it("started on a Friday afternoon with weekday peaks in Europe/Berlin, ends after Monday's window, not after its minimum", async () => {
    const run = await start({ spec: peakSpec() });
    const friday = await cutoverOnFridayNoon(run);
    const monday = berlinPeak(friday - 12 * HOUR + 3 * DAY);

    const s = await run.until(baking, 'baking over peaks');
    expect(Date.parse(s.bake!.since)).toBeGreaterThanOrEqual(friday);
    expect(Date.parse(s.bake!.minimumEndsAt) - Date.parse(s.bake!.since)).toBe(DAY);
    // Friday's window was over when the bake began: Monday's is the one that counts.
    expect(s.bake!.windows).toEqual([{ peak: 'mon–fri 09:00–11:00 Europe/Berlin', from: new Date(monday.from).toISOString(), to: new Date(monday.to).toISOString(), passed: false }]);
    expect(s.bake!.endsAt).toBe(new Date(monday.to).toISOString());
    expect(s.timers.map((t) => t.name)).toEqual(['bake', 'peak mon–fri 09:00–11:00 Europe/Berlin']);

    // Saturday noon: the minimum has passed, the peak still remains.
    await run.advance('1 day');
    await run.settle();
    const saturday = await run.status();
    expect(saturday.phase).toBe('baking');
    expect(saturday.timers.map((t) => t.name)).toEqual(['peak mon–fri 09:00–11:00 Europe/Berlin']);
    expect(saturday.bake!.windows[0].passed).toBe(false);

    // Monday, just before the window ends: still baking.
    await run.advance(`${monday.to - HOUR - (await run.env.currentTimeMs())}ms`);
    await run.settle();
    expect((await run.status()).phase).toBe('baking');

    await run.advance('2h');
    const frozen = await run.until((st) => st.phase === 'frozen', 'frozen after the window');
    expect(frozen.bake).toBeUndefined();
    expect(frozen.timers.map((t) => t.name)).toEqual(['freeze']);
    expect(run.cloud.calls('nextPeakWindows')).toHaveLength(1);
    expect(run.cloud.violations).toEqual([]);
  });

  it('does not count a window with a health breach in it: the next occurrence must pass, and the status says why', async () => {
    const run = await start({ spec: peakSpec('notify') });
    const friday = await cutoverOnFridayNoon(run);
    const monday = berlinPeak(friday - 12 * HOUR + 3 * DAY);
    const tuesday = berlinPeak(friday - 12 * HOUR + 4 * DAY);
    await run.until(baking, 'baking over peaks');

    // Into Monday's window, then a breach (onBreach notify: no rollback, no pause).
    await run.advance(`${monday.from + HOUR / 2 - (await run.env.currentTimeMs())}ms`);
    await run.settle();
    expect(await run.breach('p99 latency 2.1 s')).toBe(true);
    await run.advance('2h');
    const again = await run.until((st) => baking(st) && st.bake!.windows[0].from === new Date(tuesday.from).toISOString(), "Tuesday's window");
    await run.settle(); // the notification is an activity after the status changed
    expect(again.bake!.windows[0]).toMatchObject({ passed: false, to: new Date(tuesday.to).toISOString(), missed: [expect.stringContaining('health breach at')] });
    expect(again.bake!.windows[0].missed![0]).toContain('p99 latency 2.1 s');
    expect(again.bake!.endsAt).toBe(new Date(tuesday.to).toISOString());
    expect(run.cloud.calls('notify').map((c) => (c.input as { text: string }).text)).toContainEqual(expect.stringContaining('bake window mon–fri 09:00–11:00 Europe/Berlin'));

    await run.advance(`${tuesday.to + HOUR - (await run.env.currentTimeMs())}ms`);
    await run.until((st) => st.phase === 'frozen', "frozen after Tuesday's window");
    expect(run.cloud.routing).toEqual({ blue: 0, green: 100 });
  });

  it('does not count a window the migration was paused in', async () => {
    const run = await start({ spec: peakSpec() });
    const friday = await cutoverOnFridayNoon(run);
    const tuesday = berlinPeak(friday - 12 * HOUR + 4 * DAY);
    await run.until(baking, 'baking over peaks');
    await run.settle();
    await run.pause();
    await run.advance(`${berlinPeak(friday - 12 * HOUR + 3 * DAY).to + HOUR - (await run.env.currentTimeMs())}ms`);
    await run.settle();
    const monday = await run.status();
    // Paused since Friday: Monday's window began paused and does not count; Tuesday's must pass.
    expect(monday.bake!.windows[0]).toMatchObject({ from: new Date(tuesday.from).toISOString(), missed: [expect.stringMatching(/: the migration was paused when it began$/)] });
    await run.resume();
    await run.advance(`${tuesday.to + HOUR - (await run.env.currentTimeMs())}ms`);
    await run.until((st) => st.phase === 'frozen', "frozen after Tuesday's window");
  });
});
