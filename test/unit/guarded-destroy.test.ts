// The spec of a guarded destroy: a spec that deletes blue names a drain source or says
// {"none": reason}; the last delay is a duration from 0s to 7 days, only where blue is deleted.
// Each refusal names its field and why.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../workflows/plan.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import { checkSpec } from '../../workflows/spec-checks.js';
import type { MigrationSpec } from '../../workflows/spec.js';

const NONE = { none: "blue's only clients come through the record Cutover removes" };

const spec = (decommission?: MigrationSpec['decommission']): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] } },
  ...(decommission && { decommission }),
});

const DRAIN = { prometheus: { server: 'prod', query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' }, below: 1 };

describe('a spec that deletes blue', () => {
  it('without a drain source is refused, naming the field and the two ways to satisfy it', () => {
    for (const s of [spec(), spec({ deleteBlue: true }), spec({ lastDelay: '10m' })]) {
      const issues = checkSpec(s);
      expect(issues).toEqual([
        {
          path: '/decommission/drain',
          message: expect.stringMatching(/^is required when blue is deleted \(decommission\.deleteBlue, default true for an EKS blue\): name a source of blue's traffic \(cloudwatch or prometheus\).*or say \{"none": "<reason>"\}/),
        },
      ]);
    }
  });

  it('with a drain source, or none and a reason, is sound; the plan says which', () => {
    expect(checkSpec(spec({ drain: DRAIN }))).toEqual([]);
    expect(checkSpec(spec({ drain: NONE }))).toEqual([]);
    const plan = buildPlan(resolveSpec(spec({ drain: NONE })));
    expect(plan.decommission.drain).toBe(`none: ${NONE.none}`);
    expect(plan.decommission.steps).not.toContain('drain-check');
  });

  it('refuses none with a blank reason', () => {
    expect(checkSpec(spec({ drain: { none: '   ' } }))).toEqual([{ path: '/decommission/drain/none', message: expect.stringContaining('must give the reason') }]);
  });
});

describe('a spec that keeps blue', () => {
  it('needs no drain, and refuses none or a last delay, which would never apply', () => {
    expect(checkSpec(spec({ deleteBlue: false }))).toEqual([]);
    expect(checkSpec(spec({ deleteBlue: false, drain: NONE }))).toEqual([{ path: '/decommission/drain', message: expect.stringContaining('blue is kept') }]);
    expect(checkSpec(spec({ deleteBlue: false, lastDelay: '1h' }))).toEqual([{ path: '/decommission/lastDelay', message: expect.stringContaining('leave lastDelay out') }]);
    const byContext: MigrationSpec = { ...spec(), blue: { context: 'anywhere-blue' }, green: { cluster: 'prod-green', mode: 'adopt', kubernetesVersion: '1.34' } };
    expect(checkSpec(byContext)).toEqual([]);
    expect(buildPlan(resolveSpec(byContext)).decommission.lastDelay).toBeUndefined();
  });
});

describe('the last delay', () => {
  it('defaults to 1h where blue is deleted, shown in the plan as a timer with what cancels it', () => {
    const resolved = resolveSpec(spec({ drain: NONE }));
    expect(resolved.decommission.lastDelay).toBe('1h');
    const plan = buildPlan(resolved);
    expect(plan.decommission.lastDelay).toBe('1h');
    expect(plan.timers).toContainEqual({ name: 'last-delay', duration: '1h', ends: expect.stringContaining('keep-blue cancels it') });
    expect(resolveSpec(spec({ deleteBlue: false })).decommission.lastDelay).toBeUndefined();
  });

  it('takes 0s (no delay) up to 7 days; past it, or not a duration, is refused naming the field', () => {
    expect(checkSpec(spec({ drain: NONE, lastDelay: '0s' }))).toEqual([]);
    expect(checkSpec(spec({ drain: NONE, lastDelay: '7 days' }))).toEqual([]);
    expect(checkSpec(spec({ drain: NONE, lastDelay: '8 days' }))).toEqual([
      { path: '/decommission/lastDelay', message: expect.stringMatching(/^decommission\.lastDelay "8 days" must be at most 7 days: /) },
    ]);
    expect(checkSpec(spec({ drain: NONE, lastDelay: 'soon' }))).toEqual([{ path: '/decommission/lastDelay', message: '"soon" is not a duration (e.g. "10m", "7 days")' }]);
  });
});
