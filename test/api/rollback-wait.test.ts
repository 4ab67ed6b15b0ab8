// rollback?wait=true while Route 53 refuses every change (throttled): the API answers 202 once
// its wait ends, saying the rollback goes on, instead of holding the request open for as long
// as Route 53 refuses, and `cutover rollback --wait` exits 1 with those words; once Route 53
// takes changes again, blue carries everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/support.js';
import { eventually, startHarness, type Harness } from '../helpers.js';
import { activitiesWith, type FaultProxy, isChangeBatch, ROUTE53_THROTTLING, startFaultProxy } from '../integration/support.js';
import { call, seededSpec, startAtCutover, weightsInMoto } from './support.js';

const ROLLBACK_WAIT_MS = 2_000;
const NOT_YET = `rollback accepted, but blue did not carry all traffic within ${ROLLBACK_WAIT_MS / 1000} s; it goes on (a write that keeps failing is retried): follow the migration's status`;

let proxy: FaultProxy;
let api: Harness;
let apiUrl: string;
beforeAll(async () => {
  proxy = await startFaultProxy();
  api = await startHarness(activitiesWith({ endpoint: proxy.url }), { rollbackWaitMs: ROLLBACK_WAIT_MS });
  apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
  await proxy?.close();
});

/** A migration with green at 20 %. */
async function atFirstStep() {
  const { spec } = await seededSpec();
  const { id, status } = await startAtCutover(api, spec);
  const approved = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token: 'dev-approver-1', payload: { gate: 'cutover', decision: 'approve' } });
  expect(approved.statusCode, approved.body).toBe(200);
  await eventually(status, (s) => s.weights.green === 20);
  return { spec, id, status };
}

describe('rollback?wait=true while blue cannot be written', () => {
  it('202 (and the CLI exits 1) after the wait, saying the rollback goes on; blue carries everything once Route 53 takes changes', async () => {
    const [viaRest, viaCli] = await Promise.all([atFirstStep(), atFirstStep()]);
    proxy.inject(isChangeBatch, ROUTE53_THROTTLING, Number.MAX_SAFE_INTEGER);

    const rollback = await call(api.app, { method: 'POST', url: `/v1/migrations/${viaRest.id}/rollback?wait=true`, token: 'dev-operator', payload: { reason: 'errors' } });
    expect(rollback.statusCode, rollback.body).toBe(202);
    expect(rollback.json()).toMatchObject({ accepted: true, message: NOT_YET, links: { temporalUi: expect.any(String) } });
    const cli = await runCli(apiUrl, 'dev-operator', 'rollback', viaCli.id, '--reason', 'errors', '--wait');
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stdout.trim()).toBe(NOT_YET);
    for (const m of [viaRest, viaCli]) expect(await weightsInMoto(m.spec)).toEqual([{ blue: 80, green: 20 }]);
    expect(proxy.calls.filter(isChangeBatch).length).toBeGreaterThan(2);

    proxy.clear();
    for (const m of [viaRest, viaCli]) {
      await eventually(m.status, (s) => s.phase === 'rolled-back');
      expect(await weightsInMoto(m.spec)).toEqual([{ blue: 100, green: 0 }]);
    }
  });
});
