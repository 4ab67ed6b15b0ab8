// The worker's own settings are checked at boot: every wrong one named by its variable, and a
// webhook URL (a secret) never echoed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerProcessSettings } from '../../worker/process-settings.js';

const problems = (env: NodeJS.ProcessEnv) => {
  try {
    workerProcessSettings(env);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('workerProcessSettings', () => {
  it('needs nothing: no channels, notifications to the log, smoke checks to any host', () => {
    expect(workerProcessSettings({})).toMatchObject({ cachedWorkflows: 1000, notify: { channels: {}, defaultUrl: undefined }, health: { smokeAllowedHosts: undefined } });
  });

  it('keeps as many workflows in memory as CUTOVER_WORKER_CACHED_WORKFLOWS says, a whole number from 1', () => {
    expect(workerProcessSettings({ CUTOVER_WORKER_CACHED_WORKFLOWS: '250' }).cachedWorkflows).toBe(250);
    expect(problems({ CUTOVER_WORKER_CACHED_WORKFLOWS: '0' })).toContain('CUTOVER_WORKER_CACHED_WORKFLOWS');
    expect(problems({ CUTOVER_WORKER_CACHED_WORKFLOWS: 'lots' })).toContain('CUTOVER_WORKER_CACHED_WORKFLOWS');
  });

  it('reads channels from CUTOVER_NOTIFY_CHANNELS or a file, and the smoke host patterns', () => {
    const channels = { 'platform-oncall': 'https://hooks.slack.example/T0/B0/x', 'team.shop_2': 'http://127.0.0.1:9999/hook' };
    expect(workerProcessSettings({ CUTOVER_NOTIFY_CHANNELS: JSON.stringify(channels) }).notify.channels).toEqual(channels);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-worker-')), 'channels.json');
    writeFileSync(file, JSON.stringify(channels));
    expect(workerProcessSettings({ CUTOVER_NOTIFY_CHANNELS_FILE: file }).notify.channels).toEqual(channels);
    expect(workerProcessSettings({ CUTOVER_SMOKE_ALLOWED_HOSTS: ' *.elb.amazonaws.com, green-lb.example.com,10.0.0.5 ' }).health.smokeAllowedHosts).toEqual([
      '*.elb.amazonaws.com',
      'green-lb.example.com',
      '10.0.0.5',
    ]);
  });

  it('names every wrong setting at once, never echoing a webhook URL', () => {
    const secret = 'https://hooks.slack.example/T0/B0/secret';
    const message = problems({
      CUTOVER_NOTIFY_CHANNELS: JSON.stringify({ 'platform oncall': secret, ok: 'hooks.slack.example/no-scheme-secret' }),
      CUTOVER_WEBHOOK_URL: 'ftp://secret-host/secret-path',
      CUTOVER_SMOKE_ALLOWED_HOSTS: 'green-lb.example.com,https://x.example,*',
    });
    expect(message).toContain('CUTOVER_NOTIFY_CHANNELS: "platform oncall" is not a channel name');
    expect(message).toContain('CUTOVER_NOTIFY_CHANNELS: channel ok needs an http(s) URL');
    expect(message).toContain('CUTOVER_WEBHOOK_URL must be an http(s) URL');
    expect(message).toContain('CUTOVER_SMOKE_ALLOWED_HOSTS: "https://x.example", "*" are not host patterns');
    expect(message).not.toMatch(/secret/);

    expect(problems({ CUTOVER_NOTIFY_CHANNELS: '{', CUTOVER_NOTIFY_CHANNELS_FILE: '/x' })).toContain('set CUTOVER_NOTIFY_CHANNELS or CUTOVER_NOTIFY_CHANNELS_FILE, not both');
    expect(problems({ CUTOVER_NOTIFY_CHANNELS: '{' })).toContain('CUTOVER_NOTIFY_CHANNELS: not valid JSON');
    expect(problems({ CUTOVER_NOTIFY_CHANNELS: '"https://hooks.slack.example/secret"' })).toContain('CUTOVER_NOTIFY_CHANNELS: must be an object (expected {"<channel>": "https://<webhook URL>"})');
    expect(problems({ CUTOVER_NOTIFY_CHANNELS_FILE: '/nonexistent/channels.json' })).toContain('CUTOVER_NOTIFY_CHANNELS_FILE (/nonexistent/channels.json): ENOENT');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-worker-')), 'channels.json');
    writeFileSync(file, '{"oncall": ');
    expect(problems({ CUTOVER_NOTIFY_CHANNELS_FILE: file })).toContain(`CUTOVER_NOTIFY_CHANNELS_FILE (${file}): not valid JSON`);
    expect(problems({ CUTOVER_NOTIFY_CHANNELS_FILE: file })).not.toContain('oncall');
  });

  it('reads named Prometheus servers (their URLs may hold credentials) from a file as well', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-worker-')), 'prometheus.json');
    writeFileSync(file, '{"eu": "https://user:secret@eu.prom.example/"}');
    expect(workerProcessSettings({ CUTOVER_PROMETHEUS_SERVERS_FILE: file }).health.prometheus?.servers).toEqual({ eu: 'https://user:secret@eu.prom.example/' });
    writeFileSync(file, '{"eu": "ftp://user:secret@eu/"}');
    expect(problems({ CUTOVER_PROMETHEUS_SERVERS_FILE: file })).toContain('CUTOVER_PROMETHEUS_SERVERS_FILE: server eu needs an http(s) URL');
    expect(problems({ CUTOVER_PROMETHEUS_SERVERS_FILE: file })).not.toContain('secret');
  });
});
