// The plan a spec turns into (what POST /v1/plans shows and the workflow runs), its defaults,
// and the checks JSON Schema cannot express.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peakLabel } from '../../workflows/describe.js';
import { compareMinor } from '../../workflows/kubernetes-version.js';
import { migrationId } from '../../workflows/migration-id.js';
import { buildPlan } from '../../workflows/plan.js';
import { checkSpec, durationIssues } from '../../workflows/spec-checks.js';
import { DEFAULTS, resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { DURATION_LIMITS } from '../../workflows/spec-values.js';

const minimal = (): MigrationSpec => ({
  region: 'eu-west-1',
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] } },
  decommission: { drain: { none: 'only the routing Cutover removes reaches blue' } },
});

const externalDnsSpec = (): MigrationSpec => ({
  ...minimal(),
  traffic: { driver: 'external-dns', externalDns: { objects: [{ kind: 'Ingress', namespace: 'shop', name: 'web' }] } },
});

const selectorSpec = (): MigrationSpec => ({
  ...minimal(),
  traffic: { driver: 'service-selector', serviceSelector: { cluster: 'edge', namespace: 'shop', service: 'web' } },
});

describe('resolveSpec', () => {
  it('fills every default a minimal spec leaves out', () => {
    const r = resolveSpec(minimal());
    expect(r.green).toMatchObject({ mode: 'create', deleteOnCancel: false });
    expect(r.traffic).toMatchObject({ steps: [20, 50, 80, 100], stepApproval: 'auto', observe: '10m' });
    expect(r.traffic.route53!.records).toEqual([{ name: 'app.example.com', type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }]);
    expect(r.health).toEqual({ smoke: [], interval: '1m', failureThreshold: 3, onBreach: 'rollback' });
    expect(r).toMatchObject({ bake: '7 days', freeze: '3 days' });
    const oneApprover = { required: 1, excludeStarter: true, excludeApproversOf: [], onExpiry: 'hold', reminderInterval: DEFAULTS.reminderInterval };
    expect(r.approvals).toEqual({
      distinctApprover: false,
      reminderInterval: DEFAULTS.reminderInterval,
      // Every gate: one approver who did not start the migration; decommission two, neither a cutover approver.
      policies: { cutover: oneApprover, step: oneApprover, promote: oneApprover, override: oneApprover, stateful: oneApprover, decommission: { ...oneApprover, required: 2, excludeApproversOf: ['cutover'] } },
    });
    expect(r.decommission).toEqual({ deleteBlue: true, drainNone: 'only the routing Cutover removes reaches blue', lastDelay: '1h' });
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
      { name: 'last-delay', duration: '1h', ends: '1h after the decommission gate is approved; keep-blue cancels it and returns to the gate' },
    ]);
    expect(plan.decommission).toEqual({
      removeRouting: true,
      deleteBlueCluster: 'prod-blue',
      steps: ['remove-blue-routing', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'],
      drain: 'none: only the routing Cutover removes reaches blue',
      lastDelay: '1h',
    });
  });

  it("lists decommissioning's steps in order: blue's load balancers before its node groups and the cluster, Argo CD with gitops, only the routing for a blue that stays", () => {
    const withArgo = resolveSpec({ ...minimal(), gitops: { argocd: { managementContext: 'mgmt' } } });
    expect(buildPlan(withArgo).decommission.steps).toEqual(['remove-blue-routing', 'deregister-argocd', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster']);
    const kept = resolveSpec({ ...minimal(), decommission: { deleteBlue: false } });
    expect(buildPlan(kept).decommission).toEqual({ removeRouting: true, steps: ['remove-blue-routing'] });
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
    expect(plan.decommission.deleteBlueCluster).toBeUndefined();
  });

  it('accepts exactly the steps that rise strictly to 100, and plans each as one shift in that order', () => {
    const rising = fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 5 }).map((greens) => [...greens.sort((a, b) => a - b), 100]);
    // Near misses: one step repeated, or two neighbours swapped.
    const nearMiss = rising.chain((steps) =>
      fc.nat(steps.length - 1).map((i) => (i + 1 < steps.length && i % 2 ? [...steps.slice(0, i), steps[i + 1], steps[i], ...steps.slice(i + 2)] : [...steps.slice(0, i + 1), ...steps.slice(i)])),
    );
    const any = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.oneof(rising, nearMiss, any), (steps) => {
        const spec = minimal();
        spec.traffic.steps = steps;
        const risesTo100 = steps.every((green, i) => i === 0 || green > steps[i - 1]) && steps.at(-1) === 100;
        const stepIssues = checkSpec(spec).filter((issue) => issue.path.startsWith('/traffic/steps'));
        expect(stepIssues.length === 0, JSON.stringify(stepIssues)).toBe(risesTo100);
        if (!risesTo100) return;
        const planned = buildPlan(resolveSpec(spec)).steps;
        expect(planned.map((s) => ({ index: s.index, green: s.weights.green }))).toEqual(steps.map((green, i) => ({ index: i + 1, green })));
      }),
    );
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

  it('needs a hosted zone for route53', () => {
    expect(checkSpec({ ...minimal(), traffic: { driver: 'route53', route53: { records: [{ name: 'a' }] } } })).toEqual([
      { path: '/traffic/route53', message: 'needs hostedZoneId or hostedZoneName' },
    ]);
  });

  it("requires each driver's own settings, naming the field", () => {
    const cases: [MigrationSpec['traffic']['driver'], string][] = [
      ['route53', '/traffic/route53'],
      ['alb', '/traffic/alb'],
      ['external-dns', '/traffic/externalDns'],
      ['service-selector', '/traffic/serviceSelector'],
    ];
    for (const [driver, path] of cases) {
      expect(checkSpec({ ...minimal(), traffic: { driver } }), driver).toEqual([{ path, message: `required when driver is ${driver}` }]);
    }
  });

  it("refuses another driver's settings beside the chosen driver's, pointing external-dns records to their place", () => {
    const spec = externalDnsSpec();
    spec.traffic.route53 = { hostedZoneId: 'Z1', records: [{ name: 'app.example.com' }] };
    spec.traffic.serviceSelector = { cluster: 'edge', namespace: 'shop', service: 'web' };
    expect(checkSpec(spec)).toEqual([
      { path: '/traffic/route53', message: expect.stringContaining('records external-dns writes go in /traffic/externalDns/route53') },
      { path: '/traffic/serviceSelector', message: "is read only by driver service-selector, and this spec's driver is external-dns: remove it" },
    ]);
  });

  it('accepts an external-dns spec and refuses what cannot work with it', () => {
    expect(checkSpec(externalDnsSpec())).toEqual([]);
    const spec = externalDnsSpec();
    spec.traffic.externalDns = {
      greenCluster: 'prod-blue',
      objects: [
        { kind: 'Ingress', namespace: 'shop', name: 'web' },
        { kind: 'Service', namespace: 'shop', name: 'web' },
        { kind: 'Ingress', namespace: 'shop', name: 'web' },
      ],
      route53: { records: [{ name: 'app.example.com' }] },
    };
    expect(checkSpec(spec)).toEqual([
      { path: '/traffic/externalDns/route53', message: 'needs hostedZoneId or hostedZoneName' },
      { path: '/traffic/externalDns/greenCluster', message: expect.stringContaining('different clusters (both are prod-blue)') },
      { path: '/traffic/externalDns/objects/2', message: 'same object as /traffic/externalDns/objects/0' },
    ]);
  });

  it('accepts a service-selector spec; steps other than [100] and a Service in a blue that decommissioning deletes are refused', () => {
    expect(checkSpec(selectorSpec())).toEqual([]);
    expect(checkSpec({ ...selectorSpec(), traffic: { ...selectorSpec().traffic, steps: [100] } })).toEqual([]);
    for (const steps of [[50, 100], [20, 50, 80, 100], [50]]) {
      expect(checkSpec({ ...selectorSpec(), traffic: { ...selectorSpec().traffic, steps } }), String(steps)).toContainEqual({
        path: '/traffic/steps',
        message: expect.stringContaining('must be [100] (or left out) for driver service-selector'),
      });
    }

    const inBlue = selectorSpec();
    inBlue.traffic.serviceSelector = { cluster: 'prod-blue', namespace: 'shop', service: 'web', blueValue: 'v1', greenValue: 'v1' };
    expect(checkSpec(inBlue)).toEqual([
      { path: '/traffic/serviceSelector/greenValue', message: 'blue and green must differ (both are v1)' },
      { path: '/traffic/serviceSelector/cluster', message: expect.stringContaining('decommissioning deletes') },
    ]);
    // Blue kept after the migration: its Service may keep routing.
    expect(checkSpec({ ...inBlue, decommission: { deleteBlue: false } }).map((i) => i.path)).toEqual(['/traffic/serviceSelector/greenValue']);
  });
});

describe('checkSpec: what the API, the CLI and the workflow agree on', () => {
  it('refuses a spec that cannot name its migration (ID migration-<region>-<blue>), naming the field at fault', () => {
    for (const cluster of ['prod blue', 'prod-blüe']) {
      expect(checkSpec({ ...minimal(), blue: { cluster } }), cluster).toEqual([{ path: '/blue/cluster', message: expect.stringContaining('printable ASCII without spaces') }]);
    }
    // A name may be 255 characters; only an (oddly) long region pushes the ID past 400.
    expect(checkSpec({ ...minimal(), blue: { cluster: 'b'.repeat(255) } })).toEqual([]);
    expect(checkSpec({ ...minimal(), region: `eu-${'west'.repeat(100)}-1` })).toEqual([{ path: '/region', message: expect.stringContaining('ID at most 400 characters') }]);
  });

  it('wants a Kubernetes minor of at most 3 digits as the target', () => {
    for (const kubernetesVersion of ['1.34', '1.9', '1.100']) {
      expect(checkSpec({ ...minimal(), green: { cluster: 'prod-green', kubernetesVersion } }), kubernetesVersion).toEqual([]);
    }
    expect(checkSpec({ ...minimal(), green: { cluster: 'prod-green', kubernetesVersion: '1.1000' } })).toEqual([
      { path: '/green/kubernetesVersion', message: 'must be a Kubernetes minor version such as 1.34' },
    ]);
  });

  it('wants IAM role ARNs (any partition) for the accounts\' roles', () => {
    for (const roleArn of ['arn:aws:iam::111122223333:role/cutover-clusters', 'arn:aws-cn:iam::111122223333:role/ops/cutover', 'arn:aws-us-gov:iam::111122223333:role/c']) {
      expect(checkSpec({ ...minimal(), aws: { clusters: { roleArn }, dns: { roleArn, externalId: 'ext-1' } } }), roleArn).toEqual([]);
    }
    expect(checkSpec({ ...minimal(), aws: { clusters: { roleArn: 'cutover-clusters' }, dns: { roleArn: 'arn:aws:iam::1111:user/cutover' } } })).toEqual([
      { path: '/aws/clusters/roleArn', message: expect.stringContaining('is not an IAM role ARN') },
      { path: '/aws/dns/roleArn', message: expect.stringContaining('is not an IAM role ARN') },
    ]);
  });

  it('wants smoke check URLs that parse, with a host', () => {
    const spec: MigrationSpec = {
      ...minimal(),
      health: { smoke: [{ url: 'https://green-lb.example/healthz' }, { url: 'http://' }, { url: 'https://[::1' }] },
    };
    expect(checkSpec(spec)).toEqual([
      { path: '/health/smoke/1/url', message: '"http://" is not a valid http(s) URL' },
      { path: '/health/smoke/2/url', message: '"https://[::1" is not a valid http(s) URL' },
    ]);
  });
});

describe('checkSpec: least durations, so that no loop spins', () => {
  const gitops = { argocd: { managementContext: 'mgmt' } };

  it('refuses a reminder interval under 1m, naming the field and why', () => {
    for (const reminderInterval of ['0s', '59s', '59999ms']) {
      expect(checkSpec({ ...minimal(), approvals: { reminderInterval } }), reminderInterval).toEqual([
        { path: '/approvals/reminderInterval', message: `approvals.reminderInterval "${reminderInterval}" must be at least 1m: a pending gate notifies its approvers again every interval, and 0 would notify in a loop` },
      ]);
    }
    expect(checkSpec({ ...minimal(), approvals: { reminderInterval: '1m' } })).toEqual([]);
    expect(checkSpec({ ...minimal(), approvals: { reminderInterval: '60s' } })).toEqual([]);
  });

  it('refuses a health interval under 1s', () => {
    for (const interval of ['0s', '999ms']) {
      expect(checkSpec({ ...minimal(), health: { smoke: [], interval } }), interval).toEqual([
        { path: '/health/interval', message: expect.stringMatching(new RegExp(`^health\\.interval "${interval}" must be at least 1s: the health watcher checks green once per interval`)) },
      ]);
    }
    expect(checkSpec({ ...minimal(), health: { smoke: [], interval: '1s' } })).toEqual([]);
  });

  it('refuses a smoke check timeout of 0, naming the check; leaving it out keeps the default', () => {
    const smoke = [{ url: 'https://g.example' }, { url: 'https://g.example/a', timeout: '0s' }, { url: 'https://g.example/b', timeout: '500ms' }];
    expect(checkSpec({ ...minimal(), health: { smoke } })).toEqual([
      { path: '/health/smoke/1/timeout', message: expect.stringMatching(/^health\.smoke\[1\]\.timeout "0s" must be more than 0s: the HTTP client reads 0 as no time limit/) },
    ]);
  });

  it('refuses a GitOps sync timeout under 1m', () => {
    expect(checkSpec({ ...minimal(), gitops: { ...gitops, syncTimeout: '30s' } })).toEqual([
      { path: '/gitops/syncTimeout', message: expect.stringMatching(/^gitops\.syncTimeout "30s" must be at least 1m: bootstrapping waits that long/) },
    ]);
    expect(checkSpec({ ...minimal(), gitops: { ...gitops, syncTimeout: '1m' } })).toEqual([]);
  });

  it('lets observe, bake and freeze be 0, and names each field below its least together', () => {
    expect(checkSpec({ ...minimal(), traffic: { ...minimal().traffic, observe: '0s' }, bake: '0s', freeze: '0' })).toEqual([]);
    const spec: MigrationSpec = {
      ...minimal(),
      gitops: { ...gitops, syncTimeout: '0s' },
      health: { smoke: [{ url: 'https://g.example', timeout: '0ms' }], interval: '0s' },
      approvals: { reminderInterval: '0s' },
    };
    expect(checkSpec(spec).map((i) => [i.path, i.message.split(' ')[0]])).toEqual([
      ['/health/interval', 'health.interval'],
      ['/approvals/reminderInterval', 'approvals.reminderInterval'],
      ['/gitops/syncTimeout', 'gitops.syncTimeout'],
      ['/health/smoke/0/timeout', 'health.smoke[0].timeout'],
    ]);
  });

  it('says "not a duration" rather than "too short" for what does not parse', () => {
    expect(checkSpec({ ...minimal(), approvals: { reminderInterval: 'often' } })).toEqual([
      { path: '/approvals/reminderInterval', message: '"often" is not a duration (e.g. "10m", "7 days")' },
    ]);
  });

  it('the defaults pass', () => {
    const r = resolveSpec({ ...minimal(), gitops });
    const spec: MigrationSpec = {
      ...minimal(),
      gitops: { ...gitops, syncTimeout: DEFAULTS.gitopsSyncTimeout },
      health: { smoke: [{ url: 'https://g.example', timeout: '5s' }], interval: r.health.interval },
      approvals: { reminderInterval: r.approvals.reminderInterval },
    };
    expect(checkSpec(spec)).toEqual([]);
  });
});

describe('checkSpec: most durations, so that no spec breaks the workflow', () => {
  const gitops = { argocd: { managementContext: 'mgmt' } };

  it('names each field over its most, with the bound and why', () => {
    const spec: MigrationSpec = {
      ...minimal(),
      traffic: { ...minimal().traffic, observe: '8 days' },
      bake: '366 days',
      freeze: '2 years',
      gitops: { ...gitops, syncTimeout: '25h' },
      health: { smoke: [{ url: 'https://g.example', timeout: '6m' }], interval: '2h' },
      approvals: { reminderInterval: '2 days' },
    };
    expect(checkSpec(spec).map((i) => [i.path, i.message.split(':')[0]])).toEqual([
      ['/traffic/observe', 'traffic.observe "8 days" must be at most 7 days'],
      ['/bake', 'bake "366 days" must be at most 365 days'],
      ['/freeze', 'freeze "2 years" must be at most 365 days'],
      ['/health/interval', 'health.interval "2h" must be at most 1h'],
      ['/approvals/reminderInterval', 'approvals.reminderInterval "2 days" must be at most 1 day'],
      ['/gitops/syncTimeout', 'gitops.syncTimeout "25h" must be at most 1 day'],
      ['/health/smoke/0/timeout', 'health.smoke[0].timeout "6m" must be at most 5m'],
    ]);
    expect(durationIssues(spec)).toEqual(checkSpec(spec));
  });

  it('accepts every bound itself', () => {
    const spec: MigrationSpec = {
      ...minimal(),
      traffic: { ...minimal().traffic, observe: DURATION_LIMITS['traffic.observe'].most.value },
      bake: DURATION_LIMITS.bake.most.value,
      freeze: DURATION_LIMITS.freeze.most.value,
      gitops: { ...gitops, syncTimeout: DURATION_LIMITS['gitops.syncTimeout'].most.value },
      health: { smoke: [{ url: 'https://g.example', timeout: DURATION_LIMITS['health.smoke[].timeout'].most.value }], interval: DURATION_LIMITS['health.interval'].most.value },
      approvals: { reminderInterval: DURATION_LIMITS['approvals.reminderInterval'].most.value },
    };
    expect(checkSpec(spec)).toEqual([]);
  });

  it('refuses durations too long for any timer, and one that parses to infinity', () => {
    expect(checkSpec({ ...minimal(), bake: '300000 years' })).toEqual([{ path: '/bake', message: expect.stringMatching(/^bake "300000 years" must be at most 365 days: /) }]);
    expect(checkSpec({ ...minimal(), bake: `${'9'.repeat(90)} days` })).toEqual([{ path: '/bake', message: expect.stringContaining('must be at most 365 days') }]);
    expect(checkSpec({ ...minimal(), freeze: `${'9'.repeat(400)} days` })).toEqual([{ path: '/freeze', message: expect.stringContaining('is not a duration') }]);
  });
});

describe('DNS waits: alias records and what the plan says each step waits for', () => {
  it('waits 60 s for alias records unless told otherwise, for the route53 driver and for external-dns records alike', () => {
    expect(resolveSpec(minimal()).traffic.route53!.aliasTtl).toBe('60s');
    const spec = externalDnsSpec();
    spec.traffic.externalDns!.route53 = { hostedZoneId: 'Z1', records: [{ name: 'app.example.com', type: 'A' }], aliasTtl: '5m' };
    expect(resolveSpec(spec).traffic.externalDns!.route53!.aliasTtl).toBe('5m');
  });

  it('names an alias TTL beyond its bounds or not a duration, at either place', () => {
    const route53 = minimal();
    route53.traffic.route53!.aliasTtl = '2h';
    expect(checkSpec(route53)).toEqual([{ path: '/traffic/route53/aliasTtl', message: expect.stringMatching(/^traffic\.route53\.aliasTtl "2h" must be at most 1h: /) }]);
    const xdns = externalDnsSpec();
    xdns.traffic.externalDns!.route53 = { hostedZoneId: 'Z1', records: [{ name: 'app.example.com' }], aliasTtl: 'soon' };
    expect(checkSpec(xdns)).toEqual([{ path: '/traffic/externalDns/route53/aliasTtl', message: '"soon" is not a duration (e.g. "10m", "7 days")' }]);
    route53.traffic.route53!.aliasTtl = DURATION_LIMITS['route53.aliasTtl'].most.value;
    expect(checkSpec(route53)).toEqual([]);
    route53.traffic.route53!.aliasTtl = '0s';
    expect(checkSpec(route53)).toEqual([]);
  });

  it('says for every step what it waits for once the weights are written, and why', () => {
    const applied = (spec: MigrationSpec) => {
      const steps = buildPlan(resolveSpec(spec)).steps;
      expect(new Set(steps.map((s) => s.applied)).size).toBe(1);
      return steps[0].applied;
    };
    expect(applied(minimal())).toBe(
      "Route 53 reports the change INSYNC, then the records' TTL as Route 53 holds it, read at each change; alias records (no TTL of their own): TTL 60 s (traffic.route53.aliasTtl, the default)",
    );
    const told = minimal();
    told.traffic.route53!.aliasTtl = '2m';
    expect(applied(told)).toContain('alias records (no TTL of their own): TTL 120 s (traffic.route53.aliasTtl)');

    const xdns = externalDnsSpec();
    expect(applied(xdns)).toBe('the aws-weight annotations read back in both clusters; no DNS wait: no Route 53 records named (traffic.externalDns.route53)');
    xdns.traffic.externalDns!.route53 = { hostedZoneId: 'Z1', records: [{ name: 'app.example.com', type: 'A' }] };
    expect(applied(xdns)).toBe(
      "Route 53 holds the weights external-dns writes, then 60 s for Route 53 to propagate them (INSYNC: external-dns's own change cannot be asked about), then the records' TTL as Route 53 holds it, read at each change; alias records (no TTL of their own): TTL 60 s (traffic.externalDns.route53.aliasTtl, the default)",
    );
    expect(applied(selectorSpec())).toBe("the Service's selector reads back; no DNS wait");
  });
});

describe('a bake over peak windows', () => {
  const peak = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[], from: '09:00', to: '11:00', timeZone: 'Europe/Berlin' };

  it('keeps a bake that is a duration as it was, and resolves the object form to its minimum and windows', () => {
    expect(resolveSpec({ ...minimal(), bake: '2 days' })).toMatchObject({ bake: '2 days', bakePeaks: [] });
    expect(resolveSpec(minimal())).toMatchObject({ bake: '7 days', bakePeaks: [] });
    expect(resolveSpec({ ...minimal(), bake: { minimum: '1 day', peaks: [peak] } })).toMatchObject({ bake: '1 day', bakePeaks: [peak] });
    expect(resolveSpec({ ...minimal(), bake: { minimum: '3 days' } })).toMatchObject({ bake: '3 days', bakePeaks: [] });
  });

  it("plans the bake's minimum and the windows that must pass after it began", () => {
    const [bake] = buildPlan(resolveSpec({ ...minimal(), bake: { minimum: '1 day', peaks: [peak, { ...peak, days: ['sat', 'sun'], timeZone: 'UTC' }] } })).timers;
    expect(bake).toEqual({
      name: 'bake',
      duration: '1 day',
      peaks: ['mon–fri 09:00–11:00 Europe/Berlin', 'sat, sun 09:00–11:00 UTC'],
      ends: expect.stringMatching(/^1 day after the bake begins \(green at 100 %, its last step observed\) at the earliest, and not before the end of the last of these windows to pass whole after it began/),
    });
    expect(buildPlan(resolveSpec({ ...minimal(), bake: { minimum: '1 day' } })).timers[0]).toEqual({ name: 'bake', duration: '1 day' });
  });

  it('names a window in a zone that does not exist, one that does not end after it begins, and a minimum beyond its bound', () => {
    const spec: MigrationSpec = { ...minimal(), bake: { minimum: '400 days', peaks: [peak, { ...peak, timeZone: 'Mars/Olympus' }, { ...peak, from: '11:00', to: '11:00' }, { ...peak, timeZone: '+01:00' }] } };
    expect(checkSpec(spec).map((i) => [i.path, i.message.split(':')[0]])).toEqual([
      ['/bake/minimum', 'bake.minimum "400 days" must be at most 365 days'],
      ['/bake/peaks/1/timeZone', '"Mars/Olympus" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)'],
      ['/bake/peaks/2/to', 'must be later than from (11'],
      ['/bake/peaks/3/timeZone', '"+01'],
    ]);
    expect(checkSpec({ ...minimal(), bake: { minimum: '1 day', peaks: [peak, { ...peak, timeZone: 'America/New_York' }, { ...peak, timeZone: 'UTC' }] } })).toEqual([]);
  });

  it('reads the days of a window as a person writes them', () => {
    expect(peakLabel({ ...peak, days: ['fri', 'mon', 'wed'] })).toBe('mon, wed, fri 09:00–11:00 Europe/Berlin');
    expect(peakLabel({ ...peak, days: ['mon', 'tue', 'wed', 'fri', 'sat', 'sun'] })).toBe('mon–wed, fri–sun 09:00–11:00 Europe/Berlin');
  });
});

describe('resolveSpec of the Kubernetes drivers', () => {
  it('external-dns: clusters default to blue.cluster and green.cluster, record set identifiers to blue/green', () => {
    const spec = externalDnsSpec();
    spec.traffic.externalDns!.route53 = { hostedZoneName: 'example.com.', records: [{ name: 'app.example.com' }] };
    const r = resolveSpec(spec);
    expect(r.traffic.externalDns).toEqual({
      blueCluster: 'prod-blue',
      greenCluster: 'prod-green',
      objects: [{ kind: 'Ingress', namespace: 'shop', name: 'web' }],
      route53: { hostedZoneName: 'example.com.', records: [{ name: 'app.example.com', type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }], aliasTtl: '60s' },
    });
    expect(r.traffic.steps).toEqual(DEFAULTS.steps);
    expect(r.traffic).not.toHaveProperty('route53');
    expect(r.traffic).not.toHaveProperty('serviceSelector');

    spec.traffic.externalDns = { blueCluster: 'old-east', greenCluster: 'new-east', objects: [{ kind: 'Service', namespace: 'shop', name: 'api' }] };
    expect(resolveSpec(spec).traffic.externalDns).toEqual({ blueCluster: 'old-east', greenCluster: 'new-east', objects: [{ kind: 'Service', namespace: 'shop', name: 'api' }] });
  });

  it('service-selector: key track, values blue/green, and one step of 100 unless told', () => {
    const r = resolveSpec(selectorSpec());
    expect(r.traffic.serviceSelector).toEqual({ cluster: 'edge', namespace: 'shop', service: 'web', key: 'track', blueValue: 'blue', greenValue: 'green' });
    expect(r.traffic.steps).toEqual([100]);
    expect(buildPlan(r).steps.map((s) => s.weights)).toEqual([{ blue: 0, green: 100 }]);

    const spec = selectorSpec();
    spec.traffic.serviceSelector = { cluster: 'edge', namespace: 'shop', service: 'web', key: 'app.example.com/version', blueValue: 'v1', greenValue: 'v2' };
    expect(resolveSpec(spec).traffic.serviceSelector).toMatchObject({ key: 'app.example.com/version', blueValue: 'v1', greenValue: 'v2' });
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

describe('clusters named by kubeconfig context', () => {
  const byContext = (): MigrationSpec => ({
    ...minimal(),
    blue: { context: 'anywhere-blue' },
    green: { context: 'anywhere-green', kubernetesVersion: '1.34' },
    traffic: { driver: 'service-selector', serviceSelector: { cluster: 'anywhere-green', namespace: 'shop', service: 'web' } },
    decommission: undefined,
  });

  it('accepts contexts alone: green is adopted, blue goes by its context and is kept at decommission, and the plan says why', () => {
    expect(checkSpec(byContext())).toEqual([]);
    const r = resolveSpec(byContext());
    expect(r.blue).toEqual({ cluster: 'anywhere-blue', context: 'anywhere-blue', eks: false });
    expect(r.green).toMatchObject({ cluster: 'anywhere-green', context: 'anywhere-green', eks: false, mode: 'adopt' });
    expect(r.decommission).toEqual({ deleteBlue: false });
    expect(buildPlan(r).decommission).toEqual({
      removeRouting: true,
      steps: ['remove-blue-routing'],
      keptBecause: 'blue anywhere-blue is named by kubeconfig context, not as an EKS cluster: decommissioning removes its routing and GitOps registration and leaves the cluster running',
    });
    expect(migrationId(byContext())).toBe('migration-eu-west-1-anywhere-blue');
  });

  it('keeps an EKS cluster an EKS cluster when a context is given beside it', () => {
    const spec = { ...minimal(), blue: { cluster: 'prod-blue', context: 'arn:aws:eks:eu-west-1:111122223333:cluster/prod-blue' } };
    expect(checkSpec(spec)).toEqual([]);
    const r = resolveSpec(spec);
    expect(r.blue).toMatchObject({ cluster: 'prod-blue', eks: true });
    expect(r.decommission).toEqual({ deleteBlue: true, drainNone: 'only the routing Cutover removes reaches blue', lastDelay: '1h' });
    expect(buildPlan(r).decommission).toEqual({
      removeRouting: true,
      deleteBlueCluster: 'prod-blue',
      steps: ['remove-blue-routing', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'],
      drain: 'none: only the routing Cutover removes reaches blue',
      lastDelay: '1h',
    });
  });

  it('names the field and why for a cluster named by neither, a green to create without an EKS name, or a context-only blue to delete', () => {
    const neither = { ...minimal(), blue: {} };
    expect(checkSpec(neither)).toContainEqual({ path: '/blue/cluster', message: expect.stringContaining('blue needs an EKS cluster name (blue.cluster), a kubeconfig context (blue.context), or both') });
    const create = { ...byContext(), green: { ...byContext().green, mode: 'create' as const } };
    expect(checkSpec(create)).toContainEqual({ path: '/green/mode', message: expect.stringContaining('green.mode create makes an EKS cluster and needs its name (green.cluster)') });
    const fromContextBlue = { ...byContext(), green: { cluster: 'prod-green', kubernetesVersion: '1.34' } };
    expect(checkSpec(fromContextBlue)).toContainEqual({ path: '/green/mode', message: expect.stringContaining("copies blue's EKS configuration") });
    const deleting = { ...byContext(), decommission: { deleteBlue: true } };
    expect(checkSpec(deleting)).toContainEqual({ path: '/decommission/deleteBlue', message: expect.stringContaining('Cutover deletes only EKS clusters') });
    const same = { ...byContext(), green: { context: 'anywhere-blue', kubernetesVersion: '1.34' } };
    expect(checkSpec(same)).toContainEqual({ path: '/green/context', message: "must differ from blue's (both are anywhere-blue)" });
  });

  it('names a migration by a context that holds slashes with one URL segment', () => {
    expect(migrationId({ region: 'eu-west-1', blue: { context: 'arn:aws:eks:eu-west-1:111122223333:cluster/edge' } })).toBe('migration-eu-west-1-arn:aws:eks:eu-west-1:111122223333:cluster-edge');
  });
});

describe('stateful workloads in the plan', () => {
  const stateful = (s: MigrationSpec['stateful']): MigrationSpec => ({ ...minimal(), stateful: s });

  it('shows the carry-over as validation\'s first step with the zone mapping, gate stateful with its policy in gate mode', () => {
    const plan = buildPlan(resolveSpec(stateful({ quiesce: { mode: 'gate' }, zones: { 'eu-west-1a': 'eu-west-1b' } })));
    expect(plan.gates).toEqual(['stateful', 'cutover', 'decommission']);
    expect(plan.stateful).toMatchObject({ phase: 'validating', zones: { 'eu-west-1a': 'eu-west-1b' } });
    expect(plan.stateful!.carryOver[0]).toBe('claims: every PersistentVolumeClaim in blue bound to an EBS volume');
    expect(plan.stateful!.carryOver[1]).toMatch(/^quiesce: gate stateful/);
    expect(plan.approvalPolicies?.stateful).toBe('1 approval with the approver role, not the starter');
  });

  it('scale-to-zero names the workloads and has no gate; a spec without stateful plans as before', () => {
    const plan = buildPlan(resolveSpec(stateful({ claims: ['shop/data-db-0'], quiesce: { mode: 'scale-to-zero', workloads: ['shop/StatefulSet/db'] } })));
    expect(plan.gates).toEqual(['cutover', 'decommission']);
    expect(plan.stateful!.carryOver.slice(0, 2)).toEqual(['claims: shop/data-db-0', 'quiesce: scale shop/StatefulSet/db in blue to 0 and wait until their pods are gone (replicas restored on rollback or cancel)']);
    const plain = buildPlan(resolveSpec(minimal()));
    expect(plain.stateful).toBeUndefined();
    expect(Object.keys(plain.approvalPolicies ?? {})).toEqual(['cutover', 'step', 'promote', 'decommission', 'override']);
  });

  it('refuses what the schema cannot say, naming the field', () => {
    const issues = checkSpec(
      stateful({
        claims: ['shop/data', 'shop/data', { namespace: 'shop', selector: 'app in (db' }],
        quiesce: { mode: 'gate' },
        zones: { 'us-east-1a': 'eu-west-1b' },
      }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '/stateful/claims/1', message: '"shop/data" is also /stateful/claims/0: each claim once' },
        { path: '/stateful/claims/2/selector', message: expect.stringContaining('"app in (db" is not a label selector') },
        { path: '/stateful/zones/us-east-1a', message: "blue's zone us-east-1a is not in region eu-west-1: EBS snapshots and volumes stay in the migration's region" },
      ]),
    );
    expect(checkSpec(stateful({ claims: [{ namespace: 'shop', selector: 'app=db,tier notin (cache, queue),!legacy' }], quiesce: { mode: 'gate' }, zones: { 'eu-west-1a': 'eu-west-1c' } }))).toEqual([]);
  });
});
