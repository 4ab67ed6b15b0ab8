// The plan a spec turns into (what POST /v1/plans shows and the workflow runs), its defaults,
// and the checks JSON Schema cannot express.
import { describe, expect, it } from 'vitest';
import { buildPlan, checkSpec, compareMinor, DEFAULTS, migrationId, resolveSpec } from '../../workflows/plan.js';
import type { MigrationSpec } from '../../workflows/spec.js';

const minimal = (): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] } },
});

describe('resolveSpec', () => {
  it('fills every default a minimal spec leaves out', () => {
    const r = resolveSpec(minimal());
    expect(r.green).toMatchObject({ mode: 'create', deleteOnCancel: false });
    expect(r.traffic).toMatchObject({ steps: [20, 50, 80, 100], stepApproval: 'auto', observe: '10m' });
    expect(r.traffic.route53!.records).toEqual([{ name: 'app.example.com', type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }]);
    expect(r.health).toEqual({ smoke: [], interval: '1m', failureThreshold: 3, onBreach: 'rollback' });
    expect(r).toMatchObject({ bake: '7 days', freeze: '3 days' });
    expect(r.approvals).toEqual({ distinctApprover: false, reminderInterval: DEFAULTS.reminderInterval });
    expect(r.decommission).toEqual({ deleteBlue: true });
  });

  it('keeps what the spec says', () => {
    const spec = { ...minimal(), bake: '0s', decommission: { deleteBlue: false }, health: { smoke: [{ url: 'https://g.example' }], onBreach: 'pause' as const } };
    const r = resolveSpec(spec);
    expect(r.bake).toBe('0s');
    expect(r.decommission.deleteBlue).toBe(false);
    expect(r.health.smoke).toEqual([{ url: 'https://g.example', expectStatus: 200 }]);
    expect(r.health.onBreach).toBe('pause');
  });
});

describe('buildPlan', () => {
  it('lists phases, weights per step, gates and timers', () => {
    const plan = buildPlan(resolveSpec(minimal()));
    expect(plan.phases).toEqual(['preflight', 'provisioning', 'validating', 'awaiting-cutover', 'shifting', 'baking', 'frozen', 'awaiting-decommission', 'decommissioning', 'completed']);
    expect(plan.steps.map((s) => s.weights)).toEqual([
      { blue: 80, green: 20 },
      { blue: 50, green: 50 },
      { blue: 20, green: 80 },
      { blue: 0, green: 100 },
    ]);
    expect(plan.gates).toEqual(['cutover', 'decommission']);
    expect(plan.timers).toEqual([
      { name: 'bake', duration: '7 days' },
      { name: 'freeze', duration: '3 days' },
    ]);
    expect(plan.decommission).toEqual({ removeRouting: true, deleteBlueCluster: 'prod-blue' });
  });

  it('gives each manual step after the first its own gate (cutover approves the first)', () => {
    const spec = minimal();
    spec.traffic.stepApproval = 'manual';
    spec.traffic.steps = [10, 100];
    const plan = buildPlan(resolveSpec(spec));
    expect(plan.steps.map((s) => s.approvalGate)).toEqual([undefined, 'step-2']);
    expect(plan.gates).toEqual(['cutover', 'step-2', 'decommission']);
  });

  it('adds bootstrapping only with GitOps, and keeps blue when told to', () => {
    const spec = { ...minimal(), gitops: { argocd: { managementContext: 'mgmt' } }, decommission: { deleteBlue: false } };
    const plan = buildPlan(resolveSpec(spec));
    expect(plan.phases.slice(0, 4)).toEqual(['preflight', 'provisioning', 'bootstrapping', 'validating']);
    expect(plan.decommission.deleteBlueCluster).toBeNull();
  });

  it('weights of every step add up to 100', () => {
    const spec = minimal();
    spec.traffic.steps = [1, 33, 99, 100];
    for (const s of buildPlan(resolveSpec(spec)).steps) expect(s.weights.blue + s.weights.green).toBe(100);
  });
});

describe('checkSpec', () => {
  it('accepts a sound spec', () => {
    expect(checkSpec(minimal())).toEqual([]);
  });

  it('points at each problem', () => {
    const spec: MigrationSpec = {
      ...minimal(),
      green: { cluster: 'prod-blue', kubernetesVersion: '1.34' },
      traffic: { driver: 'alb', steps: [50, 20, 90], observe: 'soon' },
      bake: '7 days',
      freeze: 'a while',
    };
    expect(checkSpec(spec)).toEqual([
      { path: '/traffic/steps/1', message: 'must be greater than previous step' },
      { path: '/traffic/steps/2', message: 'last step must be 100' },
      { path: '/traffic/observe', message: expect.stringContaining('not a duration') },
      { path: '/freeze', message: expect.stringContaining('not a duration') },
      { path: '/traffic/alb', message: 'required when driver is alb' },
      { path: '/green/cluster', message: 'must differ from blue cluster' },
    ]);
  });

  it('needs a hosted zone for route53 and refuses drivers that do not exist yet', () => {
    expect(checkSpec({ ...minimal(), traffic: { driver: 'route53', route53: { records: [{ name: 'a' }] } } })).toEqual([
      { path: '/traffic/route53', message: 'needs hostedZoneId or hostedZoneName' },
    ]);
    expect(checkSpec({ ...minimal(), traffic: { driver: 'external-dns' } }).map((i) => i.path)).toEqual(['/traffic/driver']);
  });
});

describe('helpers', () => {
  it('compares minor versions numerically', () => {
    expect(compareMinor('1.9', '1.10')).toBeLessThan(0);
    expect(compareMinor('1.34', '1.33')).toBeGreaterThan(0);
    expect(compareMinor('1.34', '1.34')).toBe(0);
  });

  it('derives one workflow ID per region and blue cluster', () => {
    expect(migrationId(minimal())).toBe('migration-eu-west-1-prod-blue');
  });
});
