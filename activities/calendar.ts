// Wall-clock windows in time zones: when the next occurrence of a bake's peak window begins and
// ends. Time-zone rules come from the ICU data of the Node running the worker, which differs
// between versions, so this is an activity: the workflow records its answer and replays that,
// never computing a zone's time itself.
import type { FreezeWindowInput, PeakWindowsInput, PeakWindowTimes } from './contract.js';
import { applicableWindows, openAt, type FreezeCalendars, type OpenFreeze } from '../config/freeze-windows.js';
import type { PeakWindow } from '../workflows/spec.js';
import { invalidSpec } from './errors.js';

const WEEKDAY_OF_UTC_DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MS = 86_400_000;
/** A week and a day: every day of the week once, whatever the zone's offset from UTC. */
const DAYS_SEARCHED = 9;

function formatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw invalidSpec(`bake.peaks: time zone "${timeZone}" is not known to this worker's Node (${process.versions.icu ? `ICU ${process.versions.icu}` : 'no ICU'})`);
  }
}

/** The zone's wall-clock time at `instant`, as if it were UTC (ms). */
function wallClock(format: Intl.DateTimeFormat, instant: number): number {
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/**
 * The instant the zone's clocks show `wall` (a wall-clock time written as UTC ms). A time the
 * clocks skip (spring forward) is the instant an hour later; one they show twice (fall back),
 * the later of the two.
 */
function instantOf(format: Intl.DateTimeFormat, wall: number): number {
  const offset = wallClock(format, wall) - wall;
  const guess = wall - offset;
  const corrected = wallClock(format, guess) - guess;
  return corrected === offset ? guess : wall - corrected;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The first occurrence of `peak` that begins at or after `after` (ms): the first one a bake begun then sees whole. */
export function nextWindow(peak: PeakWindow, after: number): PeakWindowTimes {
  const format = formatter(peak.timeZone);
  // Local midnight of the day before `after`, as wall-clock ms: a zone ahead of UTC may still be on it.
  const firstDay = Math.floor(wallClock(format, after) / DAY_MS) * DAY_MS - DAY_MS;
  for (let i = 0; i < DAYS_SEARCHED; i++) {
    const day = firstDay + i * DAY_MS;
    if (!peak.days.includes(WEEKDAY_OF_UTC_DAY[new Date(day).getUTCDay()])) continue;
    const from = instantOf(format, day + minutesOf(peak.from) * 60_000);
    if (from < after) continue;
    const to = instantOf(format, day + minutesOf(peak.to) * 60_000);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }
  throw invalidSpec(`bake.peaks: no day of ${JSON.stringify(peak.days)} found`);
}

/** `freezeCalendars`: the worker's (CUTOVER_FREEZE_CALENDARS); company-wide ones apply to every migration. */
export function createCalendarActivities(freezeCalendars: FreezeCalendars = {}) {
  return {
    /**
     * The change-freeze window open at `at` (the one that ends last), or null: among the spec's
     * windows, the calendars it names and the worker's company-wide calendars. Pure per input
     * and settings, so any retry answers the same. A calendar the worker does not have (removed
     * since the start) holds nothing.
     */
    async freezeWindowAt(input: FreezeWindowInput): Promise<OpenFreeze | null> {
      try {
        return openAt(applicableWindows(freezeCalendars, input.calendars, input.windows), Date.parse(input.at)) ?? null;
      } catch (err) {
        // A window the API would have refused (a spec started another way): no retry fixes it.
        throw invalidSpec(`freezes: a window could not be computed: ${(err as Error).message}`);
      }
    },

    /** For each peak window, its first occurrence that begins at or after `after`; pure, so any retry answers the same. */
    async nextPeakWindows(input: PeakWindowsInput): Promise<PeakWindowTimes[]> {
      const after = Date.parse(input.after);
      return input.peaks.map((peak) => nextWindow(peak, after));
    },
  };
}
