// The auth matrix: every /v1 endpoint × anonymous, bad token and each role. Too low a role
// is 403; enough of one gets past auth (to a 2xx, or to the 400/404 its request earns).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, SANDBOX_TOKENS, type Role } from '../../api/config.js';
import { startHarness, type Harness } from '../helpers.js';
import { seededSpec } from './support.js';

let api: Harness;
beforeAll(async () => {
  api = await startHarness();
});
afterAll(async () => {
  await api?.close();
});

const TOKEN_OF: Record<Role, string> = { viewer: 'dev-viewer', operator: 'dev-operator', approver: 'dev-approver-1' };
const unknown = '/v1/migrations/migration-us-east-1-nobody';

interface Endpoint {
  method: 'GET' | 'POST';
  url: string;
  least: Role;
  payload?: () => Promise<object> | object;
  /** What a caller with enough rights gets for this request. */
  allowed: number;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', url: '/v1/plans', least: 'viewer', payload: async () => (await seededSpec()).spec, allowed: 200 },
  // An invalid spec: proves auth let the caller through without starting anything.
  { method: 'POST', url: '/v1/migrations', least: 'operator', payload: () => ({ region: 'nowhere' }), allowed: 400 },
  { method: 'GET', url: '/v1/migrations', least: 'viewer', allowed: 200 },
  { method: 'GET', url: unknown, least: 'viewer', allowed: 404 },
  { method: 'GET', url: `${unknown}/events`, least: 'viewer', allowed: 404 },
  { method: 'GET', url: `${unknown}/audit`, least: 'viewer', allowed: 404 },
  { method: 'POST', url: `${unknown}/approvals`, least: 'approver', payload: () => ({ gate: 'cutover', decision: 'approve' }), allowed: 404 },
  { method: 'POST', url: `${unknown}/rollback`, least: 'operator', payload: () => ({ reason: 'test' }), allowed: 404 },
  ...['pause', 'resume', 'retry', 'abort', 'cancel'].map((a): Endpoint => ({ method: 'POST', url: `${unknown}/${a}`, least: 'operator', allowed: 404 })),
];

describe.each(ENDPOINTS)('$method $url (least role $least)', (endpoint) => {
  const send = async (headers: Record<string, string>) => {
    const payload = endpoint.payload ? await endpoint.payload() : undefined;
    return api.app.inject({ method: endpoint.method, url: endpoint.url, headers, ...(payload ? { payload } : {}) });
  };

  it.each([
    ['no Authorization header', {}],
    ['an unknown token', { authorization: 'Bearer not-a-real-token' }],
    ['another scheme', { authorization: `Basic ${Buffer.from('dev-operator:x').toString('base64')}` }],
    ['a bare token', { authorization: 'dev-operator' }],
  ])('401 with %s', async (_what, headers) => {
    const res = await send(headers);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ error: 'Unauthorized', requestId: res.headers['x-request-id'] });
  });

  it.each(ROLES.map((role) => [role]))('role %s', async (role) => {
    const res = await send({ authorization: `Bearer ${TOKEN_OF[role]}` });
    if (ROLES.indexOf(role) < ROLES.indexOf(endpoint.least)) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().message).toBe(`${SANDBOX_TOKENS[TOKEN_OF[role]].subject} has role ${role}; this needs ${endpoint.least} or above`);
    } else {
      expect(res.statusCode, res.body).toBe(endpoint.allowed);
    }
  });
});

describe('an ambiguous Authorization header is a 400, never a guess', () => {
  const expectAmbiguous = (res: { statusCode: number; body: string }, why: string) => {
    expect(res.statusCode, res.body).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.message).toBe(`ambiguous Authorization header: ${why}`);
    expect(body.errors).toEqual([{ path: '/headers/authorization', message: why }]);
  };

  it.each([
    ['viewer first', ['Bearer dev-viewer', 'Bearer bogus-token']],
    ['bogus first', ['Bearer bogus-token', 'Bearer dev-viewer']],
  ])('two Authorization headers (%s)', async (_order, values) => {
    // light-my-request sends an array as repeated headers, as a proxy might.
    const headers = { authorization: values } as unknown as Record<string, string>;
    expectAmbiguous(await api.app.inject({ method: 'GET', url: '/v1/migrations', headers }), 'sent 2 times; send one');
  });

  it('two Authorization headers on the wire, in both orders (Node itself keeps only the first)', async () => {
    const { connect } = await import('node:net');
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const send = (first: string, second: string) =>
      new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let raw = '';
        socket.on('data', (chunk) => (raw += chunk));
        socket.on('end', () => resolve({ statusCode: Number(raw.split(' ')[1]), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) }));
        socket.on('error', reject);
        socket.write(`GET /v1/migrations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${first}\r\nauthorization: Bearer ${second}\r\nConnection: close\r\n\r\n`);
      });
    expectAmbiguous(await send('dev-viewer', 'bogus-token'), 'sent 2 times; send one');
    expectAmbiguous(await send('bogus-token', 'dev-viewer'), 'sent 2 times; send one');
  });

  it.each([
    ['two credentials joined by a proxy', 'Bearer dev-viewer, Bearer bogus-token', 'holds more than one credential (a comma-separated list); send one bearer token'],
    ['two bearer tokens', 'Bearer dev-viewer bogus-token', 'Bearer with 2 tokens; send one'],
    ['Bearer and no token', 'Bearer', 'Bearer without a token'],
    ['a token no client could mean', 'Bearer dev-viewer"', 'the bearer token has characters a token cannot have (RFC 6750: letters, digits, -._~+/ and trailing =)'],
  ])('%s', async (_what, authorization, why) => {
    expectAmbiguous(await api.app.inject({ method: 'GET', url: '/v1/migrations', headers: { authorization } }), why);
  });
});

describe('what stays public', () => {
  it.each(['/healthz', '/readyz', '/openapi.json', '/docs'])('%s needs no token', async (url) => {
    const res = await api.app.inject({ method: 'GET', url });
    expect([200, 302]).toContain(res.statusCode);
  });
});

describe('tokens in logs', () => {
  it('never writes a bearer token to the request log', async () => {
    await api.app.inject({ method: 'GET', url: '/v1/migrations', headers: { authorization: 'Bearer dev-approver-2', 'user-agent': 'auth-test' } });
    await api.app.inject({ method: 'GET', url: unknown, headers: { authorization: 'Bearer dev-approver-2' } });
    await api.app.inject({ method: 'GET', url: '/v1/migrations', headers: { authorization: 'Bearer wrong-but-secret-token' } });
    const logged = api.logs.join('');
    expect(logged).toContain('auth-test'); // the request was logged …
    expect(logged).not.toContain('dev-approver-2'); // … without its token,
    expect(logged).not.toContain('wrong-but-secret-token'); // valid or not.
  });
});
