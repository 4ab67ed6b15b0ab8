// Change-freeze windows: which is open at an instant, across daylight-saving changes in both
// directions in Europe/Berlin and America/New_York, for cron and RRULE alike; the first free
// instant after chained windows; and every 400 a window, a spec's freezes or the settings get.
import { describe, expect, it } from 'vitest';
import { firstFreeInstant, freezeIssues, openAt, type NamedWindow } from '../../config/freeze-windows.js';
import { assertSound } from '../../api/spec-checks.js';
import { HttpError } from '../../api/errors.js';
import { readFreezeCalendars } from '../../config/freeze-calendars.js';
import { workerProcessSettings } from '../../worker/process-settings.js';
import type { FreezeWindow } from '../../workflows/spec.js';
import { baseSpec } from '../workflow/harness.js';
import { freezeSchedule } from '../../api/freeze-schedule.js';
import { renderPlan } from '../../cli/render.js';
import { buildPlan } from '../../workflows/plan.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';

const at = (iso: string) => Date.parse(iso);
const one = (window: FreezeWindow): NamedWindow[] => [{ window }];
/** The occurrence open at `iso`, as UTC instants. */
const open = (window: FreezeWindow, iso: string) => {
  const o = openAt(one(window), at(iso));
  return o && { from: o.from, until: o.until };
};
const hours = (o: { from: string; until: string } | undefined) => o && (Date.parse(o.until) - Date.parse(o.from)) / 3_600_000;

// 2026: Berlin springs forward on 29 March (02:00 CET → 03:00 CEST, 01:00Z) and falls back on
// 25 October (03:00 CEST → 02:00 CET, 01:00Z); New York on 8 March (02:00 EST → 03:00 EDT,
// 07:00Z) and 1 November (02:00 EDT → 01:00 EST, 06:00Z).
const NIGHTLY = { reason: 'nightly batch', cron: '30 1 * * *', until: '03:30' };

describe('a window defined 01:30–03:30 local time', () => {
  for (const [kind, def] of [
    ['cron', NIGHTLY],
    ['rrule', { reason: 'nightly batch', rrule: 'FREQ=DAILY;BYHOUR=1;BYMINUTE=30', until: '03:30' }],
  ] as const) {
    describe(`(${kind})`, () => {
      it('Europe/Berlin, spring forward: 01:30 CET to 03:30 CEST is one hour; the day before, two', () => {
        const w = { ...def, timeZone: 'Europe/Berlin' };
        expect(open(w, '2026-03-29T00:45:00Z')).toEqual({ from: '2026-03-29T00:30:00.000Z', until: '2026-03-29T01:30:00.000Z' });
        expect(open(w, '2026-03-29T01:30:00Z')).toBeUndefined();
        expect(hours(open(w, '2026-03-28T01:00:00Z'))).toBe(2);
        // The day after, in summer time: 01:30 CEST is 23:30Z the evening before.
        expect(open(w, '2026-03-29T23:40:00Z')).toEqual({ from: '2026-03-29T23:30:00.000Z', until: '2026-03-30T01:30:00.000Z' });
      });

      it('Europe/Berlin, fall back: 01:30 CEST to 03:30 CET is three hours', () => {
        const w = { ...def, timeZone: 'Europe/Berlin' };
        expect(open(w, '2026-10-25T01:15:00Z')).toEqual({ from: '2026-10-24T23:30:00.000Z', until: '2026-10-25T02:30:00.000Z' });
        expect(open(w, '2026-10-25T02:30:00Z')).toBeUndefined();
        expect(open(w, '2026-10-24T23:29:59Z')).toBeUndefined();
      });

      it('America/New_York, spring forward: 01:30 EST to 03:30 EDT is one hour', () => {
        const w = { ...def, timeZone: 'America/New_York' };
        expect(open(w, '2026-03-08T07:00:00Z')).toEqual({ from: '2026-03-08T06:30:00.000Z', until: '2026-03-08T07:30:00.000Z' });
        expect(open(w, '2026-03-08T07:30:00Z')).toBeUndefined();
      });

      it('America/New_York, fall back: 01:30 is shown twice, the window begins at the first and ends at 03:30 EST, three hours on', () => {
        const w = { ...def, timeZone: 'America/New_York' };
        expect(open(w, '2026-11-01T05:30:00Z')).toEqual({ from: '2026-11-01T05:30:00.000Z', until: '2026-11-01T08:30:00.000Z' });
        expect(open(w, '2026-11-01T05:29:00Z')).toBeUndefined();
      });
    });
  }

  it('a start the clocks skip begins after the gap, with the offset before it, for cron and RRULE alike (RFC 5545 would drop it)', () => {
    for (const timeZone of ['Europe/Berlin', 'America/New_York']) {
      const cron = { reason: 'r', timeZone, cron: '30 2 * * *', duration: '1h' };
      const rrule = { reason: 'r', timeZone, rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30', duration: '1h' };
      const gapDay = timeZone === 'Europe/Berlin' ? '2026-03-29T01:45:00Z' : '2026-03-08T07:45:00Z';
      const expected = timeZone === 'Europe/Berlin' ? { from: '2026-03-29T01:30:00.000Z', until: '2026-03-29T02:30:00.000Z' } : { from: '2026-03-08T07:30:00.000Z', until: '2026-03-08T08:30:00.000Z' };
      expect(open(cron, gapDay)).toEqual(expected);
      expect(open(rrule, gapDay)).toEqual(expected);
    }
  });

  it('a duration is elapsed time: "1h" from 02:30 on the night Berlin falls back begins at the first 02:30 (CEST)', () => {
    const w = { reason: 'r', timeZone: 'Europe/Berlin', rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30', duration: '1h' };
    expect(open(w, '2026-10-25T00:40:00Z')).toEqual({ from: '2026-10-25T00:30:00.000Z', until: '2026-10-25T01:30:00.000Z' });
  });

  it('an end shown twice is the later one: 00:30–01:30 in New York on its fall-back night lasts two hours', () => {
    const w = { reason: 'r', timeZone: 'America/New_York', cron: '30 0 * * *', until: '01:30' };
    expect(open(w, '2026-11-01T06:00:00Z')).toEqual({ from: '2026-11-01T04:30:00.000Z', until: '2026-11-01T06:30:00.000Z' });
  });
});

describe('windows', () => {
  it('a weekend freeze (Friday 18:00 for 62h) holds from Friday evening to Monday 08:00, local', () => {
    const weekend = { reason: 'weekend', timeZone: 'Europe/Berlin', cron: '0 18 * * 5', duration: '62h' };
    // Friday 4 December 2026 18:00 CET is 17:00Z; Monday 08:00 CET is 07:00Z.
    expect(open(weekend, '2026-12-05T12:00:00Z')).toEqual({ from: '2026-12-04T17:00:00.000Z', until: '2026-12-07T07:00:00.000Z' });
    expect(open(weekend, '2026-12-07T07:00:00Z')).toBeUndefined();
  });

  it('an RRULE with an INTERVAL counts from its start', () => {
    const w = { reason: 'every other Friday', timeZone: 'UTC', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR', start: '2026-12-04T18:00', duration: '6h' };
    expect(open(w, '2026-12-04T19:00:00Z')).toEqual({ from: '2026-12-04T18:00:00.000Z', until: '2026-12-05T00:00:00.000Z' });
    expect(open(w, '2026-12-11T19:00:00Z')).toBeUndefined();
    expect(open(w, '2026-12-18T19:00:00Z')?.from).toBe('2026-12-18T18:00:00.000Z');
  });

  it('fixed dates: local in the zone, or instants with their offset', () => {
    const w = { reason: 'year-end', timeZone: 'America/New_York', from: '2026-12-20T00:00', to: '2027-01-04T09:00' };
    expect(open(w, '2026-12-25T00:00:00Z')).toEqual({ from: '2026-12-20T05:00:00.000Z', until: '2027-01-04T14:00:00.000Z' });
    expect(open({ ...w, from: '2026-12-20T00:00:00Z', to: '2026-12-21T00:00:00+01:00' }, '2026-12-20T12:00:00Z')).toEqual({ from: '2026-12-20T00:00:00.000Z', until: '2026-12-20T23:00:00.000Z' });
  });

  it('of several open, the one that ends last is answered, with its calendar, reason and zone', () => {
    const windows: NamedWindow[] = [
      { window: { name: 'short', reason: 'a', timeZone: 'UTC', from: '2026-12-01T00:00', to: '2026-12-01T06:00' } },
      { window: { name: 'long', reason: 'b', timeZone: 'Europe/Berlin', from: '2026-12-01T00:00', to: '2026-12-01T12:00' }, calendar: 'company' },
    ];
    expect(openAt(windows, at('2026-12-01T03:00:00Z'))).toEqual({ window: 'long', calendar: 'company', reason: 'b', from: '2026-11-30T23:00:00.000Z', until: '2026-12-01T11:00:00.000Z', timeZone: 'Europe/Berlin' });
  });

  it('the first free instant passes chained windows', () => {
    const windows: NamedWindow[] = [
      { window: { name: 'a', reason: 'a', timeZone: 'UTC', from: '2026-12-01T00:00', to: '2026-12-01T06:00' } },
      { window: { name: 'b', reason: 'b', timeZone: 'UTC', from: '2026-12-01T06:00', to: '2026-12-01T08:00' } },
    ];
    const free = firstFreeInstant(windows, at('2026-12-01T01:00:00Z'))!;
    expect(new Date(free.at).toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(free.heldBy.map((w) => w.window)).toEqual(['a', 'b']);
    expect(firstFreeInstant(windows, at('2026-12-02T00:00:00Z'))).toEqual({ at: at('2026-12-02T00:00:00Z'), heldBy: [] });
  });
});

describe('the plan under freezes', () => {
  it('shows each step at its earliest time, and cutover plan prints it with what it assumes', () => {
    const spec = resolveSpec({ ...baseSpec(), freezes: { windows: [{ name: 'launch', reason: 'launch day', timeZone: 'UTC', from: '2026-12-07T00:00', to: '2026-12-08T09:00' }] } });
    const plan = buildPlan(spec);
    const freezes = freezeSchedule(plan, spec, {}, at('2026-12-07T22:00:00Z'))!;
    expect(freezes.steps.map((s) => s.earliest)).toEqual(['2026-12-08T09:00:00.000Z', '2026-12-08T09:10:00.000Z', '2026-12-08T09:20:00.000Z', '2026-12-08T09:30:00.000Z']);
    expect(freezes.decommission?.earliest).toBe('2026-12-18T09:40:00.000Z'); // + observe, 7 days' bake, 3 days' freeze
    const text = renderPlan({ id: 'migration-x', plan, links: { self: '', temporalUi: '' } as never, freezes });
    expect(text).toContain('    1.  2026-12-08 09:00 UTC  (held by launch until 2026-12-08 09:00 UTC)');
    expect(text).toContain('    decommission  2026-12-18 09:40 UTC');
    expect(text).toContain('assuming the migration starts now');
    expect(freezeSchedule(plan, resolveSpec(baseSpec()), {}, at('2026-12-07T22:00:00Z'))).toBeUndefined();
  });
});

describe('every 400 a freeze gets, naming its field', () => {
  const issues = (windows: FreezeWindow[], calendars: string[] = []) => freezeIssues({ windows, calendars }, { company: { companyWide: true, windows: [] } });
  const w = { reason: 'r', timeZone: 'Europe/Berlin' };

  it('an invalid recurrence', () => {
    expect(issues([{ ...w, cron: '61 18 * * 5', duration: '1h' }])).toEqual([{ path: '/freezes/windows/0/cron', message: expect.stringContaining('"61 18 * * 5" is not a cron expression') }]);
    expect(issues([{ ...w, cron: 'every friday', duration: '1h' }])[0].path).toBe('/freezes/windows/0/cron');
    expect(issues([{ ...w, rrule: 'FREQ=SOMETIMES', duration: '1h' }])).toEqual([{ path: '/freezes/windows/0/rrule', message: expect.stringContaining('is not an RFC 5545 RRULE') }]);
    expect(issues([{ ...w, rrule: 'BYDAY=FR', duration: '1h' }])[0].path).toBe('/freezes/windows/0/rrule');
    expect(issues([{ ...w, rrule: 'FREQ=DAILY', start: 'tomorrow', duration: '1h' }])[0].path).toBe('/freezes/windows/0/start');
  });

  it('an unknown time zone', () => {
    expect(issues([{ ...w, timeZone: 'Europe/Atlantis', cron: '0 18 * * 5', duration: '1h' }])).toEqual([
      { path: '/freezes/windows/0/timeZone', message: '"Europe/Atlantis" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)' },
    ]);
    expect(issues([{ ...w, timeZone: '+01:00', from: '2026-12-01T00:00', to: '2026-12-02T00:00' }])[0].path).toBe('/freezes/windows/0/timeZone');
  });

  it('a duration missing, zero, not a duration, or with until too', () => {
    expect(issues([{ ...w, cron: '0 18 * * 5' }])).toEqual([{ path: '/freezes/windows/0/duration', message: expect.stringContaining('needs its length') }]);
    expect(issues([{ ...w, cron: '0 18 * * 5', duration: '0s' }])).toEqual([{ path: '/freezes/windows/0/duration', message: expect.stringContaining('must be longer than 0s') }]);
    expect(issues([{ ...w, cron: '0 18 * * 5', duration: 'soon' }])[0].path).toBe('/freezes/windows/0/duration');
    expect(issues([{ ...w, cron: '0 18 * * 5', duration: '40 days' }])[0].message).toContain('longer than 31 days');
    expect(issues([{ ...w, cron: '0 18 * * 5', duration: '1h', until: '20:00' }])[0].path).toBe('/freezes/windows/0/until');
  });

  it('to before from, a bound missing or unreadable, a length on fixed dates', () => {
    expect(issues([{ ...w, from: '2026-12-20T00:00', to: '2026-12-19T00:00' }])).toEqual([{ path: '/freezes/windows/0/to', message: expect.stringContaining('is not after from') }]);
    expect(issues([{ ...w, from: '2026-12-20T00:00' }])).toEqual([{ path: '/freezes/windows/0/to', message: expect.stringContaining('needs to as well') }]);
    expect(issues([{ ...w, from: '2026-02-30T00:00', to: '2026-03-02T00:00' }])[0].path).toBe('/freezes/windows/0/from');
    expect(issues([{ ...w, from: '2026-12-20T00:00', to: '2026-12-21T00:00', duration: '1h' }])[0].path).toBe('/freezes/windows/0/duration');
  });

  it('no kind, or two kinds', () => {
    expect(issues([{ ...w, duration: '1h' }])[0]).toEqual({ path: '/freezes/windows/0', message: expect.stringContaining('needs exactly one of cron') });
    expect(issues([{ ...w, cron: '0 18 * * 5', rrule: 'FREQ=DAILY', duration: '1h' }])[0].message).toContain('not cron and rrule');
  });

  it('an unknown calendar name, saying which the settings have', () => {
    expect(issues([], ['company', 'payments-peak'])).toEqual([{ path: '/freezes/calendars/1', message: 'no freeze calendar "payments-peak" in the service\'s settings (CUTOVER_FREEZE_CALENDARS); it has company' }]);
  });

  it('the API refuses such a spec with a 400 listing them, and bakeCounts false (not supported)', async () => {
    const sound = () => ({ ...baseSpec(), health: { smoke: [], interval: '1m' }, decommission: { drain: { none: 'unit test' } } });
    const spec = { ...sound(), freezes: { calendars: ['nope'], windows: [{ ...w, cron: '0 18 * * 5' }], bakeCounts: false } };
    const err = (await assertSound(spec, { freezeCalendars: {} }).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(400);
    expect(err.extra.errors?.map((e) => e.path)).toEqual(['/freezes/calendars/0', '/freezes/windows/0/duration', '/freezes/bakeCounts']);
    await expect(assertSound({ ...sound(), freezes: { windows: [{ ...w, cron: '0 18 * * 5', duration: '1h' }] } }, { freezeCalendars: {} })).resolves.toBeUndefined();
  });
});

describe('CUTOVER_FREEZE_CALENDARS', () => {
  const read = (value: unknown) => {
    const problems: string[] = [];
    const calendars = readFreezeCalendars({ CUTOVER_FREEZE_CALENDARS: JSON.stringify(value) }, problems);
    return { calendars, problems };
  };

  it('reads named calendars, company-wide or not', () => {
    const weekend = { reason: 'weekend', timeZone: 'Europe/Berlin', cron: '0 18 * * 5', duration: '62h' };
    expect(read({ company: { companyWide: true, windows: [weekend] }, peak: { windows: [{ ...weekend, cron: '0 9 * * 1' }] } })).toEqual({
      calendars: { company: { companyWide: true, windows: [weekend] }, peak: { windows: [{ ...weekend, cron: '0 9 * * 1' }] } },
      problems: [],
    });
    expect(readFreezeCalendars({}, [])).toEqual({});
  });

  it('names the variable, the calendar and the field of every problem', () => {
    const { problems } = read({
      company: { companyWide: 'yes', windows: [{ reason: 'r', timeZone: 'Mars/Olympus', cron: '0 18 * * 5', duration: '1h' }] },
      bad: { windows: [] },
      typo: { windows: [{ reason: 'r', timeZone: 'UTC', cron: '0 18 * * 5', lenght: '1h' }] },
    });
    expect(problems).toEqual([
      'CUTOVER_FREEZE_CALENDARS: calendar "company": companyWide must be true or false',
      'CUTOVER_FREEZE_CALENDARS: calendar "bad": windows must be a list of at least one window',
      'CUTOVER_FREEZE_CALENDARS: calendar "typo": /windows/0/lenght is not a window field (name, reason, timeZone, cron, rrule, start, duration, until, from, to)',
    ]);
    expect(read({ company: { windows: [{ reason: 'r', timeZone: 'Mars/Olympus', cron: '0 18 * * 5', duration: '1h' }] } }).problems).toEqual([
      'CUTOVER_FREEZE_CALENDARS: calendar "company": /windows/0/timeZone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)',
    ]);
  });

  it('a bad setting stops the worker from starting, naming it', () => {
    expect(() => workerProcessSettings({ CUTOVER_FREEZE_CALENDARS: '{"x": {"windows": [{"reason": "r", "timeZone": "UTC", "cron": "nope", "duration": "1h"}]}}' })).toThrow(
      /invalid configuration:[\s\S]*CUTOVER_FREEZE_CALENDARS: calendar "x": \/windows\/0\/cron: "nope" is not a cron expression/,
    );
    expect(() => workerProcessSettings({ CUTOVER_FREEZE_CALENDARS: 'not json' })).toThrow(/CUTOVER_FREEZE_CALENDARS: not valid JSON/);
  });
});
