// People sign in with OIDC: JWTs from a local provider (its own keys, discovery and JWKS on
// loopback) are verified by the real app, groups map to roles, and every bad token is a 401
// that says why. Static tokens keep working beside it, also stored as SHA-256 hashes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { buildApp } from '../../api/app.js';
import { ConfigError, loadApiConfig, sandboxApiConfig, type OidcConfig } from '../../api/config.js';
import { roleOfGroups } from '../../api/oidc.js';
import { eventually, stack, startHarness, type Harness } from '../helpers.js';
import { startIssuer, type TestIssuer } from '../oidc-issuer.js';
import { call, seededSpec } from './support.js';

const GROUP_ROLES = { 'cutover-viewers': 'viewer', 'platform-oncall': 'operator', 'change-board': 'approver' } as const;

let issuer: TestIssuer;
let api: Harness;
let oidc: OidcConfig;
beforeAll(async () => {
  issuer = await startIssuer();
  oidc = { issuer: issuer.issuer, audience: issuer.audience, subjectClaim: 'email', groupsClaim: 'groups', groupRoles: { ...GROUP_ROLES } };
  api = await startHarness(undefined, { oidc });
});
afterAll(async () => {
  await api?.close();
  await issuer?.close();
});

const person = (email: string, groups: string[]) => ({ sub: `id-${email}`, email, groups });
const list = (token: string) => call(api.app, { method: 'GET', url: '/v1/migrations', token });
const approveUnknown = (token: string) =>
  call(api.app, { method: 'POST', url: '/v1/migrations/migration-us-east-1-nobody/approvals', token, payload: { gate: 'cutover', decision: 'approve' } });

describe('a valid token from the provider', () => {
  it('starts a migration as the person its subject claim names, recorded as the actor', async () => {
    const token = await issuer.sign(person('dana@corp.example', ['platform-oncall']));
    const { spec } = await seededSpec();
    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token, payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const status = await eventually(
      () => call(api.app, { method: 'GET', url: `/v1/migrations/${started.json().id}`, token }).then((r) => r.json()),
      (s) => s.audit?.some((e: { action: string }) => e.action === 'start'),
    );
    expect(status.startedBy).toBe('dana@corp.example');
    expect(status.audit.find((e: { action: string }) => e.action === 'start').actor).toBe('dana@corp.example');
  });

  it('gets the highest role of its mapped groups; unmapped groups count for nothing', async () => {
    const viewer = await issuer.sign(person('vic@corp.example', ['cutover-viewers', 'marketing']));
    expect((await list(viewer)).statusCode).toBe(200);
    const refused = await approveUnknown(viewer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe('vic@corp.example has role viewer; this needs approver or above');

    const approver = await issuer.sign(person('ada@corp.example', ['cutover-viewers', 'change-board', 'platform-oncall']));
    expect((await approveUnknown(approver)).statusCode).toBe(404); // past auth, to the missing migration
  });

  it('403 naming the person when none of their groups has a role', async () => {
    for (const groups of [['marketing'], []]) {
      const res = await list(await issuer.sign(person('max@corp.example', groups)));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/^max@corp\.example signed in, but none of their groups \(claim groups\) has a role in Cutover; .*CUTOVER_OIDC_GROUP_ROLES/);
    }
  });
});

describe('a token that is not good: 401 saying why', () => {
  const claims = person('eve@corp.example', ['change-board']);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const cases: [string, () => Promise<string>, string][] = [
    ['expired', () => issuer.sign(claims, { expiresAt: Math.floor(Date.now() / 1000) - 600 }), 'invalid token: expired'],
    ['for another audience', () => issuer.sign(claims, { audience: 'another-api' }), 'invalid token: meant for another audience'],
    ['from another issuer', () => issuer.sign(claims, { issuer: 'https://evil.example' }), 'invalid token: issued by another provider'],
    ['signed with another key', async () => issuer.sign(claims, { key: await issuer.foreignKey() }), "invalid token: signature does not match the provider's keys"],
    [
      'unsigned (alg none)',
      async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 300 })}.`,
      'invalid token: unsigned (alg none) tokens are not accepted',
    ],
    [
      'signed with a shared secret (HS256)',
      () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime('5m').sign(new TextEncoder().encode('a-secret-anyone-could-guess-0123')),
      'invalid token: signed with an algorithm this API does not accept',
    ],
    ['without the subject claim', () => issuer.sign({ sub: 'id-1', groups: ['change-board'] }), 'invalid token: no email claim to name the person by'],
  ];

  it.each(cases)('%s', async (_what, token, message) => {
    const res = await list(await token());
    expect(res.statusCode, res.body).toBe(401);
    expect(res.json()).toMatchObject({ error: 'Unauthorized', message });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });
});

describe('static tokens beside OIDC', () => {
  it('still work (the sandbox tokens here), and a JWT never matches one', async () => {
    expect((await list('dev-viewer')).statusCode).toBe(200);
    expect((await list('not.a.jwt')).statusCode).toBe(401);
  });

  it('may be stored as sha256:<hex>: the token works, the file and the config never hold it', async () => {
    const token = 'ci-deploy-7f3a9c2e51d84b06';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-tokens-')), 'tokens.json');
    const hash = createHash('sha256').update(token).digest('hex');
    writeFileSync(file, JSON.stringify({ [`sha256:${hash}`]: { subject: 'ci@corp.example', role: 'operator' } }));
    const config = loadApiConfig({ CUTOVER_MODE: 'aws', CUTOVER_TOKENS_FILE: file });
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    expect(JSON.stringify([...config.tokens])).not.toContain(token);

    const app = await buildApp({ config: { ...sandboxApiConfig(stack().temporalAddress, 'http://ui.test'), tokens: config.tokens }, temporal: api.client });
    try {
      const ok = await call(app, { method: 'POST', url: '/v1/migrations/migration-us-east-1-nobody/pause', token });
      expect(ok.statusCode, ok.body).toBe(404); // an operator, past auth
      // The hash is no password: neither the key as written (a colon is no bearer-token character) nor its digits.
      expect((await call(app, { method: 'GET', url: '/v1/migrations', token: `sha256:${hash}` })).statusCode).toBe(400);
      expect((await call(app, { method: 'GET', url: '/v1/migrations', token: hash })).statusCode).toBe(401);
      expect((await call(app, { method: 'GET', url: '/v1/migrations', token: 'dev-viewer' })).statusCode).toBe(401); // only the configured tokens
    } finally {
      await app.close();
    }
  });
});

describe('a provider that does not answer', () => {
  it('503: the token cannot be checked now, which is not the caller’s fault', async () => {
    const gone = await startIssuer();
    const token = await gone.sign(person('dana@corp.example', ['platform-oncall']));
    await gone.close();
    const app = await buildApp({
      config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test', { oidc: { ...oidc, issuer: gone.issuer, audience: gone.audience } }),
      temporal: api.client,
    });
    try {
      const res = await call(app, { method: 'GET', url: '/v1/migrations', token });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().message).toMatch(/identity provider did not answer/);
    } finally {
      await app.close();
    }
  });
});

describe('roles from groups', () => {
  it('the highest mapped role wins; no mapped group, no role', () => {
    expect(roleOfGroups(['change-board', 'cutover-viewers'], GROUP_ROLES)).toBe('approver');
    expect(roleOfGroups(['cutover-viewers', 'platform-oncall'], GROUP_ROLES)).toBe('operator');
    expect(roleOfGroups(['marketing', 'toString', '__proto__'], GROUP_ROLES)).toBeUndefined();
  });
});

describe('OIDC configuration, checked at boot', () => {
  const base = {
    CUTOVER_MODE: 'aws',
    CUTOVER_OIDC_ISSUER: 'https://login.corp.example/realms/platform',
    CUTOVER_OIDC_AUDIENCE: 'cutover',
    CUTOVER_OIDC_GROUP_ROLES: JSON.stringify(GROUP_ROLES),
  };
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadApiConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    return '';
  };

  it('OIDC alone is enough in aws mode, with sub and groups by default', () => {
    const config = loadApiConfig(base);
    expect(config.oidc).toEqual({ issuer: base.CUTOVER_OIDC_ISSUER, audience: 'cutover', subjectClaim: 'sub', groupsClaim: 'groups', groupRoles: GROUP_ROLES });
    expect(config.tokens.size).toBe(0);
    expect(loadApiConfig({ ...base, CUTOVER_OIDC_SUBJECT_CLAIM: 'email', CUTOVER_OIDC_GROUPS_CLAIM: 'cognito:groups' }).oidc).toMatchObject({ subjectClaim: 'email', groupsClaim: 'cognito:groups' });
  });

  it('names each wrong setting', () => {
    expect(problems({ ...base, CUTOVER_OIDC_ISSUER: 'http://login.corp.example' })).toContain('CUTOVER_OIDC_ISSUER must be an https URL (http only on loopback)');
    expect(problems({ ...base, CUTOVER_OIDC_ISSUER: 'login.corp.example' })).toContain('CUTOVER_OIDC_ISSUER must be a URL');
    expect(problems({ ...base, CUTOVER_OIDC_AUDIENCE: '' })).toContain('CUTOVER_OIDC_AUDIENCE is required');
    expect(problems({ ...base, CUTOVER_OIDC_GROUP_ROLES: undefined })).toContain('CUTOVER_OIDC_GROUP_ROLES or CUTOVER_OIDC_GROUP_ROLES_FILE is required');
    expect(problems({ ...base, CUTOVER_OIDC_GROUP_ROLES: '["sre"]' })).toContain('CUTOVER_OIDC_GROUP_ROLES: must map at least one group to a role');
    expect(problems({ ...base, CUTOVER_OIDC_GROUP_ROLES_FILE: '/x' })).toContain('set CUTOVER_OIDC_GROUP_ROLES or CUTOVER_OIDC_GROUP_ROLES_FILE, not both');
    expect(problems({ ...base, CUTOVER_OIDC_GROUP_ROLES: '{}' })).toContain('CUTOVER_OIDC_GROUP_ROLES: must map at least one group to a role');
    expect(problems({ ...base, CUTOVER_OIDC_GROUP_ROLES: '{"admins": "root"}' })).toContain('CUTOVER_OIDC_GROUP_ROLES: group "admins" has role "root"; a role is one of viewer, operator, approver');
    expect(problems({ CUTOVER_OIDC_AUDIENCE: 'cutover' })).toContain('CUTOVER_OIDC_AUDIENCE set without CUTOVER_OIDC_ISSUER');
    expect(problems({ CUTOVER_OIDC_GROUP_ROLES_FILE: '/x' })).toContain('CUTOVER_OIDC_GROUP_ROLES_FILE set without CUTOVER_OIDC_ISSUER');
  });

  it('reads the group roles from a file (a mounted secret) as well', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-oidc-')), 'group-roles.json');
    writeFileSync(file, JSON.stringify(GROUP_ROLES));
    const fromFile = { ...base, CUTOVER_OIDC_GROUP_ROLES: undefined, CUTOVER_OIDC_GROUP_ROLES_FILE: file };
    expect(loadApiConfig(fromFile).oidc?.groupRoles).toEqual(GROUP_ROLES);
    writeFileSync(file, '{"admins": "root"}');
    expect(problems(fromFile)).toContain('CUTOVER_OIDC_GROUP_ROLES_FILE: group "admins" has role "root"');
  });

  it('a sha256: entry must hold a whole SHA-256', () => {
    expect(problems({ CUTOVER_TOKENS: JSON.stringify({ 'sha256:abc': { subject: 'ci@corp', role: 'viewer' } }) })).toContain(
      "entry 1 (ci@corp): a sha256: key must be followed by the 64 hex digits of the token's SHA-256",
    );
  });
});
