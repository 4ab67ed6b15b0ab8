// A change freeze on the real stack, over REST: a company-wide window of ~20 s the worker's
// calendars get while step 1 is observed (so after the migration started) holds step 2 — the
// status and `cutover status` show it, Route 53 keeps step 1's weights — and at its end step 2
// shifts by itself, with nobody asking.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { renderStatus } from '../../cli/render.js';
import type { FreezeCalendar } from '../../config/freeze-windows.js';
import { call, seededSpec, startAtCutover, weightsInMoto } from '../api/support.js';
import { eventually, stack, startHarness, type Harness } from '../helpers.js';

/** The worker's calendars (CUTOVER_FREEZE_CALENDARS as read at its start), changed below as an operator would. */
const calendars: Record<string, FreezeCalendar> = {};
let api: Harness;
beforeAll(async () => {
  api = await startHarness(createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), freezeCalendars: calendars }), { freezeCalendars: calendars });
});
afterAll(async () => {
  await api?.close();
});

describe('a change freeze over REST', () => {
  it('delays step 2 while its window is open and releases it by itself when the window ends', { timeout: 180_000 }, async () => {
    const { spec } = await seededSpec({ traffic: { steps: [20, 50, 100], observe: '8s' }, bake: '1s', freeze: '1s' });
    const { id, status } = await startAtCutover(api, spec);
    const approved = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token: 'dev-approver-1', payload: { gate: 'cutover', decision: 'approve' } });
    expect(approved.statusCode, approved.body).toBe(200);
    await eventually(status, (s) => s.step?.greenWeight === 20 && !!s.waiting?.what.startsWith('observe'));

    // While step 1 is observed: a window open now for 20 s.
    const from = Date.now() - 1000;
    const until = from + 21_000;
    calendars.company = { companyWide: true, windows: [{ name: 'incident-review', reason: 'incident review: hold changes', timeZone: 'Europe/Berlin', from: new Date(from).toISOString(), to: new Date(until).toISOString() }] };

    const held = await eventually(status, (s) => !!s.freeze && !!s.waiting);
    expect(held.freeze).toMatchObject({ window: 'incident-review', calendar: 'company', reason: 'incident review: hold changes', until: new Date(until).toISOString(), timeZone: 'Europe/Berlin', holds: 'step 2/3: green 50%' });
    expect(held.waiting.what).toContain('change freeze incident-review');
    expect(await weightsInMoto(spec)).toEqual([{ blue: 80, green: 20 }]);
    expect(renderStatus(held)).toMatch(/change freeze +incident-review \(Europe\/Berlin, calendar company\): incident review: hold changes; holds step 2\/3: green 50%/);

    // Nobody sends anything: at the window's end step 2 shifts.
    const released = await eventually(status, (s) => (s.step?.index ?? 0) >= 2);
    expect(released.freeze).toBeUndefined();
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    const audit = (await call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' })).json().audit as { action: string; at: string; reason: string }[];
    const step2 = audit.find((e) => e.action === 'set-weights' && e.reason.startsWith('step 2/3'))!;
    expect(Date.parse(step2.at)).toBeGreaterThanOrEqual(until);
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['freeze-hold', 'freeze-release']));
    await eventually(() => weightsInMoto(spec), (w) => w[0]?.green === 50 || w[0]?.green === 100);

    const rolledBack = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, token: 'dev-approver-2', payload: { reason: 'done testing' } });
    expect(rolledBack.statusCode, rolledBack.body).toBeLessThan(300);
  });
});
