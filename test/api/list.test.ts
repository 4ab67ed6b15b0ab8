// GET /v1/migrations against the dev server's visibility: filters, and cursor pagination
// with pageSize 1 that visits each migration exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '../helpers.js';
import { call, seededSpec } from './support.js';

let api: Harness;
const ids: string[] = [];
const blues: string[] = [];
beforeAll(async () => {
  api = await startHarness();
  for (let i = 0; i < 3; i++) {
    const { spec } = await seededSpec();
    const res = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
    blues.push(spec.blue.cluster);
  }
  // Visibility is eventually consistent: wait until all three are listed at the cutover gate.
  const listed = () => call(api.app, { method: 'GET', url: '/v1/migrations?phase=awaiting-cutover&pageSize=100', token: 'dev-viewer' }).then((r) => r.json());
  await eventually(listed, (page) => ids.every((id) => page.migrations.some((m: { id: string }) => m.id === id)));
});
afterAll(async () => {
  for (const id of ids) await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/cancel`, token: 'dev-operator' });
  await api?.close();
});

type Page = { migrations: { id: string; phase: string; blue: string; workflowStatus: string; links: { temporalUi: string } }[]; nextCursor?: string };
const list = async (query: string): Promise<Page> => {
  const res = await call(api.app, { method: 'GET', url: `/v1/migrations?${query}`, token: 'dev-viewer' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe('GET /v1/migrations', () => {
  it('pages through every migration one at a time, each exactly once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`status=RUNNING&pageSize=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.migrations.length).toBeLessThanOrEqual(1);
      seen.push(...page.migrations.map((m) => m.id));
      cursor = page.nextCursor;
      expect(++pages).toBeLessThan(500);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const ours = seen.filter((id) => ids.includes(id));
    expect(ours).toEqual([...ids].reverse());
  });

  it('filters by blue cluster, phase and status', async () => {
    const byBlue = await list(`blue=${blues[1]}`);
    expect(byBlue.migrations).toEqual([
      expect.objectContaining({ id: ids[1], blue: blues[1], phase: 'awaiting-cutover', workflowStatus: 'RUNNING', links: { temporalUi: expect.stringContaining(ids[1]) } }),
    ]);
    expect((await list(`blue=${blues[1]}&phase=shifting`)).migrations).toEqual([]);
    expect((await list(`blue=${blues[1]}&status=Completed`)).migrations).toEqual([]);
    expect((await list(`blue=${blues[1]}&status=RUNNING&phase=awaiting-cutover`)).migrations.map((m) => m.id)).toEqual([ids[1]]);
  });

  it('refuses a cursor used with other filters', async () => {
    const first = await list('pageSize=1');
    expect(first.nextCursor).toBeDefined();
    const res = await call(api.app, { method: 'GET', url: `/v1/migrations?pageSize=1&phase=failed&cursor=${first.nextCursor}`, token: 'dev-viewer' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/querystring/cursor', message: expect.stringContaining('these filters') }]);
  });
});
