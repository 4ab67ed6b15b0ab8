// The drain check in a spec: its defaults, the plan that shows it (the step drain-check only
// when the spec sets it), and what checkSpec refuses, each problem naming its field and why.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../workflows/plan.js';
import { checkSpec } from '../../workflows/spec-checks.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { DrainCheck, MigrationSpec } from '../../workflows/spec.js';

const spec = (drain?: DrainCheck, more: Partial<MigrationSpec> = {}): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] } },
  ...more,
  ...(drain && { decommission: { ...more.decommission, drain } }),
});
const requests = { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: [{ name: 'TargetGroup', value: 'targetgroup/blue/1' }], stat: 'Sum' };
const promDrain: DrainCheck = { prometheus: { server: 'main', query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' }, below: 0.5 };

describe('decommission.drain', () => {
  it('puts drain-check after the routing and before anything of blue is deleted, only when the spec sets it, with its defaults', () => {
    expect(buildPlan(resolveSpec(spec())).decommission.steps).not.toContain('drain-check');
    const resolved = resolveSpec(spec(promDrain));
    expect(resolved.decommission.drain).toEqual({ ...promDrain, window: '5m', within: '1h', noData: 'fail' });
    const plan = buildPlan(resolved);
    expect(plan.decommission.steps).toEqual(['remove-blue-routing', 'drain-check', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster']);
    expect(plan.decommission.drain).toBe(
      'Prometheus main: sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}])) below 0.5 for 5m, waited for at most 1h (no data: not drained)',
    );
    expect(checkSpec(spec({ cloudwatch: { metric: requests }, below: 10, window: '2m', within: '30m', noData: 'pass' }))).toEqual([]);
  });

  it('names each field at fault and why', () => {
    expect(checkSpec(spec({ below: 1 }))).toContainEqual({ path: '/decommission/drain', message: "needs exactly one source of blue's traffic: cloudwatch or prometheus" });
    expect(checkSpec(spec({ ...promDrain, window: '10m', within: '5m' }))).toContainEqual({
      path: '/decommission/drain/within',
      message: '"5m" is shorter than the window (10m): blue must stay under below for a whole window, so it could never drain in time',
    });
    expect(checkSpec(spec({ cloudwatch: { metric: requests }, below: 1, window: '90s' }))).toContainEqual({
      path: '/decommission/drain/window',
      message: 'must be whole minutes for CloudWatch ("90s"): the window is one CloudWatch period',
    });
    expect(checkSpec(spec({ ...promDrain, window: '1s', within: '2 days' }))).toEqual([
      { path: '/decommission/drain/window', message: expect.stringMatching(/^decommission.drain.window "1s" must be at least 10s: /) },
      { path: '/decommission/drain/within', message: expect.stringMatching(/^decommission.drain.within "2 days" must be at most 1 day: /) },
    ]);
    expect(checkSpec(spec(promDrain, { decommission: { deleteBlue: false } }))).toContainEqual({
      path: '/decommission/drain',
      message: 'is checked before anything of blue is deleted, and blue is kept (deleteBlue false, or a blue named by context): leave drain out',
    });
  });
});
