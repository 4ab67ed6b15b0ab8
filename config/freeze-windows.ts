// The calendar module of change freezes, shared by the API (checks, plans) and the worker (its
// local activity, activities/calendar.ts). Change-freeze windows: when one is open at an instant, and the first instant after one that no
// window holds. A window recurs (a cron expression, or an RFC 5545 RRULE) with a length or a
// local end, or has fixed dates, in an IANA time zone. The recurrence libraries (cron-parser,
// rrule-temporal) expand the local wall-clock times; this module turns them into instants with
// the zone's rules from the ICU data of the Node running it (as the bake's peaks are), so the
// workflow never computes them: it asks a local activity and replays the recorded answer.
//
// Daylight saving, the same for cron and RRULE:
// - a start at a local time the clocks skip (spring forward: 02:30 on the day 02:00 becomes
//   03:00) begins at the instant after the gap, with the offset before it (03:30 summer time),
//   as cron does; RFC 5545 would drop that occurrence, and a freeze must not vanish for a day;
// - a start the clocks show twice (fall back) is the earlier one, and a local end (`until`) the
//   later one: the window covers the whole of what a person means by it;
// - `duration` is elapsed time: "2h" from 01:30 on a fall-back day ends at 02:30 the second time.
import { CronExpressionParser } from 'cron-parser';
import { RRuleTemporal } from 'rrule-temporal';
import { durationMs } from '../workflows/duration.js';
import type { FreezeWindow, SpecIssue } from '../workflows/spec.js';

/** One window as it applies: its label, where it comes from (a calendar of the settings or the spec), and the window. */
export interface NamedWindow {
  window: FreezeWindow;
  /** The calendar it belongs to (absent: the spec's own windows). */
  calendar?: string;
}

/** A window open at an instant: which, why, and from when until when (ISO instants). */
export interface OpenFreeze {
  /** The window's name (its own, or its definition). */
  window: string;
  /** The calendar it comes from, absent for a window of the spec. */
  calendar?: string;
  reason: string;
  from: string;
  until: string;
  timeZone: string;
}

/** A calendar of the service's settings: windows, applying to every migration when company-wide, else to specs that name it. */
export interface FreezeCalendar {
  companyWide?: boolean;
  windows: FreezeWindow[];
}
export type FreezeCalendars = Readonly<Record<string, FreezeCalendar>>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The longest a recurring window may last: a longer freeze is a window of fixed dates. */
export const MAX_RECURRING_MS = 31 * DAY_MS;
/** Occurrences looked at per window and question: a window every minute with a long length is not a freeze. */
const MAX_OCCURRENCES = 5_000;
/** How many windows in a row a search for a free instant passes before it gives up (chained windows). */
const MAX_CHAINED = 500;
/** DTSTART of an RRULE without `start`: its time of day is midnight, so give BYHOUR/BYMINUTE. */
export const DEFAULT_RRULE_START = '2020-01-01T00:00';
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

// --- time zones ---

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, format);
  }
  return format;
}

/** An IANA zone this Node knows (Europe/Berlin, UTC); an offset such as +01:00 knows no summer time, so it is none. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z]/.test(name)) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The zone's wall-clock time at `instant`, written as UTC ms. */
function wallClock(timeZone: string, instant: number): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/**
 * The instant the zone's clocks show `wall` (UTC ms as wall clock). Shown twice (fall back):
 * the earlier or the later as `prefer` says. Never shown (spring forward): with the offset
 * before the gap, i.e. as far after the gap's start as `wall` is.
 */
export function instantAt(timeZone: string, wall: number, prefer: 'earlier' | 'later'): number {
  const offsetBefore = wallClock(timeZone, wall - DAY_MS / 2) - (wall - DAY_MS / 2);
  const offsetAfter = wallClock(timeZone, wall + DAY_MS / 2) - (wall + DAY_MS / 2);
  const candidates = [...new Set([wall - offsetBefore, wall - offsetAfter])].filter((c) => wallClock(timeZone, c) === wall).sort((a, b) => a - b);
  if (candidates.length === 0) return wall - offsetBefore;
  return prefer === 'earlier' ? candidates[0] : candidates[candidates.length - 1];
}

/** A local date-time (2026-12-20T18:00) as wall-clock ms, or undefined. */
function localWall(text: string): number | undefined {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
  // 2026-02-30 is no date: Date.UTC would roll it over to March.
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? wall : undefined;
}

/** A fixed window's bound: a local date-time in the window's zone, or an ISO instant with its offset. */
function fixedInstant(text: string, timeZone: string, prefer: 'earlier' | 'later'): number | undefined {
  const wall = localWall(text);
  if (wall !== undefined) return instantAt(timeZone, wall, prefer);
  if (WITH_OFFSET.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
}

// --- recurrences, in wall-clock time ---

/** The occurrences' starts of a recurring window as wall-clock ms, going back from a wall-clock time (exclusive). */
function startsBefore(w: FreezeWindow, wall: number): () => number | undefined {
  if (w.cron !== undefined) {
    const it = CronExpressionParser.parse(w.cron, { currentDate: new Date(wall), tz: 'UTC' });
    return () => {
      try {
        return it.prev().toDate().getTime();
      } catch {
        return undefined; // no earlier occurrence
      }
    };
  }
  const rule = rruleOf(w);
  let cursor = new Date(wall);
  return () => {
    const previous = rule.previous(cursor, false);
    if (!previous) return undefined;
    cursor = new Date(previous.epochMilliseconds);
    return previous.epochMilliseconds;
  };
}

/** The RRULE with its DTSTART, in UTC standing for the window's wall clock. */
function rruleOf(w: FreezeWindow): RRuleTemporal {
  const start = (w.start ?? DEFAULT_RRULE_START).replace(/[-:]/g, '');
  const dtstart = start.length === 13 ? `${start}00` : start; // HHMM → HHMMSS
  return new RRuleTemporal({ rruleString: `DTSTART:${dtstart}Z\nRRULE:${w.rrule!.replace(/^RRULE:/i, '')}` });
}

/** How long a recurring window lasts at most (elapsed), for how far back an open one may have begun. */
function longest(w: FreezeWindow): number {
  return w.duration !== undefined ? durationMs(w.duration as never) : DAY_MS + 3 * HOUR_MS;
}

/** The end of an occurrence that began at `start` (instant) and `startWall` (its wall clock). */
function endOf(w: FreezeWindow, start: number, startWall: number): number {
  if (w.duration !== undefined) return start + durationMs(w.duration as never);
  const [h, m] = w.until!.split(':').map(Number);
  let endWall = Math.floor(startWall / DAY_MS) * DAY_MS + (h * 60 + m) * 60_000;
  if (endWall <= startWall) endWall += DAY_MS;
  return instantAt(w.timeZone, endWall, 'later');
}

/** The occurrences of `w` open at `at` (from ≤ at < until), as instants. */
function openOccurrences(w: FreezeWindow, at: number): { from: number; until: number }[] {
  if (w.from !== undefined) {
    const from = fixedInstant(w.from, w.timeZone, 'earlier')!;
    const until = fixedInstant(w.to!, w.timeZone, 'later')!;
    return from <= at && at < until ? [{ from, until }] : [];
  }
  const wallAt = wallClock(w.timeZone, at);
  // Starts up to 3 hours later in wall time can still be instants before `at` (a zone's shifts are less).
  const next = startsBefore(w, wallAt + 3 * HOUR_MS + 1);
  const earliest = wallAt - longest(w) - 3 * HOUR_MS;
  const open: { from: number; until: number }[] = [];
  for (let i = 0; i < MAX_OCCURRENCES; i++) {
    const startWall = next();
    if (startWall === undefined || startWall < earliest) break;
    const from = instantAt(w.timeZone, startWall, 'earlier');
    if (from > at) continue;
    const until = endOf(w, from, startWall);
    if (until > at) open.push({ from, until });
  }
  return open;
}

/** What a window is called where it has no name: its definition. */
export function windowLabel(w: FreezeWindow): string {
  if (w.name) return w.name;
  const length = w.duration !== undefined ? ` for ${w.duration}` : w.until !== undefined ? ` until ${w.until}` : '';
  if (w.cron !== undefined) return `cron "${w.cron}"${length} ${w.timeZone}`;
  if (w.rrule !== undefined) return `rrule "${w.rrule}"${length} ${w.timeZone}`;
  return `${w.from} – ${w.to} ${w.timeZone}`;
}

/** The window open at `at` among `windows`: the one that ends last, or undefined. */
export function openAt(windows: readonly NamedWindow[], at: number): OpenFreeze | undefined {
  let best: OpenFreeze | undefined;
  let bestUntil = -Infinity;
  for (const { window, calendar } of windows) {
    for (const o of openOccurrences(window, at)) {
      if (o.until <= bestUntil) continue;
      bestUntil = o.until;
      best = {
        window: windowLabel(window),
        ...(calendar !== undefined && { calendar }),
        reason: window.reason,
        from: new Date(o.from).toISOString(),
        until: new Date(o.until).toISOString(),
        timeZone: window.timeZone,
      };
    }
  }
  return best;
}

/**
 * The first instant at or after `at` that no window holds, with the windows passed on the way
 * (windows can chain: one ends as the next begins). Undefined past MAX_CHAINED windows.
 */
export function firstFreeInstant(windows: readonly NamedWindow[], at: number): { at: number; heldBy: OpenFreeze[] } | undefined {
  const heldBy: OpenFreeze[] = [];
  let t = at;
  for (let i = 0; i < MAX_CHAINED; i++) {
    const open = openAt(windows, t);
    if (!open) return { at: t, heldBy };
    heldBy.push(open);
    t = Date.parse(open.until);
  }
  return undefined;
}

/** The windows that apply to a migration: the company-wide calendars, the calendars its spec names, and its own windows. */
export function applicableWindows(calendars: FreezeCalendars, named: readonly string[], own: readonly FreezeWindow[]): NamedWindow[] {
  const names = Object.keys(calendars).filter((name) => calendars[name].companyWide || named.includes(name));
  return [...names.flatMap((calendar) => calendars[calendar].windows.map((window) => ({ window, calendar }))), ...own.map((window) => ({ window }))];
}

// --- checks: every problem of a window, named by its field ---

/** What is wrong with one window, each problem at its field under `at` (a JSON pointer). */
export function windowIssues(w: FreezeWindow, at: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (!isTimeZone(w.timeZone)) issues.push({ path: `${at}/timeZone`, message: `"${w.timeZone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)` });
  const kinds = [w.cron !== undefined && 'cron', w.rrule !== undefined && 'rrule', (w.from !== undefined || w.to !== undefined) && 'from/to'].filter(Boolean);
  if (kinds.length !== 1) {
    issues.push({ path: at, message: `needs exactly one of cron (a recurrence), rrule (an RFC 5545 recurrence) or from/to (fixed dates)${kinds.length ? `, not ${kinds.join(' and ')}` : ''}` });
    return issues;
  }
  if (w.start !== undefined && w.rrule === undefined) issues.push({ path: `${at}/start`, message: 'is the RRULE\'s DTSTART: it goes with rrule only' });
  if (w.from !== undefined || w.to !== undefined) {
    for (const field of ['duration', 'until'] as const) {
      if (w[field] !== undefined) issues.push({ path: `${at}/${field}`, message: 'goes with cron or rrule; a window of fixed dates ends at to' });
    }
    if (w.from === undefined) issues.push({ path: `${at}/from`, message: 'a window of fixed dates needs from as well as to' });
    if (w.to === undefined) issues.push({ path: `${at}/to`, message: 'a window of fixed dates needs to as well as from' });
    if (w.from === undefined || w.to === undefined || issues.some((i) => i.path === `${at}/timeZone`)) return issues;
    const from = fixedInstant(w.from, w.timeZone, 'earlier');
    const to = fixedInstant(w.to, w.timeZone, 'later');
    const form = 'a local date-time in timeZone (2026-12-20T18:00) or an ISO instant with its offset (2026-12-20T17:00:00Z)';
    if (from === undefined) issues.push({ path: `${at}/from`, message: `"${w.from}" is not ${form}` });
    if (to === undefined) issues.push({ path: `${at}/to`, message: `"${w.to}" is not ${form}` });
    if (from !== undefined && to !== undefined && to <= from) issues.push({ path: `${at}/to`, message: `"${w.to}" is not after from ("${w.from}"): the window would hold nothing` });
    return issues;
  }
  // A recurrence: it parses, and it has a length.
  if (w.cron !== undefined) {
    try {
      CronExpressionParser.parse(w.cron, { tz: 'UTC' });
      if (w.cron.trim().split(/\s+/).length > 6) throw new Error('at most 6 fields (seconds optional)');
    } catch (err) {
      issues.push({ path: `${at}/cron`, message: `"${w.cron}" is not a cron expression (minute hour day-of-month month day-of-week, e.g. "0 18 * * 5"): ${(err as Error).message}` });
    }
  }
  if (w.rrule !== undefined) {
    const start = w.start ?? DEFAULT_RRULE_START;
    if (localWall(start) === undefined) issues.push({ path: `${at}/start`, message: `"${start}" is not a local date-time such as 2026-01-02T18:00` });
    else {
      try {
        const rule = rruleOf(w);
        if (!rule.next(new Date(localWall(start)!), true)) throw new Error('it has no occurrence');
        if (/(^|;)\s*(DTSTART|TZID)/i.test(w.rrule)) throw new Error('DTSTART and TZID are start and timeZone here');
      } catch (err) {
        issues.push({ path: `${at}/rrule`, message: `"${w.rrule}" is not an RFC 5545 RRULE (e.g. "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0"): ${(err as Error).message}` });
      }
    }
  }
  if (w.duration === undefined && w.until === undefined) {
    issues.push({ path: `${at}/duration`, message: 'a recurring window needs its length: duration (e.g. "2 days") or until (a local time, HH:MM)' });
  } else if (w.duration !== undefined && w.until !== undefined) {
    issues.push({ path: `${at}/until`, message: 'give duration or until, not both' });
  } else if (w.duration !== undefined) {
    let ms: number | undefined;
    try {
      ms = durationMs(w.duration as never);
    } catch {
      issues.push({ path: `${at}/duration`, message: `"${w.duration}" is not a duration (e.g. "2h", "3 days")` });
    }
    if (ms !== undefined && !(ms > 0)) issues.push({ path: `${at}/duration`, message: `"${w.duration}" must be longer than 0s: the window would hold nothing` });
    else if (ms !== undefined && ms > MAX_RECURRING_MS) issues.push({ path: `${at}/duration`, message: `"${w.duration}" is longer than 31 days: a longer freeze is a window of fixed dates (from/to)` });
  }
  return issues;
}

/** The spec's freezes: its windows, and calendars the settings have. */
export function freezeIssues(freezes: { calendars?: string[]; windows?: FreezeWindow[] } | undefined, calendars: FreezeCalendars): SpecIssue[] {
  if (!freezes) return [];
  const issues: SpecIssue[] = [];
  (freezes.calendars ?? []).forEach((name, i) => {
    if (!Object.hasOwn(calendars, name)) {
      const known = Object.keys(calendars);
      issues.push({ path: `/freezes/calendars/${i}`, message: `no freeze calendar "${name}" in the service's settings (CUTOVER_FREEZE_CALENDARS)${known.length ? `; it has ${known.join(', ')}` : '; it has none'}` });
    }
  });
  (freezes.windows ?? []).forEach((w, i) => issues.push(...windowIssues(w, `/freezes/windows/${i}`)));
  return issues;
}
