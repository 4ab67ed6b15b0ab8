// Configuration is checked at boot: every wrong setting is named at once, tokens never echoed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, parseTokens } from '../../api/config.js';

const load = (env: NodeJS.ProcessEnv) => {
  try {
    return loadApiConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
};

describe('loadApiConfig', () => {
  it('runs the sandbox with no settings at all', () => {
    const config = loadApiConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, logLevel: 'info', eventsPollMs: 1000, queryTimeoutMs: 5000, acceptTimeoutMs: 20000, rollbackWaitMs: 50000, awsEndpoint: 'http://127.0.0.1:5000' });
    expect(config.temporal.taskQueue).toBe('cutover');
    expect(loadApiConfig({ CUTOVER_TASK_QUEUE: 'cutover-eu' }).temporal.taskQueue).toBe('cutover-eu');
    expect(config.tokens.get('dev-approver-1')).toEqual({ subject: 'alice@sandbox', role: 'approver' });
  });

  it('names every bad setting in one error', () => {
    const err = load({
      CUTOVER_API_PORT: '80800',
      LOG_LEVEL: 'loud',
      CUTOVER_TEMPORAL_UI_URL: 'localhost:8233',
      CUTOVER_API_EVENTS_POLL_MS: '5',
      CUTOVER_API_QUERY_TIMEOUT_MS: '10',
      CUTOVER_API_ACCEPT_TIMEOUT_MS: 'soon',
      CUTOVER_API_ROLLBACK_WAIT_MS: '3600000',
      CUTOVER_TASK_QUEUE: 'two words',
      CUTOVER_MODE: 'prod',
    });
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of ['CUTOVER_API_PORT', 'LOG_LEVEL', 'CUTOVER_TEMPORAL_UI_URL', 'CUTOVER_API_EVENTS_POLL_MS', 'CUTOVER_API_QUERY_TIMEOUT_MS', 'CUTOVER_API_ACCEPT_TIMEOUT_MS', 'CUTOVER_API_ROLLBACK_WAIT_MS', 'CUTOVER_TASK_QUEUE', 'CUTOVER_MODE']) {
      expect(message).toContain(name);
    }
  });

  it('needs real tokens in aws mode, from a file or the environment', () => {
    expect((load({ CUTOVER_MODE: 'aws' }) as Error).message).toContain('CUTOVER_TOKENS_FILE or CUTOVER_TOKENS is required when CUTOVER_MODE=aws');
    const inline = loadApiConfig({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS: JSON.stringify({ 'a-long-secret-token': { subject: 'ci@corp', role: 'operator' } }) });
    expect([...inline.tokens.values()]).toEqual([{ subject: 'ci@corp', role: 'operator' }]);
    expect(inline.awsEndpoint).toBeUndefined();

    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-config-')), 'tokens.json');
    writeFileSync(file, '{"secret-token": x}');
    const broken = (load({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS_FILE: file }) as Error).message;
    expect(broken).toContain(`CUTOVER_TOKENS_FILE (${file}): not valid JSON`);
    expect(broken).not.toContain('secret');
    expect((load({ CUTOVER_TOKENS_FILE: file, CUTOVER_TOKENS: '{}' }) as Error).message).toContain('set CUTOVER_TOKENS or CUTOVER_TOKENS_FILE, not both');
    expect((load({ CUTOVER_TOKENS: '["a-long-secret-token"]' }) as Error).message).toContain('CUTOVER_TOKENS: must be an object of token → {subject, role}');
    // An empty file is a mistake (an empty secret), not "no tokens": the sandbox's well-known ones must not stand in.
    writeFileSync(file, '');
    expect((load({ CUTOVER_TOKENS_FILE: file }) as Error).message).toContain(`CUTOVER_TOKENS_FILE (${file}): not valid JSON`);
  });
});

describe('parseTokens', () => {
  it('reports every bad entry without echoing any token', () => {
    const secret = 'short';
    const err = (() => {
      try {
        parseTokens('tokens.json', { [secret]: { subject: 'a@x', role: 'viewer' }, 'long-enough-token': { subject: '', role: 'root' } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toContain('entry 1 (a@x): token must be at least 8 characters');
    expect(err?.message).toContain('entry 2: subject is required');
    expect(err?.message).toContain('entry 2: role must be one of viewer, operator, approver');
    expect(err?.message).not.toContain(secret);
    expect(() => parseTokens('tokens.json', {})).toThrow(/no tokens configured/);
  });
});
