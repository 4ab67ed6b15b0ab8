// Nothing a request can say breaks the workflow or the API: every duration has a most (a spec
// past it is a 400 naming the field and the bound, before anything starts), error lists are
// capped with a count of the rest, and a body past the limit is a 413 that says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { BODY_LIMIT_BYTES, sandboxApiConfig } from '../../api/config.js';
import { MAX_LISTED_ERRORS } from '../../api/errors.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, stack, TEST_DECOMMISSION, uniqueName } from '../helpers.js';
import { connectClient } from '../../config/connections.js';

let connection: Connection;
let app: FastifyInstance;
beforeAll(async () => {
  connection = await connectClient({ address: stack().temporalAddress });
  app = await buildApp({ config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test'), temporal: new Client({ connection }), taskQueue: uniqueName('tq-nobody') });
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
});

const spec = (overrides: Partial<MigrationSpec> = {}): MigrationSpec => ({
  region: 'us-east-1',
  blue: { cluster: uniqueName('blue') },
  green: { cluster: 'bounds-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneName: 'example.com.', records: [{ name: 'app.example.com' }] } },
  decommission: TEST_DECOMMISSION,
  ...overrides,
});
const post = (url: string, payload: object | string, token = 'dev-operator') =>
  app.inject({ method: 'POST', url, headers: { ...auth(token), 'content-type': 'application/json' }, payload });

describe('durations past their most', () => {
  it.each(['/v1/plans', '/v1/migrations'])('POST %s: 400 naming each field and its bound; nothing starts', async (url) => {
    const tooLong = spec({
      traffic: { ...spec().traffic, observe: '8 days' },
      bake: '400 days',
      health: { smoke: [{ url: 'https://green.example', timeout: '10m' }], interval: '2h' },
      approvals: { reminderInterval: '3 days' },
      gitops: { argocd: { managementContext: 'mgmt' }, syncTimeout: '2 days' },
    });
    const res = await post(url, tooLong);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual([
      { path: '/traffic/observe', message: expect.stringMatching(/^traffic\.observe "8 days" must be at most 7 days: /) },
      { path: '/bake', message: expect.stringMatching(/^bake "400 days" must be at most 365 days: /) },
      { path: '/health/interval', message: expect.stringMatching(/^health\.interval "2h" must be at most 1h: /) },
      { path: '/approvals/reminderInterval', message: expect.stringMatching(/^approvals\.reminderInterval "3 days" must be at most 1 day: /) },
      { path: '/gitops/syncTimeout', message: expect.stringMatching(/^gitops\.syncTimeout "2 days" must be at most 1 day: /) },
      { path: '/health/smoke/0/timeout', message: expect.stringMatching(/^health\.smoke\[0\]\.timeout "10m" must be at most 5m: /) },
    ]);
    if (url === '/v1/migrations') {
      const id = `migration-${tooLong.region}-${tooLong.blue.cluster}`;
      await expect(new Client({ connection }).workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
    }
  });

  it('"300000 years" and ninety nines of days are a 400, not a migration that breaks once its timer starts', async () => {
    const years = await post('/v1/migrations', spec({ bake: '300000 years' }));
    expect(years.statusCode, years.body).toBe(400);
    expect(years.json().errors).toEqual([{ path: '/bake', message: expect.stringContaining('"300000 years" must be at most 365 days') }]);
    const nines = await post('/v1/migrations', spec({ freeze: `${'9'.repeat(90)} days` }));
    expect(nines.statusCode, nines.body).toBe(400);
    expect(nines.json().errors).toEqual([{ path: '/freeze', message: expect.any(String) }]);
  });
});

describe('long lists', () => {
  it('100,000 out-of-range steps: a 400 that lists the first problems and counts the rest, in a small body', async () => {
    const steps = Array.from({ length: 100_000 }, () => 101);
    const res = await post('/v1/plans', spec({ traffic: { ...spec().traffic, steps } }), 'dev-viewer');
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(16 * 1024);
    const body = res.json();
    expect(body.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(body.errors).toContainEqual({ path: '/traffic/steps', message: 'must NOT have more than 100 items' });
    expect(body.truncated).toBeGreaterThan(99_000);
    expect(body.errors.at(-1)).toEqual({ path: '/', message: `and ${body.truncated} more problems not listed` });
  });

  it('a body past the limit is a 413 that names it', async () => {
    const huge = JSON.stringify({ ...spec(), padding: 'x'.repeat(BODY_LIMIT_BYTES) });
    const res = await post('/v1/plans', huge, 'dev-viewer');
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'Payload Too Large', message: expect.stringContaining(`larger than ${BODY_LIMIT_BYTES / 1024} kB`) });
  });
});

describe('traffic.observedShare', () => {
  const source = { prometheus: { query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' } };
  it('a tolerance outside 0–100 and a window past its most are a 400 naming the fields; a good one is in the plan of every step', async () => {
    const bad = spec({ traffic: { ...spec().traffic, observedShare: { green: source, blue: source, tolerance: 150, window: '2 days' } } });
    const res = await post('/v1/plans', bad, 'dev-viewer');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toContainEqual({ path: '/traffic/observedShare/tolerance', message: expect.stringMatching(/100/) });

    const badWindow = spec({ traffic: { ...spec().traffic, observedShare: { green: source, blue: source, window: '2 days' } } });
    expect((await post('/v1/plans', badWindow, 'dev-viewer')).json().errors).toContainEqual({
      path: '/traffic/observedShare/window',
      message: expect.stringMatching(/^traffic\.observedShare\.window "2 days" must be at most 1 day: /),
    });

    const good = await post('/v1/plans', spec({ traffic: { ...spec().traffic, steps: [50, 100], observedShare: { green: source, blue: source } } }), 'dev-viewer');
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json().plan.steps.map((s: { observedShare?: string }) => s.observedShare)).toEqual([
      expect.stringMatching(/^green's share of traffic within 40–60 % over 5m .* waited for at most 30m$/),
      expect.stringMatching(/^green's share of traffic within 90–100 % over 5m .* waited for at most 30m$/),
    ]);
  });
});
