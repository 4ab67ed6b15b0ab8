// Every /v1 endpoint through the real app factory against the real dev server, worker and
// moto: each success path and each error code, with the migration's state in every 409.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, TEST_DECOMMISSION, type Harness } from '../helpers.js';
import { call, seededSpec, startAtCutover, weightsInMoto } from './support.js';

let api: Harness;
beforeAll(async () => {
  api = await startHarness();
});
afterAll(async () => {
  await api?.close();
});

const post = (url: string, token: string, payload?: object) => call(api.app, { method: 'POST', url, token, ...(payload ? { payload } : {}) });

describe('POST /v1/plans', () => {
  it('returns the plan with its steps, gates and timers, and where the run will be', async () => {
    const { spec } = await seededSpec({ traffic: { stepApproval: 'manual' } });
    const res = await post('/v1/plans', 'dev-viewer', spec);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.id).toBe(`migration-${spec.region}-${spec.blue.cluster}`);
    expect(body.plan.steps.map((s: { weights: { green: number } }) => s.weights.green)).toEqual([20, 50, 100]);
    expect(body.plan.gates).toEqual(['cutover', 'step-2', 'step-3', 'decommission']);
    expect(body.plan.decommission).toEqual({
      removeRouting: true,
      deleteBlueCluster: spec.blue.cluster,
      steps: ['remove-blue-routing', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'],
      drain: `none: ${TEST_DECOMMISSION.drain.none}`,
      lastDelay: '0s',
    });
    expect(body.links.temporalUi).toBe(`http://ui.test/namespaces/default/workflows/${body.id}`);
  });

  it('400 for a spec that deletes blue without a drain source or {"none": reason}, naming the field and why; nothing starts', async () => {
    const { spec } = await seededSpec({ decommission: { lastDelay: '10m' } });
    for (const url of ['/v1/plans', '/v1/migrations']) {
      const res = await post(url, 'dev-operator', spec);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors).toEqual([{ path: '/decommission/drain', message: expect.stringContaining('is required when blue is deleted') }]);
    }
    const kept = await post('/v1/plans', 'dev-operator', { ...spec, decommission: { deleteBlue: false } });
    expect(kept.statusCode, kept.body).toBe(200);
  });

  it('400 names every schema error by field path and reason', async () => {
    const res = await post('/v1/plans', 'dev-viewer', {
      region: 'Mars',
      blue: { cluster: '' },
      green: { cluster: 'g', kubernetesVersion: 'latest', colour: 'green' },
      traffic: { driver: 'carrier-pigeon', steps: [0] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: '/region', message: expect.stringContaining('pattern') },
        { path: '/blue/cluster', message: 'must NOT have fewer than 1 characters' },
        { path: '/green/kubernetesVersion', message: expect.stringContaining('pattern') },
        { path: '/green/colour', message: 'is not allowed' },
        { path: '/traffic/driver', message: expect.stringMatching(/^must be one of route53, alb/) },
        { path: '/traffic/steps/0', message: expect.stringContaining('>= 1') },
      ]),
    );
  });

  it('plans a bake over peak windows and the DNS wait of each step; 400 names a peak window that cannot be, and an alias TTL out of bounds', async () => {
    const { spec } = await seededSpec();
    const peak = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '11:00', timeZone: 'Europe/Berlin' };
    const res = await post('/v1/plans', 'dev-viewer', { ...spec, bake: { minimum: '7 days', peaks: [peak] } });
    expect(res.statusCode, res.body).toBe(200);
    const { plan } = res.json();
    expect(plan.timers[0]).toEqual({ name: 'bake', duration: '7 days', peaks: ['mon–fri 09:00–11:00 Europe/Berlin'], ends: expect.stringMatching(/^7 days after the bake begins \(green at 100 %, its last step observed\) at the earliest, and not before the end of the last of these windows/) });
    expect(plan.steps[0].applied).toMatch(/^Route 53 reports the change INSYNC, then the records' TTL .*TTL 60 s \(traffic\.route53\.aliasTtl, the default\)$/);
    // A plain duration stays a bake.
    expect((await post('/v1/plans', 'dev-viewer', { ...spec, bake: '2 days' })).json().plan.timers[0]).toEqual({ name: 'bake', duration: '2 days' });

    const schema = await post('/v1/plans', 'dev-viewer', { ...spec, bake: { minimum: '7 days', peaks: [{ ...peak, days: ['mon', 'funday'], from: '9am' }] } });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/bake/peaks/0/days/1', message: 'must be one of mon, tue, wed, thu, fri, sat, sun' },
        { path: '/bake/peaks/0/from', message: expect.stringContaining('pattern') },
      ]),
    );
    const checks = await post('/v1/plans', 'dev-viewer', {
      ...spec,
      traffic: { ...spec.traffic, route53: { ...spec.traffic.route53, aliasTtl: '2h' } },
      bake: { minimum: '366 days', peaks: [{ ...peak, timeZone: 'Europe/Atlantis' }, { ...peak, from: '11:00', to: '09:00' }] },
    });
    expect(checks.statusCode).toBe(400);
    expect(checks.json().errors).toEqual([
      { path: '/bake/minimum', message: expect.stringMatching(/^bake\.minimum "366 days" must be at most 365 days/) },
      { path: '/traffic/route53/aliasTtl', message: expect.stringMatching(/^traffic\.route53\.aliasTtl "2h" must be at most 1h/) },
      { path: '/bake/peaks/0/timeZone', message: '"Europe/Atlantis" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)' },
      { path: '/bake/peaks/1/to', message: expect.stringContaining('must be later than from (11:00)') },
    ]);
  });

  it('400 for a webhook URL in a spec (a secret kept in history for good), saying to name a channel of the worker instead', async () => {
    const { spec } = await seededSpec();
    for (const [url, token] of [['/v1/plans', 'dev-viewer'], ['/v1/migrations', 'dev-operator']]) {
      const res = await post(url, token, { ...spec, notify: { webhookUrl: 'https://hooks.slack.example/T0/B0/secret' } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().errors).toEqual([
        { path: '/notify/webhookUrl', message: expect.stringMatching(/^webhook URLs are secrets .*notify\.channel.*CUTOVER_NOTIFY_CHANNELS.*CUTOVER_NOTIFY_CHANNELS_FILE/) },
      ]);
    }
    expect((await post('/v1/plans', 'dev-viewer', { ...spec, notify: { channel: 'platform-oncall' } })).statusCode).toBe(200);
  });

  it('400 names every semantic error the schema cannot express', async () => {
    const { spec } = await seededSpec();
    const res = await post('/v1/plans', 'dev-viewer', {
      ...spec,
      green: { ...spec.green, cluster: spec.blue.cluster },
      traffic: { driver: 'alb', steps: [50, 20, 90], observe: 'soon' },
      bake: 'a week',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/traffic/steps/1', message: 'must be greater than previous step' },
        { path: '/traffic/steps/2', message: 'last step must be 100' },
        { path: '/traffic/observe', message: expect.stringContaining('not a duration') },
        { path: '/bake', message: expect.stringContaining('not a duration') },
        { path: '/traffic/alb', message: 'required when driver is alb' },
        { path: '/green/cluster', message: 'must differ from blue cluster' },
      ]),
    );
  });

  it('plans an external-dns spec with the default steps 20/50/80/100', async () => {
    const { spec, w } = await seededSpec();
    const res = await post('/v1/plans', 'dev-viewer', {
      ...spec,
      traffic: {
        driver: 'external-dns',
        externalDns: {
          objects: [{ kind: 'Ingress', namespace: 'shop', name: 'web' }],
          route53: { hostedZoneName: w.world.zoneName, records: [{ name: w.world.recordName }] },
        },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().plan.steps.map((s: { weights: { green: number } }) => s.weights.green)).toEqual([20, 50, 80, 100]);
  });

  it('plans a service-selector spec as one switch to green', async () => {
    const { spec } = await seededSpec();
    const res = await post('/v1/plans', 'dev-viewer', {
      ...spec,
      traffic: { driver: 'service-selector', serviceSelector: { cluster: spec.green.cluster, namespace: 'shop', service: 'web', key: 'app.kubernetes.io/track' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().plan.steps).toEqual([{ index: 1, weights: { blue: 0, green: 100 }, applied: "the Service's selector reads back; no DNS wait", observe: '10m' }]);
    expect(res.json().plan.gates).toEqual(['cutover', 'decommission']);
  });

  it('plans every example spec in examples/', async () => {
    const dir = new URL('../../examples/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['sandbox.json', 'external-dns.json', 'service-selector.json']));
    for (const file of files) {
      const res = await post('/v1/plans', 'dev-viewer', JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
      expect(res.statusCode, `${file}: ${res.body}`).toBe(200);
    }
  });

  it("400 names the missing settings of each driver, and another driver's settings left beside them", async () => {
    const { spec } = await seededSpec();
    for (const [driver, path] of [
      ['external-dns', '/traffic/externalDns'],
      ['service-selector', '/traffic/serviceSelector'],
      ['alb', '/traffic/alb'],
    ]) {
      const res = await post('/v1/plans', 'dev-viewer', { ...spec, traffic: { driver } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors).toEqual([{ path, message: `required when driver is ${driver}` }]);
    }
    // The route53 settings of the seeded spec stay while the driver changes: misplaced external-dns records.
    const res = await post('/v1/plans', 'dev-viewer', { ...spec, traffic: { ...spec.traffic, driver: 'external-dns', externalDns: { objects: [{ kind: 'Ingress', namespace: 'shop', name: 'web' }] } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/traffic/route53', message: expect.stringContaining('go in /traffic/externalDns/route53') }]);
  });

  it('400 names every invalid field of the external-dns and service-selector settings', async () => {
    const { spec } = await seededSpec();
    const schemaErrors = async (traffic: object) => {
      const res = await post('/v1/plans', 'dev-viewer', { ...spec, traffic });
      expect(res.statusCode, res.body).toBe(400);
      return res.json().errors;
    };
    expect(
      await schemaErrors({ driver: 'external-dns', externalDns: { objects: [{ kind: 'Deployment', namespace: 'Shop_1', name: 'web' }], blueCluster: '', weight: 5 } }),
    ).toEqual(
      expect.arrayContaining([
        { path: '/traffic/externalDns/objects/0/kind', message: expect.stringContaining('must be one of Ingress, Service') },
        { path: '/traffic/externalDns/objects/0/namespace', message: expect.stringContaining('pattern') },
        { path: '/traffic/externalDns/blueCluster', message: expect.stringContaining('fewer than 1') },
        { path: '/traffic/externalDns/weight', message: 'is not allowed' },
      ]),
    );
    expect(await schemaErrors({ driver: 'external-dns', externalDns: { objects: [] } })).toEqual([{ path: '/traffic/externalDns/objects', message: expect.stringContaining('fewer than 1') }]);
    expect(await schemaErrors({ driver: 'service-selector', serviceSelector: { namespace: 'shop', service: 'Web', key: 'a/b/c' } })).toEqual(
      expect.arrayContaining([
        { path: '/traffic/serviceSelector/cluster', message: 'is required' },
        { path: '/traffic/serviceSelector/service', message: expect.stringContaining('pattern') },
        { path: '/traffic/serviceSelector/key', message: expect.stringContaining('pattern') },
      ]),
    );
    // Schema-valid, but not a sound plan.
    expect(
      await schemaErrors({ driver: 'service-selector', steps: [50, 100], serviceSelector: { cluster: spec.blue.cluster, namespace: 'shop', service: 'web', greenValue: 'blue' } }),
    ).toEqual([
      { path: '/traffic/steps', message: expect.stringContaining('must be [100] (or left out) for driver service-selector') },
      { path: '/traffic/serviceSelector/greenValue', message: 'blue and green must differ (both are blue)' },
      { path: '/traffic/serviceSelector/cluster', message: expect.stringContaining('decommissioning deletes') },
    ]);
    expect(await schemaErrors({ driver: 'external-dns', externalDns: { greenCluster: spec.blue.cluster, objects: [{ kind: 'Service', namespace: 'shop', name: 'web' }], route53: { records: [{ name: 'a.example.com' }] } } })).toEqual([
      { path: '/traffic/externalDns/route53', message: 'needs hostedZoneId or hostedZoneName' },
      { path: '/traffic/externalDns/greenCluster', message: expect.stringContaining('different clusters') },
    ]);
  });

  it("400 when the target is not newer than blue's version in EKS", async () => {
    const { spec } = await seededSpec();
    const res = await post('/v1/plans', 'dev-viewer', { ...spec, green: { ...spec.green, kubernetesVersion: '1.33' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/green/kubernetesVersion', message: "must be newer than blue's version 1.33" }]);
  });

  it('400 from POST /v1/plans and POST /v1/migrations alike for durations below their least, and nothing starts', async () => {
    const { spec } = await seededSpec({
      approvals: { distinctApprover: true, reminderInterval: '0s' },
      health: { smoke: [{ url: 'https://green.example', timeout: '0s' }], interval: '500ms' },
      gitops: { argocd: { managementContext: 'management' }, syncTimeout: '30s' },
    });
    const expected = [
      { path: '/health/interval', message: expect.stringMatching(/^health\.interval "500ms" must be at least 1s: /) },
      { path: '/approvals/reminderInterval', message: expect.stringMatching(/^approvals\.reminderInterval "0s" must be at least 1m: .*notify in a loop/) },
      { path: '/gitops/syncTimeout', message: expect.stringMatching(/^gitops\.syncTimeout "30s" must be at least 1m: /) },
      { path: '/health/smoke/0/timeout', message: expect.stringMatching(/^health\.smoke\[0\]\.timeout "0s" must be more than 0s: /) },
    ];
    for (const [url, token] of [['/v1/plans', 'dev-viewer'], ['/v1/migrations', 'dev-operator']]) {
      const res = await post(url, token, spec);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json().errors, url).toEqual(expected);
    }
    const id = `migration-${spec.region}-${spec.blue.cluster}`;
    expect((await call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' })).statusCode).toBe(404);

    // At the least values, and with observe, bake and freeze at 0, the spec plans.
    const least = {
      ...spec,
      traffic: { ...spec.traffic, observe: '0s' },
      approvals: { reminderInterval: '1m' },
      health: { smoke: [{ url: 'https://green.example', timeout: '1ms' }], interval: '1s' },
      gitops: { argocd: { managementContext: 'management' }, syncTimeout: '1m' },
      notify: undefined,
    };
    const ok = await post('/v1/plans', 'dev-viewer', least);
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('a migration driven through every endpoint', () => {
  it('answers each request that does not apply with 409 and the phase it is in', async () => {
    const { spec } = await seededSpec();
    const { id } = await startAtCutover(api, spec);

    const again = await post('/v1/migrations', 'dev-operator', spec);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'Conflict', id, phase: 'awaiting-cutover', workflowStatus: 'RUNNING', links: { temporalUi: expect.stringContaining(id) } });
    expect(again.json().message).toContain('already running');

    const refusals: [string, object | undefined, RegExp][] = [
      ['approvals', { gate: 'decommission', decision: 'approve' }, /gate decommission is not pending.*pending gate cutover/],
      ['rollback', { reason: 'nothing shifted yet' }, /nothing to roll back/],
      ['retry', undefined, /only a rolled-back or held \(needs-attention\) migration/],
      ['abort', undefined, /only a rolled-back or held \(needs-attention\) migration/],
      ['resume', undefined, /not paused/],
    ];
    for (const [action, payload, message] of refusals) {
      const res = await post(`/v1/migrations/${id}/${action}`, action === 'approvals' ? 'dev-approver-1' : 'dev-operator', payload);
      expect(res.statusCode, `${action}: ${res.body}`).toBe(409);
      expect(res.json()).toMatchObject({ error: 'Conflict', phase: 'awaiting-cutover', workflowStatus: 'RUNNING', requestId: res.headers['x-request-id'] });
      expect(res.json().message).toMatch(message);
    }

    expect((await post(`/v1/migrations/${id}/pause`, 'dev-operator', { reason: 'change freeze' })).json()).toMatchObject({ ok: true });
    const twice = await post(`/v1/migrations/${id}/pause`, 'dev-operator');
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ phase: 'awaiting-cutover', message: expect.stringContaining('already paused') });
    expect((await post(`/v1/migrations/${id}/resume`, 'dev-operator')).statusCode).toBe(200);
  });

  it('approves, rolls back, retries and cancels, each visible in status and in moto', async () => {
    const { spec } = await seededSpec();
    const { id, status } = await startAtCutover(api, spec);

    const current = await status();
    expect(current).toMatchObject({ id, phase: 'awaiting-cutover', workflowStatus: 'RUNNING', paused: false, weights: { blue: 100, green: 0 }, startedBy: 'ops@sandbox' });
    expect(current.links.temporalUi).toBe(`http://ui.test/namespaces/default/workflows/${id}`);

    const approved = await post(`/v1/migrations/${id}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve', comment: 'go' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ gate: 'cutover', decision: 'approve', links: { temporalUi: expect.any(String) } });
    await eventually(status, (s) => s.step?.index === 1 && s.weights.green === 20);

    const rollback = await post(`/v1/migrations/${id}/rollback`, 'dev-operator', { reason: 'latency' });
    expect(rollback.statusCode, rollback.body).toBe(202);
    expect(rollback.json()).toMatchObject({ accepted: true });
    await eventually(status, (s) => s.phase === 'rolled-back');
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);

    expect((await post(`/v1/migrations/${id}/retry`, 'dev-operator', { reason: 'fixed' })).statusCode).toBe(200);
    await eventually(status, (s) => s.phase === 'awaiting-cutover');

    expect((await post(`/v1/migrations/${id}/cancel`, 'dev-operator', { reason: 'not this week' })).statusCode).toBe(200);
    const cancelled = await eventually(status, (s) => s.workflowStatus === 'COMPLETED');
    expect(cancelled.phase).toBe('cancelled');
    expect(cancelled.audit.at(-1)).toMatchObject({ actor: 'ops@sandbox', action: 'cancel', reason: 'not this week' });

    const ended = await post(`/v1/migrations/${id}/cancel`, 'dev-operator');
    expect(ended.statusCode).toBe(409);
    expect(ended.json()).toMatchObject({ phase: 'cancelled', workflowStatus: 'COMPLETED', message: expect.stringContaining('has ended') });
  });

  it('refuses self-approval (403) and rolls back with ?wait=true (200)', async () => {
    // An approver starts it: with the sandbox's three approvers, the default decommission policy
    // (two besides the starter and the cutover approver) could never be met, so it asks for one.
    const { spec } = await seededSpec({ approvals: { decommission: { required: 1 } } });
    const { id, status } = await startAtCutover(api, spec, 'dev-approver-1');

    const self = await post(`/v1/migrations/${id}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ error: 'Forbidden', phase: 'awaiting-cutover', message: 'alice@sandbox started this migration and may not decide gate cutover' });

    expect((await post(`/v1/migrations/${id}/approvals`, 'dev-approver-2', { gate: 'cutover', decision: 'approve' })).statusCode).toBe(200);
    await eventually(status, (s) => s.weights.green === 20);

    const rollback = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, token: 'dev-operator', payload: { reason: 'errors' } });
    expect(rollback.statusCode, rollback.body).toBe(200);
    expect(rollback.json()).toMatchObject({ accepted: true, weights: { blue: 100, green: 0 } });
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);

    expect((await post(`/v1/migrations/${id}/abort`, 'dev-operator')).statusCode).toBe(200);
    await eventually(status, (s) => s.phase === 'aborted' && s.workflowStatus === 'COMPLETED');
  });

  it('rejecting the cutover gate rolls back to blue', async () => {
    const { spec } = await seededSpec();
    const { id, status } = await startAtCutover(api, spec);
    const rejected = await post(`/v1/migrations/${id}/approvals`, 'dev-approver-2', { gate: 'cutover', decision: 'reject', comment: 'not ready' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({ gate: 'cutover', decision: 'reject' });
    await eventually(status, (s) => s.phase === 'rolled-back');
    await post(`/v1/migrations/${id}/abort`, 'dev-operator');
  });
});

describe('unknown and malformed requests', () => {
  const unknown = 'migration-us-east-1-no-such-cluster';

  it('404 for an unknown migration on every route that names one', async () => {
    const routes: [string, string, string, object?][] = [
      ['GET', `/v1/migrations/${unknown}`, 'dev-viewer'],
      ['GET', `/v1/migrations/${unknown}/events`, 'dev-viewer'],
      ['POST', `/v1/migrations/${unknown}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' }],
      ['POST', `/v1/migrations/${unknown}/rollback`, 'dev-operator', { reason: 'x' }],
      ...['pause', 'resume', 'retry', 'abort', 'cancel'].map((a): [string, string, string] => ['POST', `/v1/migrations/${unknown}/${a}`, 'dev-operator']),
    ];
    for (const [method, url, token, payload] of routes) {
      const res = await call(api.app, { method: method as 'GET', url, token, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.json()).toMatchObject({ error: 'Not Found', message: `no migration ${unknown}`, requestId: expect.any(String) });
    }
  });

  it('400 for a malformed ID, gate, decision, rollback without reason, or list filter', async () => {
    const cases: [string, string, string, object?, string?][] = [
      ['GET', '/v1/migrations/has%20space', 'dev-viewer', undefined, '/params/id'],
      ['POST', `/v1/migrations/${unknown}/approvals`, 'dev-approver-1', { gate: 'lunch', decision: 'approve' }, '/gate'],
      ['POST', `/v1/migrations/${unknown}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'maybe' }, '/decision'],
      ['POST', `/v1/migrations/${unknown}/rollback`, 'dev-operator', {}, '/reason'],
      ['POST', `/v1/migrations/${unknown}/rollback`, 'dev-operator', { reason: '   ' }, '/reason'],
      ['POST', `/v1/migrations/${unknown}/pause`, 'dev-operator', { why: 'x' }, '/why'],
      ['GET', '/v1/migrations?pageSize=0', 'dev-viewer', undefined, '/querystring/pageSize'],
      ['GET', '/v1/migrations?phase=sideways', 'dev-viewer', undefined, '/querystring/phase'],
      ['GET', "/v1/migrations?blue=x'%20OR%201=1", 'dev-viewer', undefined, '/querystring/blue'],
      ['GET', '/v1/migrations?cursor=bm90LWEtY3Vyc29y', 'dev-viewer', undefined, '/querystring/cursor'],
    ];
    for (const [method, url, token, payload, path] of cases) {
      const res = await call(api.app, { method: method as 'GET', url, token, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path), `${method} ${url}`).toContain(path);
    }
  });
});
