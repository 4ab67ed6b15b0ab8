// The safety rule the workflow consults before it retires blue.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blueDeletionAllowed } from '../../workflows/invariants.js';

const DAY = 24 * 3600_000;
const since = new Date(Date.UTC(2026, 0, 1)).toISOString();
const after = (ms: number) => new Date(Date.parse(since) + ms).toISOString();

describe('blueDeletionAllowed', () => {
  const facts = { greenFullSince: since, bake: '7 days', freeze: '3 days', decommissionApproved: true };

  it('allows deletion once green carried everything for bake+freeze and a person approved', () => {
    expect(blueDeletionAllowed({ ...facts, now: after(10 * DAY) }).allowed).toBe(true);
  });

  it('refuses without approval, however long green carried traffic', () => {
    expect(blueDeletionAllowed({ ...facts, decommissionApproved: false, now: after(100 * DAY) })).toEqual({ allowed: false, reason: 'decommission was not approved' });
  });

  it('refuses when green never carried all traffic', () => {
    expect(blueDeletionAllowed({ ...facts, greenFullSince: undefined, now: after(100 * DAY) }).allowed).toBe(false);
  });

  it('refuses a moment too early, for any bake and freeze', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: DAY }), (bakeDays, freezeDays, early) => {
        const needed = (bakeDays + freezeDays) * DAY;
        const verdict = (ms: number) => blueDeletionAllowed({ ...facts, bake: `${bakeDays} days`, freeze: `${freezeDays} days`, now: after(ms) }).allowed;
        expect(verdict(needed)).toBe(true);
        if (needed >= early) expect(verdict(needed - early)).toBe(false);
      }),
    );
  });
});
