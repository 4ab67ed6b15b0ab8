// When a bake's peak windows occur: the next whole occurrence after a moment, in the window's
// time zone, across weekends, summer time and zones on the other side of the date line.
import { describe, expect, it } from 'vitest';
import { nextWindow } from '../../activities/calendar.js';
import type { PeakWindow } from '../../workflows/spec.js';

const weekdays: PeakWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '11:00', timeZone: 'Europe/Berlin' };
const at = (iso: string) => Date.parse(iso);

describe('nextWindow', () => {
  it("after Friday's peak, the next is Monday's", () => {
    // Friday 4 December 2026, 13:00 in Berlin (CET, UTC+1).
    expect(nextWindow(weekdays, at('2026-12-04T12:00:00Z'))).toEqual({ from: '2026-12-07T08:00:00.000Z', to: '2026-12-07T10:00:00.000Z' });
  });

  it("before a day's peak it is that day's; once it has begun, only the next one counts whole", () => {
    expect(nextWindow(weekdays, at('2026-12-04T07:59:00Z'))).toEqual({ from: '2026-12-04T08:00:00.000Z', to: '2026-12-04T10:00:00.000Z' });
    expect(nextWindow(weekdays, at('2026-12-04T08:00:00Z')).from).toBe('2026-12-04T08:00:00.000Z');
    expect(nextWindow(weekdays, at('2026-12-04T08:00:01Z')).from).toBe('2026-12-07T08:00:00.000Z');
  });

  it('follows summer time: 09:00 in Berlin is 07:00 UTC after the clocks went forward', () => {
    // Clocks go forward on Sunday 29 March 2026.
    expect(nextWindow(weekdays, at('2026-03-27T12:00:00Z'))).toEqual({ from: '2026-03-30T07:00:00.000Z', to: '2026-03-30T09:00:00.000Z' });
    // A local time the clocks skip is the instant an hour later.
    expect(nextWindow({ ...weekdays, days: ['sun'], from: '02:30', to: '04:00' }, at('2026-03-28T00:00:00Z'))).toEqual({ from: '2026-03-29T01:30:00.000Z', to: '2026-03-29T02:00:00.000Z' });
  });

  it("counts days in the window's own zone, ahead of or behind UTC", () => {
    // Monday 09:00 in Auckland (UTC+13 in December) is Sunday 20:00 UTC.
    expect(nextWindow({ ...weekdays, days: ['mon'], timeZone: 'Pacific/Auckland' }, at('2026-12-06T19:00:00Z'))).toEqual({ from: '2026-12-06T20:00:00.000Z', to: '2026-12-06T22:00:00.000Z' });
    // Saturday 23:00 in Los Angeles (UTC-8) is Sunday 07:00 UTC.
    expect(nextWindow({ days: ['sat'], from: '23:00', to: '23:59', timeZone: 'America/Los_Angeles' }, at('2026-12-05T00:00:00Z'))).toEqual({ from: '2026-12-06T07:00:00.000Z', to: '2026-12-06T07:59:00.000Z' });
  });

  it('fails as InvalidSpec on a zone the worker does not know', () => {
    expect(() => nextWindow({ ...weekdays, timeZone: 'Europe/Atlantis' }, at('2026-12-04T12:00:00Z'))).toThrow(/time zone "Europe\/Atlantis" is not known/);
  });
});
