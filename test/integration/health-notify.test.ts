// Smoke checks, the health watcher and the webhook against real local HTTP servers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthBreach } from '../../activities/contract.js';
import { activitiesWith, failureOf, startActivity } from './support.js';

interface Received {
  host?: string;
  path?: string;
  body: string;
}

/** Answers like a load balancer: 200 with a body only for the production Host header; status per path otherwise. */
async function startServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ host: req.headers.host, path: req.url, body });
      const status = Number(/^\/status\/(\d{3})/.exec(req.url ?? '')?.[1] ?? 0);
      if (status) return void res.writeHead(status).end(`status ${status}`);
      if (req.url === '/hook') return void res.writeHead(204).end();
      if (req.headers.host !== 'app.example.com') return void res.writeHead(404).end('unknown host');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('shop is up');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('health and notify', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server.close());
  const health = (smoke: { url: string; host?: string; expectStatus: number; bodyContains?: string }[], failureThreshold = 2) => ({
    smoke,
    interval: '50ms',
    failureThreshold,
    onBreach: 'rollback' as const,
  });

  it('smoke checks green with the production Host header; a failed check is blocking and names the URL', async () => {
    const acts = activitiesWith();
    const ok = await acts.validateGreen({ region: 'us-east-1', blue: 'b', green: 'g', health: health([{ url: `${server.url}/`, host: 'app.example.com', expectStatus: 200, bodyContains: 'shop is up' }]) });
    expect(ok.findings).toContainEqual(expect.objectContaining({ severity: 'info', source: 'smoke', message: expect.stringContaining(`${server.url}/ answered 200`) }));
    expect(server.received.at(-1)?.host).toBe('app.example.com');

    const bad = await acts.validateGreen({ region: 'us-east-1', blue: 'b', green: 'g', health: health([{ url: `${server.url}/`, expectStatus: 200 }]) });
    expect(bad.findings).toContainEqual({ severity: 'blocking', source: 'smoke', message: `${server.url}/ answered 404, expected 200` });
  });

  it('the watcher heartbeats each check and returns a breach after failureThreshold failures in a row', async () => {
    const acts = activitiesWith();
    const running = startActivity(acts.watchHealth, { health: health([{ url: `${server.url}/status/503`, expectStatus: 200 }], 3) });
    const breach = await running.result;
    expect(breach).toEqual({ reason: `${server.url}/status/503 answered 503, expected 200`, consecutiveFailures: 3 });
    // It also heartbeats while waiting between checks (so a cancel arrives quickly), repeating the count.
    const counts = running.heartbeats.map((h) => (h as { consecutive: number }).consecutive);
    expect(counts.filter((c, i) => c !== counts[i - 1])).toEqual([1, 2, 3]);
  });

  it('a retried watcher resumes the failure count from its last heartbeat', async () => {
    const acts = activitiesWith();
    const env = new MockActivityEnvironment({ heartbeatDetails: { consecutive: 2 } }, { logger: new DefaultLogger('ERROR') });
    const breach = (await env.run(acts.watchHealth, { health: health([{ url: `${server.url}/status/500`, expectStatus: 200 }], 3) })) as HealthBreach;
    expect(breach.consecutiveFailures).toBe(3);
  });

  it('posts notifications as JSON with Slack-compatible text; a 4xx is final, a 5xx is retried', async () => {
    const acts = activitiesWith();
    await acts.notify({ migrationId: 'm-1', event: 'gate-pending', text: 'cutover gate is waiting', webhookUrl: `${server.url}/hook` });
    const hit = server.received.find((r) => r.path === '/hook');
    expect(JSON.parse(hit!.body)).toEqual({ text: 'cutover gate is waiting', event: 'gate-pending', migrationId: 'm-1' });

    const rejected = await failureOf(acts.notify({ migrationId: 'm-1', event: 'breach', text: 'x', webhookUrl: `${server.url}/status/403` }));
    expect(rejected).toMatchObject({ type: 'WebhookRejected', nonRetryable: true });
    const unavailable = await failureOf(acts.notify({ migrationId: 'm-1', event: 'breach', text: 'x', webhookUrl: `${server.url}/status/502` }));
    expect(unavailable.nonRetryable).toBeFalsy();
  });
});
