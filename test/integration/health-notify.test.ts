// Smoke checks, the health watcher, the smoke-host allow-list and the notification channels
// against real local HTTP servers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthBreach } from '../../activities/contract.js';
import { createHealthActivities, hostAllowed } from '../../activities/health.js';
import { createNotifyActivities } from '../../activities/notify.js';
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

  it('posts to the webhook of the channel a spec names, as JSON with Slack-compatible text; a 4xx is final, a 5xx is retried', async () => {
    const acts = createNotifyActivities({ channels: { 'platform-oncall': `${server.url}/hook`, refusing: `${server.url}/status/403`, down: `${server.url}/status/502` } });
    await acts.notify({ migrationId: 'm-1', event: 'gate-pending', text: 'cutover gate is waiting', channel: 'platform-oncall' });
    const hit = server.received.find((r) => r.path === '/hook');
    expect(JSON.parse(hit!.body)).toEqual({ text: 'cutover gate is waiting', event: 'gate-pending', migrationId: 'm-1' });

    const rejected = await failureOf(acts.notify({ migrationId: 'm-1', event: 'breach', text: 'x', channel: 'refusing' }));
    expect(rejected).toMatchObject({ type: 'WebhookRejected', nonRetryable: true, message: "channel refusing's webhook answered 403" });
    const unavailable = await failureOf(acts.notify({ migrationId: 'm-1', event: 'breach', text: 'x', channel: 'down' }));
    expect(unavailable.nonRetryable).toBeFalsy();
    // Failures end up in the workflow's history: they name the channel, never its URL.
    expect(`${rejected.message} ${unavailable.message}`).not.toContain(server.url);
  });

  it('a webhook that cannot be reached is retried, and the failure does not show its URL', async () => {
    const secretPath = '/hooks/T000/B000/very-secret';
    const closed = await startServer();
    await closed.close();
    const acts = createNotifyActivities({ channels: { gone: `${closed.url}${secretPath}` } });
    const failure = await failureOf(acts.notify({ migrationId: 'm-1', event: 'breach', text: 'x', channel: 'gone' }));
    expect(failure.message).toBe("channel gone's webhook is unreachable (ECONNREFUSED)");
    expect(failure.nonRetryable).toBeFalsy();
  });

  it('a channel the worker does not know: a warning in the worker log, nothing posted, nothing failed', async () => {
    const logged: LogEntry[] = [];
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('WARN', (entry) => logged.push(entry)) });
    const acts = createNotifyActivities({ channels: { 'platform-oncall': `${server.url}/hook` }, defaultUrl: `${server.url}/hook` });
    const before = server.received.length;
    await env.run(acts.notify, { migrationId: 'm-2', event: 'gate-pending' as const, text: 'cutover gate is waiting', channel: 'platfrom-oncall' });
    expect(server.received.length).toBe(before);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: expect.stringContaining('notification channel "platfrom-oncall" is not configured in this worker (CUTOVER_NOTIFY_CHANNELS); not sent: cutover gate is waiting') }),
    );
  });

  it('a migration that names no channel goes to the default webhook, else to the log', async () => {
    const before = server.received.filter((r) => r.path === '/hook').length;
    await createNotifyActivities({ defaultUrl: `${server.url}/hook` }).notify({ migrationId: 'm-3', event: 'completed', text: 'done' });
    expect(server.received.filter((r) => r.path === '/hook').length).toBe(before + 1);

    const logged: LogEntry[] = [];
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('INFO', (entry) => logged.push(entry)) });
    await env.run(createNotifyActivities().notify, { migrationId: 'm-3', event: 'completed' as const, text: 'done' });
    expect(logged).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'notification: done' }));
  });
});

describe('the smoke-check host allow-list', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server.close());
  const health = (urls: string[]) => ({ smoke: urls.map((url) => ({ url, host: 'app.example.com', expectStatus: 200 })), interval: '50ms', failureThreshold: 1, onBreach: 'rollback' as const });

  it('matches host names exactly or by *.domain, whatever their case', () => {
    const patterns = ['*.elb.amazonaws.com', 'green-lb.example.com', '127.0.0.1'];
    expect(hostAllowed('k8s-shop-1234.us-east-1.elb.amazonaws.com', patterns)).toBe(true);
    expect(hostAllowed('Green-LB.example.com', patterns)).toBe(true);
    expect(hostAllowed('127.0.0.1', patterns)).toBe(true);
    expect(hostAllowed('elb.amazonaws.com', patterns)).toBe(false);
    expect(hostAllowed('evil-elb.amazonaws.com', patterns)).toBe(false);
    expect(hostAllowed('green-lb.example.com.evil.example', patterns)).toBe(false);
    expect(hostAllowed('169.254.169.254', patterns)).toBe(false);
  });

  it('validation: a smoke URL outside the list is a blocking finding that says so, and is never called', async () => {
    const acts = createHealthActivities({ smokeAllowedHosts: ['127.0.0.1'] });
    const outside = `http://localhost:${new URL(server.url).port}/outside`;
    const before = server.received.length;
    const { findings } = await acts.validateGreen({ region: 'us-east-1', blue: 'b', green: 'g', health: health([`${server.url}/`, outside]) });
    expect(findings).toEqual([
      { severity: 'info', source: 'smoke', message: expect.stringContaining(`${server.url}/ answered 200`) },
      { severity: 'blocking', source: 'smoke', message: `${outside}: host localhost is not in the worker's smoke-check allow-list (CUTOVER_SMOKE_ALLOWED_HOSTS), so it was not called` },
    ]);
    expect(server.received.slice(before).map((r) => r.path)).toEqual(['/']);
  });

  it('the watcher counts a check outside the list as failed, without calling it', async () => {
    const acts = createHealthActivities({ smokeAllowedHosts: ['*.example.com'] });
    const before = server.received.length;
    const breach = await startActivity(acts.watchHealth, { health: health([`${server.url}/`]) }).result;
    expect(breach.reason).toMatch(/host 127\.0\.0\.1 is not in the worker's smoke-check allow-list/);
    expect(server.received.length).toBe(before);
  });
});
