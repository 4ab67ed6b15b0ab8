// spec.stateful over REST: every bad value a 400 naming its field and why, from the schema or
// from checkSpec; a sound one planned with its carry-over and zone mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationSpec } from '../../workflows/spec.js';
import { startApi, type Api } from '../helpers.js';
import { call, seededSpec } from './support.js';

let api: Api;
let spec: MigrationSpec;
beforeAll(async () => {
  api = await startApi();
  spec = (await seededSpec()).spec;
});
afterAll(async () => api?.close());

const plan = (stateful: unknown) => call(api.app, { method: 'POST', url: '/v1/plans', token: 'dev-viewer', payload: { ...spec, stateful } });
const errorsOf = async (stateful: unknown) => {
  const res = await plan(stateful);
  expect(res.statusCode, res.body).toBe(400);
  return res.json().errors as { path: string; message: string }[];
};
const paths = async (stateful: unknown) => (await errorsOf(stateful)).map((e) => e.path);

describe('stateful in a spec', () => {
  it('plans a sound one: the carry-over, its zones and gate stateful', async () => {
    const res = await plan({ claims: ['shop/data-db-0'], quiesce: { mode: 'gate' }, zones: { 'us-east-1a': 'us-east-1b' } });
    expect(res.statusCode, res.body).toBe(200);
    const planned = res.json().plan;
    expect(planned.gates).toEqual(['stateful', 'cutover', 'decommission']);
    expect(planned.stateful).toMatchObject({ phase: 'validating', zones: { 'us-east-1a': 'us-east-1b' }, carryOver: expect.arrayContaining(['claims: shop/data-db-0']) });
    expect(planned.approvalPolicies.stateful).toBeDefined();
  });

  it('400 for each bad field, naming it', async () => {
    expect(await paths({ quiesce: { mode: 'gate' }, claims: ['no-slash'] })).toContain('/stateful/claims/0');
    expect(await paths({ quiesce: { mode: 'gate' }, claims: [] })).toContain('/stateful/claims');
    expect(await paths({ quiesce: { mode: 'freeze' } })).toContain('/stateful/quiesce');
    expect(await paths({ claims: ['shop/data'] })).toContain('/stateful/quiesce');
    expect(await paths({ quiesce: { mode: 'scale-to-zero', workloads: ['shop/DaemonSet/agent'] } })).toContain('/stateful/quiesce');
    expect(await paths({ quiesce: { mode: 'scale-to-zero' } })).toContain('/stateful/quiesce');
    expect(await paths({ quiesce: { mode: 'gate' }, zones: { 'us-east-1a': 'east' } })).toContain('/stateful/zones/us-east-1a');
    expect(await paths({ quiesce: { mode: 'gate' }, extra: true })).toContain('/stateful/extra');
    expect(await paths({ quiesce: { mode: 'gate' }, zones: { 'zone a': 'us-east-1b' } })).toContain('/stateful/zones/zone a');
  });

  it('400 for what the schema cannot say: a zone outside the region, a claim named twice, a selector that does not parse', async () => {
    expect(await errorsOf({ quiesce: { mode: 'gate' }, zones: { 'us-east-1a': 'eu-west-1a' } })).toContainEqual({
      path: '/stateful/zones/us-east-1a',
      message: "green's zone eu-west-1a is not in region us-east-1: EBS snapshots and volumes stay in the migration's region",
    });
    expect(await errorsOf({ quiesce: { mode: 'gate' }, claims: ['shop/a', 'shop/a'] })).toContainEqual({ path: '/stateful/claims/1', message: '"shop/a" is also /stateful/claims/0: each claim once' });
    expect((await errorsOf({ quiesce: { mode: 'gate' }, claims: [{ namespace: 'shop', selector: 'app in (db' }] })).map((e) => e.path)).toContain('/stateful/claims/0/selector');
  });
});
