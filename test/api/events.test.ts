// GET /v1/migrations/{id}/events over real HTTP: the first status at once, a new one after an
// approval changes the phase, heartbeats, the end of the stream when the run closes, and
// open streams closed by a graceful shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { parseTokens, SANDBOX_TOKENS } from '../../api/config.js';
import { readEvents, type ServerEvent } from '../../cli/sse.js';
import { auth, stack, startHarness, type Harness } from '../helpers.js';
import { call, seededSpec, startAtCutover } from './support.js';

let api: Harness;
let base: string;
beforeAll(async () => {
  api = await startHarness();
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
});

/** Reads events until `until` accepts one, with a deadline; returns all read so far. */
async function collect(stream: AsyncGenerator<ServerEvent>, until: (e: ServerEvent) => boolean, timeoutMs = 30_000): Promise<ServerEvent[]> {
  const seen: ServerEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = await Promise.race([stream.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())))]);
    if (next === 'timeout') throw new Error(`no matching event in ${timeoutMs} ms; saw ${seen.map((e) => e.event).join(', ')}`);
    if (next.done) return seen;
    seen.push(next.value);
    if (until(next.value)) return seen;
  }
}

const phaseOf = (e: ServerEvent) => (e.event === 'status' ? (JSON.parse(e.data).phase as string) : undefined);

describe('the events stream', () => {
  it('sends the status at once, then the phase change an approval causes, then the end', async () => {
    const { spec } = await seededSpec({ traffic: { observe: '0s' } });
    const { id } = await startAtCutover(api, spec);
    const res = await fetch(`${base}/v1/migrations/${id}/events`, { headers: auth('dev-viewer') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const stream = readEvents(res.body!);

    const [first] = await collect(stream, (e) => e.event === 'status');
    expect(JSON.parse(first.data)).toMatchObject({ id, phase: 'awaiting-cutover', pendingGate: { gate: 'cutover' }, links: { temporalUi: expect.any(String) } });

    expect((await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token: 'dev-approver-1', payload: { gate: 'cutover', decision: 'approve' } })).statusCode).toBe(200);
    const afterApproval = await collect(stream, (e) => phaseOf(e) !== undefined && phaseOf(e) !== 'awaiting-cutover');
    expect(['shifting', 'baking', 'frozen', 'awaiting-decommission']).toContain(phaseOf(afterApproval.at(-1)!));

    const stepped = await collect(stream, (e) => phaseOf(e) === 'awaiting-decommission');
    const greens = stepped.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).weights.green);
    expect(greens.at(-1)).toBe(100);
    expect(stepped.map((e) => Number(e.id))).toEqual([...stepped.map((e) => Number(e.id))].sort((a, b) => a - b)); // ids ascend

    await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/cancel`, token: 'dev-operator' });
    const tail = await collect(stream, (e) => e.event === 'end');
    expect(JSON.parse(tail.at(-1)!.data)).toEqual({ workflowStatus: 'COMPLETED', phase: 'cancelled' });
    expect((await stream.next()).done).toBe(true); // the server closed the stream
  });

  it('sends heartbeats while nothing changes, and ends open streams on shutdown', async () => {
    const { spec } = await seededSpec();
    const { id } = await startAtCutover(api, spec);
    const res = await fetch(`${base}/v1/migrations/${id}/events?heartbeat=1`, { headers: auth('dev-viewer') });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!/: heartbeat /.test(text)) {
      if (Date.now() > deadline) throw new Error(`no heartbeat within 10 s; got ${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended early');
      text += decoder.decode(value);
    }
    expect(text.match(/^event: status$/gm)).toHaveLength(1); // nothing changed: one status only

    // A second app on the same harness: closing it must end its streams, not hang.
    const other = await buildApp({
      config: { host: '127.0.0.1', port: 0, tokens: parseTokens('t', SANDBOX_TOKENS), temporal: { connection: { address: stack().temporalAddress }, namespace: 'default', uiUrl: 'http://ui.test' } },
      temporal: api.client,
    });
    const otherBase = await other.listen({ host: '127.0.0.1', port: 0 });
    const open = await fetch(`${otherBase}/v1/migrations/${id}/events`, { headers: auth('dev-viewer') });
    const events = readEvents(open.body!);
    await collect(events, (e) => e.event === 'status');
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await events.next()).done).toBe(true);
    await reader.cancel();
    await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/cancel`, token: 'dev-operator' });
  });

  it('answers an unknown migration with a JSON 404, not a stream', async () => {
    const res = await fetch(`${base}/v1/migrations/migration-us-east-1-ghost/events`, { headers: auth('dev-viewer') });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'Not Found', requestId: res.headers.get('x-request-id') });
  });
});
