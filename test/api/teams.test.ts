// Team scopes over REST with OIDC tokens from a local provider: two teams (payments, search),
// people in each by their groups, an admin group, and a global approver group. Every 403 says
// who the caller is in which team; lists filter by team; the whole audit pages over a real
// migration, running and closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamsConfig } from '../../config/teams.js';
import { readTeams } from '../../config/teams.js';
import { eventually, startHarness, type Harness } from '../helpers.js';
import { startIssuer, type TestIssuer } from '../oidc-issuer.js';
import { call, seededSpec } from './support.js';

const TEAMS = {
  payments: { approver: ['payments-leads'], operator: ['payments-oncall'], viewer: ['payments-viewers'] },
  search: { approver: ['search-leads'], operator: ['search-oncall'] },
  admins: ['platform-admins'],
};

let issuer: TestIssuer;
let api: Harness;
const tokens: Record<string, string> = {};
const PEOPLE: Record<string, string[]> = {
  paula: ['payments-leads'],
  olga: ['payments-oncall'],
  vera: ['payments-viewers'],
  sam: ['search-leads'],
  sid: ['search-oncall'],
  ada: ['platform-admins'],
  gabe: ['change-board'], // a global approver, in no team
  polly: ['payments-oncall', 'search-leads'],
};

beforeAll(async () => {
  issuer = await startIssuer();
  const problems: string[] = [];
  const teams = readTeams({ CUTOVER_TEAMS: JSON.stringify(TEAMS) }, problems) as TeamsConfig;
  expect(problems).toEqual([]);
  const oidc = { issuer: issuer.issuer, audience: issuer.audience, subjectClaim: 'email', groupsClaim: 'groups', groupRoles: { 'change-board': 'approver', engineering: 'viewer' } as const };
  api = await startHarness(undefined, { oidc, teams });
  for (const [name, groups] of Object.entries(PEOPLE)) tokens[name] = await issuer.sign({ sub: `id-${name}`, email: `${name}@corp`, groups });
});
afterAll(async () => {
  await api?.close();
  await issuer?.close();
});

const as = (who: string) => tokens[who] ?? who; // a person's JWT, or a sandbox token as it is
const post = (who: string, url: string, payload: object = {}) => call(api.app, { method: 'POST', url, token: as(who), payload });
const get = (who: string, url: string) => call(api.app, { method: 'GET', url, token: as(who) });
const status = (id: string) => get('ada', `/v1/migrations/${id}`).then((r) => r.json());

async function startAs(who: string, team?: string) {
  const { spec } = await seededSpec();
  const res = await post(who, '/v1/migrations', team ? { ...spec, team } : spec);
  return { res, spec, id: `migration-${spec.region}-${spec.blue.cluster}` };
}

describe('starting a migration of a team', () => {
  it('400 naming the field for a team the API does not know, or a name that cannot be one', async () => {
    const { spec } = await seededSpec();
    const unknown = await post('olga', '/v1/migrations', { ...spec, team: 'billing' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ path: '/team', message: 'team "billing" is not one of the teams this API knows (CUTOVER_TEAMS): payments, search' }]);
    const planned = await post('vera', '/v1/plans', { ...spec, team: 'billing' });
    expect(planned.json().errors).toEqual([{ path: '/team', message: expect.stringContaining('team "billing" is not one of') }]);
    const bad = await post('olga', '/v1/migrations', { ...spec, team: "pay'ments" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ path: '/team', message: expect.stringContaining('pattern') }]);
  });

  it('needs operator in the team: 403 saying what the caller is', async () => {
    const cases: [string, string][] = [
      ['sid', 'sid@corp is operator in team search, not in team payments; starting a migration of team payments needs operator or above in team payments'],
      ['gabe', 'gabe@corp has no role in team payments (their global role approver counts only on migrations without a team); starting a migration of team payments needs operator or above in team payments'],
      ['dev-operator', 'ops@sandbox has no role in team payments (their global role operator counts only on migrations without a team); starting a migration of team payments needs operator or above in team payments'],
    ];
    for (const [who, message] of cases) {
      const { res } = await startAs(who, 'payments');
      expect(res.statusCode, who).toBe(403);
      expect(res.json()).toMatchObject({ message, team: 'payments' });
    }
    // A viewer everywhere is refused at the route, before the team is looked at.
    expect((await startAs('vera', 'payments')).res.json().message).toBe('vera@corp has role viewer; this needs operator or above');
    // sid, operator in search, starts one for search.
    const { res: bySid } = await startAs('sid', 'search');
    expect(bySid.statusCode, bySid.body).toBe(201);
    await post('ada', `/v1/migrations/${bySid.json().id}/cancel`);
    // Without a team, global roles decide, as before teams: a team role does not start one.
    const { res } = await startAs('sid');
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe('sid@corp has no global role (they are operator in team search); this spec names no team and needs the global role operator or above, or an admin');
  });
});

describe('acting on a migration of a team', () => {
  let payments: string;
  let other: string;
  let teamless: string;
  beforeAll(async () => {
    const started = await Promise.all([startAs('olga', 'payments'), startAs('polly', 'search'), startAs('dev-operator')]);
    for (const s of started) expect(s.res.statusCode, s.res.body).toBe(201);
    [payments, other, teamless] = started.map((s) => s.id);
    for (const id of [payments, other, teamless]) await eventually(() => status(id), (s) => s.pendingGate?.gate === 'cutover');
  });
  afterAll(async () => {
    for (const id of [payments, other, teamless]) if (id) await post('ada', `/v1/migrations/${id}/cancel`);
  });

  it('shows its team in the status and the list, and lists filter by team', async () => {
    expect((await status(payments)).team).toBe('payments');
    expect((await status(teamless)).team).toBeUndefined();
    const list = (who: string, query: string) => get(who, `/v1/migrations?pageSize=100&${query}`).then((r) => r.json().migrations as { id: string; team?: string }[]);
    const ours = await eventually(() => list('vera', 'team=payments'), (ms) => ms.some((m) => m.id === payments));
    expect(ours.every((m) => m.team === 'payments')).toBe(true);
    expect(ours.map((m) => m.id)).not.toContain(other);
    const search = await eventually(() => list('sid', 'team=search&status=RUNNING'), (ms) => ms.some((m) => m.id === other));
    expect(search.map((m) => m.id)).not.toContain(payments);
    // Every viewer reads every migration (scopes govern acting, not reading); an old or teamless one lists without a team.
    const all = await list('sid', 'status=RUNNING');
    expect(all.find((m) => m.id === teamless)).toBeDefined();
    expect(all.find((m) => m.id === teamless)!.team).toBeUndefined();
    expect((await get('sid', `/v1/migrations/${payments}`)).statusCode).toBe(200);
    expect((await get('x', '/v1/migrations?team=a%20b')).statusCode).toBe(401);
    expect((await get('vera', '/v1/migrations?team=a%20b')).statusCode).toBe(400);
  });

  it('refuses every action of a caller without the role in the team, naming the team', async () => {
    const refused: [string, string, object, string][] = [
      ['sam', 'approvals', { gate: 'cutover', decision: 'approve' }, `sam@corp is approver in team search, not in team payments; migration ${payments} needs approver or above in team payments`],
      ['polly', 'approvals', { gate: 'cutover', decision: 'approve' }, `polly@corp is operator in team payments; migration ${payments} needs approver or above in team payments`],
      ['gabe', 'approvals', { gate: 'cutover', decision: 'reject' }, `gabe@corp has no role in team payments (their global role approver counts only on migrations without a team); migration ${payments} needs approver or above in team payments`],
      ['dev-approver-1', 'approvals', { gate: 'cutover', decision: 'approve' }, `alice@sandbox has no role in team payments (their global role approver counts only on migrations without a team); migration ${payments} needs approver or above in team payments`],
      ['sid', 'pause', {}, `sid@corp is operator in team search, not in team payments; migration ${payments} needs operator or above in team payments`],
      ['sam', 'rollback', { reason: 'not mine' }, `sam@corp is approver in team search, not in team payments; migration ${payments} needs operator or above in team payments`],
      ['sid', 'cancel', {}, `sid@corp is operator in team search, not in team payments; migration ${payments} needs operator or above in team payments`],
      ['sid', 'retry', {}, `sid@corp is operator in team search, not in team payments; migration ${payments} needs operator or above in team payments`],
      ['sid', 'abort', {}, `sid@corp is operator in team search, not in team payments; migration ${payments} needs operator or above in team payments`],
    ];
    for (const [who, action, body, message] of refused) {
      const res = await post(who, `/v1/migrations/${payments}/${action}`, body);
      expect(res.statusCode, `${who} ${action}`).toBe(403);
      expect(res.json()).toMatchObject({ message, team: 'payments', id: payments });
    }
    // vera (a payments viewer) is refused at the route: her highest role anywhere is viewer.
    const vera = await post('vera', `/v1/migrations/${payments}/pause`);
    expect(vera.statusCode).toBe(403);
    expect(vera.json().message).toBe('vera@corp has role viewer; this needs operator or above');
    // On a migration without a team, global roles decide: a team approver is refused, a global one is not.
    const teamRoleOnly = await post('sam', `/v1/migrations/${teamless}/pause`);
    expect(teamRoleOnly.statusCode).toBe(403);
    expect(teamRoleOnly.json().message).toBe(`sam@corp has no global role (they are approver in team search); migration ${teamless} names no team and needs the global role operator or above, or an admin`);
    expect((await post('dev-operator', `/v1/migrations/${teamless}/pause`)).statusCode).toBe(200);
    expect((await post('gabe', `/v1/migrations/${teamless}/resume`)).statusCode).toBe(200);
    // An unknown migration is a 404, not a 403.
    expect((await post('sid', '/v1/migrations/migration-us-east-1-nobody/pause')).statusCode).toBe(404);
    // Nothing refused reached the migration.
    expect((await status(payments)).audit.map((e: { action: string }) => e.action)).not.toContain('pause');
  });

  it('lets the team act, and an admin act on every team', async () => {
    expect((await post('olga', `/v1/migrations/${payments}/pause`, { reason: 'team operator' })).statusCode).toBe(200);
    expect((await post('ada', `/v1/migrations/${payments}/resume`, { reason: 'admin' })).statusCode).toBe(200);
    expect((await post('polly', `/v1/migrations/${other}/pause`)).statusCode).toBe(200); // approver in search
    expect((await post('ada', `/v1/migrations/${other}/resume`)).statusCode).toBe(200);
    const approved = await post('paula', `/v1/migrations/${payments}/approvals`, { gate: 'cutover', decision: 'approve', comment: 'payments lead' });
    expect(approved.statusCode, approved.body).toBe(200);
    await eventually(() => status(payments), (s) => s.weights.green > 0);
    const back = await post('olga', `/v1/migrations/${payments}/rollback?wait=true`, { reason: 'team rollback' });
    expect(back.statusCode, back.body).toBe(200);
    const trail = (await status(payments)).audit.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`);
    expect(trail).toEqual(expect.arrayContaining(['olga@corp start', 'olga@corp pause', 'ada@corp resume', 'paula@corp gate-approve']));
  });

  it('pages through the whole audit, running and closed; 404 for an unknown migration, 400 for a cursor of another', async () => {
    type Page = { id: string; entries: { at: string; action: string }[]; total: number; nextCursor?: string };
    const pages = async (id: string, limit: number): Promise<Page[]> => {
      const out: Page[] = [];
      let cursor: string | undefined;
      do {
        const res = await get('vera', `/v1/migrations/${id}/audit?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        out.push(res.json());
        cursor = out.at(-1)!.nextCursor;
      } while (cursor && out.length < 100);
      return out;
    };
    const running = await pages(payments, 3);
    const entries = running.flatMap((p) => p.entries);
    expect(running.length).toBeGreaterThan(2);
    expect(running.every((p) => p.id === payments && p.total === entries.length && p.entries.length <= 3)).toBe(true);
    expect(entries[0].action).toBe('start');
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['pause', 'resume', 'gate-approve', 'set-weights']));
    expect(new Set(entries.map((e) => `${e.at} ${e.action}`)).size).toBe(entries.length);

    const cursor = running[0].nextCursor!;
    const foreign = await get('vera', `/v1/migrations/${other}/audit?limit=3&cursor=${cursor}`);
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().errors).toEqual([{ path: '/querystring/cursor', message: expect.stringContaining('these filters') }]);
    expect((await get('vera', '/v1/migrations/migration-us-east-1-nobody/audit')).statusCode).toBe(404);
    expect((await get('vera', `/v1/migrations/${payments}/audit?limit=0`)).statusCode).toBe(400);

    // Closed: the whole audit comes from the run's result, more than the status' last 20.
    expect((await post('olga', `/v1/migrations/${payments}/abort`, { reason: 'audit test' })).statusCode).toBe(200);
    await eventually(() => status(payments), (s) => s.workflowStatus === 'COMPLETED');
    const closed = (await pages(payments, 5)).flatMap((p) => p.entries);
    expect(closed.slice(0, entries.length)).toEqual(entries);
    expect(closed.at(-1)!.action).toBe('abort');
    payments = '';
  });
});
