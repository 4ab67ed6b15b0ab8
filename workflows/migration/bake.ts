// A bake over peak traffic (bake.peaks): green must carry 100 % for the minimum, and through
// one whole occurrence of every peak window after the bake began, healthy and not paused.
// The windows' times come from an activity (time zones are not deterministic across Node
// versions) and are kept in the state; the workflow only compares instants.
import { durationMs } from '../duration.js';
import { TIMERS, type BakeWindow, type TimerStatus } from '../model.js';
import { peakLabel } from '../describe.js';
import { calendar, notify } from './activities.js';
import { now } from './state.js';
import type { Run } from './types.js';
import { untilFirstOf } from './waits.js';

/**
 * Why an occurrence of a window does not count, if it does not: a health breach within it (one
 * the watcher reported, onBreach pause or notify; rollback ends the bake anyway), or the
 * migration paused at any moment of it. Read from the state at the window's end.
 */
export function whyMissed(run: Run, window: Pick<BakeWindow, 'from' | 'to'>): string | undefined {
  const { state } = run;
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const breach = state.health.lastBreach;
  if (breach && Date.parse(breach.at) >= from && Date.parse(breach.at) <= to) return `health breach at ${breach.at}: ${breach.reason}`;
  // Every pause and resume is audited: the last one before the window says whether it began paused.
  let pausedAtStart = false;
  for (const event of state.audit) {
    if (event.action !== 'pause' && event.action !== 'resume') continue;
    const at = Date.parse(event.at);
    if (at < from) pausedAtStart = event.action === 'pause';
    else if (at <= to && event.action === 'pause') return `paused at ${event.at} (${event.reason})`;
  }
  return pausedAtStart ? 'the migration was paused when it began' : undefined;
}

/** Bakes until the minimum has passed and every peak window has passed once, counting. */
export async function bakeOverPeaks(run: Run): Promise<void> {
  const { spec, state } = run;
  const peaks = spec.bakePeaks;
  const since = now();
  const first = await calendar.nextPeakWindows({ peaks, after: since });
  state.bake = {
    since,
    minimumEndsAt: new Date(Date.parse(since) + durationMs(spec.bake)).toISOString(),
    windows: first.map((w, i) => ({ peak: peakLabel(peaks[i]), from: w.from, to: w.to, passed: false })),
  };
  try {
    for (;;) {
      const bake = state.bake;
      const entries: TimerStatus[] = [];
      if (Date.parse(bake.minimumEndsAt) > Date.now()) entries.push({ name: TIMERS.bake, firesAt: bake.minimumEndsAt });
      for (const w of bake.windows) if (!w.passed) entries.push({ name: `${TIMERS.peak} ${w.peak}`, firesAt: w.to });
      if (entries.length === 0) return;
      await untilFirstOf(run, entries);
      for (const [i, w] of bake.windows.entries()) {
        if (w.passed || Date.parse(w.to) > Date.now()) continue;
        const missed = whyMissed(run, w);
        if (!missed) {
          w.passed = true;
          continue;
        }
        // That occurrence does not count: the next one must pass instead.
        const [next] = await calendar.nextPeakWindows({ peaks: [peaks[i]], after: w.to });
        bake.windows[i] = { ...w, from: next.from, to: next.to, missed: [...(w.missed ?? []), `${w.from} – ${w.to}: ${missed}`] };
        await notify(run, 'warning', `${run.id}: bake window ${w.peak} of ${w.from} does not count (${missed}); waiting for its next occurrence, ${next.from} – ${next.to}`);
      }
    }
  } finally {
    state.bake = undefined;
  }
}
