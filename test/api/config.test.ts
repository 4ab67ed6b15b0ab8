// Configuration is checked at boot: every wrong setting is named at once, tokens never echoed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, parseTokens, resolvePrincipal } from '../../api/config.js';

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
    expect(config.tokens.get('dev-approver-1')).toEqual({ subject: 'alice@sandbox', role: 'approver', groups: ['leads'] });
    expect(config.tokens.get('dev-approver-3')).toEqual({ subject: 'carol@sandbox', role: 'approver', groups: ['sre'] });
    expect(config.teams).toBeUndefined();
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
    expect([...inline.tokens.values()]).toEqual([{ subject: 'ci@corp', role: 'operator', groups: [] }]);
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

describe('CUTOVER_TEAMS', () => {
  const TEAMS = {
    payments: { approver: ['payments-leads'], operator: ['payments-oncall', 'subject:ci-payments@corp'], viewer: ['engineering'] },
    search: { approver: ['search-leads'], operator: ['search-oncall'] },
    admins: ['platform-admins', 'subject:root@corp'],
  };

  it('maps groups and subjects to a role per team, admins to approver in every team', () => {
    const config = loadApiConfig({ CUTOVER_TEAMS: JSON.stringify(TEAMS) });
    expect(Object.keys(config.teams!.teams)).toEqual(['payments', 'search']);
    const alice = resolvePrincipal({ subject: 'alice@corp', groups: ['payments-leads', 'engineering', 'search-oncall'] }, config.teams)!;
    expect(alice).toEqual({ subject: 'alice@corp', role: 'approver', groups: ['payments-leads', 'engineering', 'search-oncall'], globalRole: undefined, teams: { payments: 'approver', search: 'operator' }, admin: false });
    expect(resolvePrincipal({ subject: 'ci-payments@corp', role: 'viewer', groups: [] }, config.teams)).toMatchObject({ role: 'operator', globalRole: 'viewer', teams: { payments: 'operator' } });
    expect(resolvePrincipal({ subject: 'root@corp', groups: [] }, config.teams)).toMatchObject({ role: 'approver', admin: true, teams: {} });
    expect(resolvePrincipal({ subject: 'nobody@corp', groups: ['marketing'] }, config.teams)).toBeUndefined();
  });

  it('takes a token without a role of its own when its groups have one in a team; refuses one whose groups have none', () => {
    const tokens = { 'payments-ci-token': { subject: 'ci@corp', groups: ['payments-oncall'] } };
    const config = loadApiConfig({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS: JSON.stringify(tokens), CUTOVER_TEAMS: JSON.stringify(TEAMS) });
    expect(config.tokens.get('payments-ci-token')).toEqual({ subject: 'ci@corp', groups: ['payments-oncall'] });
    const lost = (load({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS: JSON.stringify({ 'payments-ci-token': { subject: 'ci@corp', groups: ['marketing'] } }), CUTOVER_TEAMS: JSON.stringify(TEAMS) }) as Error).message;
    expect(lost).toContain('static token entry 1 (ci@corp) has no role, and none of its groups (marketing) has a role in CUTOVER_TEAMS');
    expect((load({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS: JSON.stringify({ 'payments-ci-token': { subject: 'ci@corp' } }) }) as Error).message).toContain(
      'entry 1 (ci@corp): role must be one of viewer, operator, approver (or leave it out and give groups that CUTOVER_TEAMS gives a role)',
    );
    expect((load({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS: JSON.stringify({ 'payments-ci-token': { subject: 'ci@corp', role: 'viewer', groups: 'payments' } }) }) as Error).message).toContain(
      'entry 1 (ci@corp): groups must be an array of group names',
    );
  });

  it('stops the API at start naming the variable and each bad entry', () => {
    const message = (load({
      CUTOVER_TEAMS: JSON.stringify({
        'pay ments': { approver: ['x'] },
        search: { approvers: ['search-leads'], operator: 'search-oncall' },
        billing: {},
        ops: { viewer: ['', 'subject:', 7] },
        admins: 'platform-admins',
      }),
    }) as Error).message;
    expect(message).toContain('CUTOVER_TEAMS: team "pay ments": a team\'s name is 1 to 63 letters, digits');
    expect(message).toContain('CUTOVER_TEAMS: team "search": "approvers" is not a role; a role is one of viewer, operator, approver');
    expect(message).toContain('CUTOVER_TEAMS: team "search".operator must be an array of group names and "subject:<person>" entries');
    expect(message).toContain('CUTOVER_TEAMS: team "billing" names nobody');
    expect(message).toContain('CUTOVER_TEAMS: team "ops".viewer[0] must be a group name or "subject:<person>", got ""');
    expect(message).toContain('CUTOVER_TEAMS: team "ops".viewer[1] names no person after "subject:"');
    expect(message).toContain('CUTOVER_TEAMS: team "ops".viewer[2] must be a group name');
    expect(message).toContain('CUTOVER_TEAMS: admins must be an array');
    expect((load({ CUTOVER_TEAMS: '{"admins": ["a"]}' }) as Error).message).toContain('CUTOVER_TEAMS: names no team');
    expect((load({ CUTOVER_TEAMS: '[1]' }) as Error).message).toContain('CUTOVER_TEAMS: must be an object');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-teams-')), 'teams.json');
    writeFileSync(file, JSON.stringify(TEAMS));
    expect(Object.keys(loadApiConfig({ CUTOVER_TEAMS_FILE: file }).teams!.teams)).toEqual(['payments', 'search']);
  });
});
