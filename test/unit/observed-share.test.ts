// The observed-share check in a spec: its defaults, the plan that shows it per step (only when
// the spec sets it), and what checkSpec refuses, each problem naming its field and why.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../workflows/plan.js';
import { checkSpec } from '../../workflows/spec-checks.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec, ObservedShareCheck } from '../../workflows/spec.js';

const spec = (observedShare?: ObservedShareCheck): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] }, steps: [10, 50, 100], ...(observedShare && { observedShare }) },
  decommission: { drain: { none: 'unit test' } },
});
const requests = (tg: string) => ({ cloudwatch: { metric: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: [{ name: 'TargetGroup', value: `targetgroup/${tg}/1` }], stat: 'Sum' } } });
const prom = { prometheus: { server: 'main', query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' } };

describe('traffic.observedShare', () => {
  it('shows the check on every step, only when the spec sets it, with its defaults', () => {
    expect(buildPlan(resolveSpec(spec())).steps.every((s) => s.observedShare === undefined)).toBe(true);
    expect(resolveSpec(spec()).traffic).not.toHaveProperty('observedShare');
    const resolved = resolveSpec(spec({ green: requests('green'), blue: requests('blue') }));
    expect(resolved.traffic.observedShare).toEqual({ green: requests('green'), blue: requests('blue'), tolerance: 10, window: '5m', within: '30m' });
    const steps = buildPlan(resolved).steps;
    // Tolerance either side of each step's weight (10, 50, 100), within 0–100.
    expect(steps.map((s) => s.observedShare?.match(/within (\S+) %/)?.[1])).toEqual(['0–20', '40–60', '90–100']);
    expect(steps[0].observedShare).toBe(
      "green's share of traffic within 0–20 % over 5m (green: CloudWatch AWS/ApplicationELB RequestCount (Sum); blue: CloudWatch AWS/ApplicationELB RequestCount (Sum)), waited for at most 30m",
    );
    expect(checkSpec(spec({ green: prom, blue: requests('blue'), tolerance: 0, window: '2m', within: '1 day' }))).toEqual([]);
  });

  it('names each field at fault and why', () => {
    expect(checkSpec(spec({ green: {}, blue: { ...prom, ...requests('blue') } }))).toEqual([
      { path: '/traffic/observedShare/green', message: "needs exactly one source of green's traffic: cloudwatch or prometheus" },
      { path: '/traffic/observedShare/blue', message: "needs exactly one source of blue's traffic: cloudwatch or prometheus" },
    ]);
    expect(checkSpec(spec({ green: prom, blue: prom, window: '10m', within: '5m' }))).toContainEqual({
      path: '/traffic/observedShare/within',
      message: '"5m" is shorter than the window (10m): the share is read over a whole window, so a step could never be judged in time',
    });
    expect(checkSpec(spec({ green: requests('green'), blue: prom, window: '90s' }))).toContainEqual({
      path: '/traffic/observedShare/window',
      message: 'must be whole minutes for CloudWatch ("90s"): the window is one CloudWatch period',
    });
    expect(checkSpec(spec({ green: prom, blue: prom, window: '1s', within: '2 days' }))).toEqual([
      { path: '/traffic/observedShare/window', message: expect.stringMatching(/^traffic.observedShare.window "1s" must be at least 10s: /) },
      { path: '/traffic/observedShare/within', message: expect.stringMatching(/^traffic.observedShare.within "2 days" must be at most 1 day: /) },
    ]);
    expect(checkSpec(spec({ green: prom, blue: prom, within: '30s', window: '10s' }))).toEqual([
      { path: '/traffic/observedShare/within', message: expect.stringMatching(/^traffic.observedShare.within "30s" must be at least 1m: /) },
    ]);
  });
});
