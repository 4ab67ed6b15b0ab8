// Each audit entry is one JSON line of the worker's log (what a SIEM collects): the worker's
// real telemetry (pino through Temporal's Runtime), a worker that caches no workflow, so every
// workflow task replays the run's whole history — and still each entry is logged exactly once.
import { workerLines } from './telemetry-runtime.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { createCutoverWorker } from '../../worker/worker.js';
import { eventually, realActivities, stack, startApi, uniqueName, type Api } from '../helpers.js';
import { call, seededSpec } from '../api/support.js';

let api: Api;
let close: () => Promise<void>;
beforeAll(async () => {
  const taskQueue = uniqueName('tq');
  const nativeConnection = await NativeConnection.connect({ address: stack().temporalAddress });
  // No cache: every task replays from the first event, so a logger that is not replay-aware would repeat each line.
  const worker = await createCutoverWorker({ connection: nativeConnection, taskQueue, activities: realActivities(), workflowBundle: { codePath: stack().workflowBundlePath }, cachedWorkflows: 0 });
  const running = worker.run();
  api = await startApi({ taskQueue });
  close = async () => {
    await api.close();
    worker.shutdown();
    await running;
    await nativeConnection.close();
  };
});
afterAll(async () => close?.());

type Entry = { at: string; actor: string; action: string; reason: string; detail?: Record<string, unknown> };

describe('the audit as log lines', () => {
  it('writes each audit entry once, as one JSON line with the migration, actor, action, reason and details', async () => {
    const { spec } = await seededSpec();
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: { ...spec, team: 'payments' } });
    expect(started.statusCode, started.body).toBe(201);
    const id: string = started.json().id;
    const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect((await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token: 'dev-approver-1', payload: { gate: 'cutover', decision: 'approve', comment: 'go' } })).statusCode).toBe(200);
    await eventually(status, (s) => s.weights.green > 0);
    const back = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, token: 'dev-operator', payload: { reason: 'audit log test' } });
    expect(back.statusCode, back.body).toBe(200);
    expect((await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/abort`, token: 'dev-operator', payload: { reason: 'done' } })).statusCode).toBe(200);
    await eventually(status, (s) => s.phase === 'aborted');

    const audit: Entry[] = (await call(api.app, { method: 'GET', url: `/v1/migrations/${id}/audit?limit=1000`, token: 'dev-viewer' })).json().entries;
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['start', 'gate-approve', 'set-weights', 'abort']));
    // The worker writes its log lines as it goes: the last ones may land just after the status shows the end.
    const lines = await eventually(
      async () => workerLines.filter((l) => l.msg === 'audit' && l.migration === id),
      (found) => found.length >= audit.length,
    );
    // One line per entry, in order, none repeated by the replays.
    expect(lines.map((l) => `${l.at} ${l.action}`)).toEqual(audit.map((e) => `${e.at} ${e.action}`));
    for (const [i, entry] of audit.entries()) {
      expect(lines[i]).toMatchObject({
        audit: true,
        level: 30,
        migration: id,
        migrationId: id,
        team: 'payments',
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        reason: entry.reason,
        ...(entry.detail ? { details: entry.detail } : {}),
      });
    }
    expect(lines.find((l) => l.action === 'start')).toMatchObject({ actor: 'ops@sandbox' });
    expect(lines.find((l) => l.action === 'gate-approve')).toMatchObject({ actor: 'alice@sandbox', reason: 'go', details: { gate: 'cutover' } });
    expect(lines.filter((l) => l.action === 'set-weights').at(-1)).toMatchObject({ actor: 'ops@sandbox', details: { blue: 100, green: 0 } });
  });
});
