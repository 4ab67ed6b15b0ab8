// Change freezes over REST: POST /v1/plans shows, for each step, the earliest time it could run
// given the spec's windows and the service's calendars (company-wide, or named by the spec);
// a spec naming an unknown calendar or holding a bad window is a 400 naming the field, from
// both /v1/plans and /v1/migrations, before anything starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreezeCalendars } from '../../config/freeze-windows.js';
import { startApi, type Api } from '../helpers.js';
import { call, seededSpec } from './support.js';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
// Whole minutes from now, so the windows' bounds are exact.
const base = Math.ceil(Date.now() / MINUTE) * MINUTE;
const calendars: FreezeCalendars = {
  company: { companyWide: true, windows: [{ name: 'release-train', reason: 'release train', timeZone: 'Europe/Berlin', from: iso(base + 125 * MINUTE), to: iso(base + 180 * MINUTE) }] },
  'payments-peak': { windows: [{ name: 'payments peak', reason: 'payments peak', timeZone: 'America/New_York', cron: '0 9 * * *', duration: '1h' }] },
};

let api: Api;
beforeAll(async () => {
  api = await startApi({ config: { freezeCalendars: calendars } });
});
afterAll(async () => {
  await api?.close();
});

const post = (url: string, payload: object) => call(api.app, { method: 'POST', url, token: 'dev-operator', payload });

describe('change freezes over REST', () => {
  it('the plan shows each step at the earliest time the freezes let it run: after the spec\'s window, and a company-wide one', async () => {
    const { spec } = await seededSpec({ traffic: { steps: [20, 50, 100], observe: '10m' }, bake: '1 day', freeze: '1 day' });
    // Open now, until two hours on: the first shift waits for its end.
    const freezes = { windows: [{ name: 'launch', reason: 'launch day', timeZone: 'UTC', from: iso(base - 60 * MINUTE), to: iso(base + 120 * MINUTE) }] };
    const res = await post('/v1/plans', { ...spec, freezes });
    expect(res.statusCode, res.body).toBe(200);
    const { freezes: schedule, plan } = res.json();
    expect(plan.steps).toHaveLength(3);
    expect(schedule.assumes).toContain('the migration starts now');
    // Step 1 at the end of the spec's window; step 2, 10 minutes on, would fall in the company's window: at its end.
    expect(schedule.steps).toEqual([
      { index: 1, earliest: iso(base + 120 * MINUTE), heldBy: [{ window: 'launch', reason: 'launch day', from: iso(base - 60 * MINUTE), until: iso(base + 120 * MINUTE), timeZone: 'UTC' }] },
      { index: 2, earliest: iso(base + 180 * MINUTE), heldBy: [{ window: 'release-train', calendar: 'company', reason: 'release train', from: iso(base + 125 * MINUTE), until: iso(base + 180 * MINUTE), timeZone: 'Europe/Berlin' }] },
      { index: 3, earliest: iso(base + 190 * MINUTE) },
    ]);
    // Decommissioning: after the last step's observe, the bake and the freeze (when no window holds it then).
    expect(Date.parse(schedule.decommission.earliest)).toBeGreaterThanOrEqual(base + 200 * MINUTE + 2 * 24 * 60 * MINUTE);

    // A spec without windows still sees the company-wide calendar.
    const plain = (await post('/v1/plans', spec)).json();
    expect(plain.freezes.steps).toHaveLength(3);
    expect(plain.freezes.steps.filter((s: { heldBy?: unknown }) => s.heldBy)).toEqual([]);
  });

  it('400 names an unknown calendar, an invalid recurrence, an unknown time zone, a missing duration and fixed dates out of order', async () => {
    const { spec } = await seededSpec();
    const freezes = {
      calendars: ['payments-peak', 'christmas'],
      windows: [
        { reason: 'r', timeZone: 'Europe/Berlin', cron: '0 25 * * *', duration: '1h' },
        { reason: 'r', timeZone: 'Europe/Atlantis', rrule: 'FREQ=WEEKLY;BYDAY=FR', duration: '1h' },
        { reason: 'r', timeZone: 'UTC', rrule: 'FREQ=WEEKLY;BYDAY=FR' },
        { reason: 'r', timeZone: 'UTC', from: '2026-12-20T00:00', to: '2026-12-19T00:00' },
      ],
    };
    for (const url of ['/v1/plans', '/v1/migrations']) {
      const res = await post(url, { ...spec, freezes });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors).toEqual([
        { path: '/freezes/calendars/1', message: 'no freeze calendar "christmas" in the service\'s settings (CUTOVER_FREEZE_CALENDARS); it has company, payments-peak' },
        { path: '/freezes/windows/0/cron', message: expect.stringContaining('"0 25 * * *" is not a cron expression') },
        { path: '/freezes/windows/1/timeZone', message: expect.stringContaining('"Europe/Atlantis" is not an IANA time zone') },
        { path: '/freezes/windows/2/duration', message: expect.stringContaining('needs its length') },
        { path: '/freezes/windows/3/to', message: expect.stringContaining('is not after from') },
      ]);
    }
  });
});
