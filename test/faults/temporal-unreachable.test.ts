// The API cut off from Temporal (its connection through toxiproxy, refused), while the worker
// still reaches it: a status and a decision answer 503 within the API's waits, not after the
// seconds to minutes the Temporal SDK's own retries of a refused call could take; once the API
// reaches Temporal again, the decision goes through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, stack, startApi, startHarness, type Api, type Harness } from '../helpers.js';
import { cleanup, faultSpec, migrationApi, report, seedFaultWorld, startMigration, Toxiproxy } from './support.js';

/** The API's waits in this test: a status query, and a worker accepting a decision. */
const WAIT_MS = 1_000;
/**
 * What an answer may take with Temporal out of reach: the waits (a decision's check for pollers,
 * 2 s, and WAIT_MS), each overrun by at most one retry backoff of the SDK (2 s here). The SDK
 * alone retries a refused call ten times, 16 to 24 s.
 */
const ANSWER_WITHIN_S = 10;

let toxiproxy: Toxiproxy;
let harness: Harness;
let api: Api;

beforeAll(async () => {
  toxiproxy = await Toxiproxy.start();
  harness = await startHarness();
  const temporalProxy = await toxiproxy.proxy('temporal', stack().temporalAddress);
  api = await startApi({ temporalAddress: temporalProxy, taskQueue: harness.taskQueue, config: { queryTimeoutMs: WAIT_MS, acceptTimeoutMs: WAIT_MS } });
});
afterAll(async () => {
  await api?.close();
  await harness?.close();
  await toxiproxy?.stop();
});

async function timed<T>(send: () => Promise<T>): Promise<{ answer: T; seconds: number }> {
  const started = performance.now();
  const answer = await send();
  return { answer, seconds: (performance.now() - started) / 1000 };
}

describe('the API cut off from Temporal', () => {
  it('answers a status and an approval 503 within its waits, and the approval goes through once Temporal is back', async () => {
    const w = await seedFaultWorld(1);
    const id = await startMigration(api.app, faultSpec(w, { traffic: { steps: [50, 100], observe: '1h' } }));
    const m = migrationApi(api.app, id);
    await eventually(m.status, (s) => s.pendingGate?.gate === 'cutover');

    await toxiproxy.setEnabled('temporal', false);
    cleanup(() => toxiproxy.setEnabled('temporal', true));
    const status = await timed(() => m.request('GET', '', 'dev-viewer'));
    expect(status.answer.statusCode, status.answer.body).toBe(503);
    expect(status.answer.json().message).toBe('Temporal did not answer in time; try again shortly');
    expect(status.seconds).toBeLessThan(ANSWER_WITHIN_S);
    const approval = await timed(() => m.request('POST', '/approvals', 'dev-approver-1', { gate: 'cutover', decision: 'approve' }));
    expect(approval.answer.statusCode, approval.answer.body).toBe(503);
    expect(approval.answer.json().message).toMatch(new RegExp(`^Temporal did not answer the approve cutover request within ${WAIT_MS / 1000} s; try again shortly \\(the request may still apply`));
    expect(approval.answer.headers['retry-after']).toBe('5');
    expect(approval.seconds).toBeLessThan(ANSWER_WITHIN_S);

    // Healed: once the API's connection is back (its status answers again), the approval goes through.
    await toxiproxy.setEnabled('temporal', true);
    await eventually(() => m.request('GET', '', 'dev-viewer'), (res) => res.statusCode === 200);
    await m.approve('cutover');
    expect((await eventually(m.status, (s) => s.weights.green === 50)).weights).toEqual({ blue: 50, green: 50 });
    report('API cut off from Temporal', [
      `status: 503 in ${status.seconds.toFixed(1)} s`,
      `approval: 503 in ${approval.seconds.toFixed(1)} s (${approval.answer.json().message})`,
      'approval after the cut healed: 200, green at 50',
    ]);
  });
});
