// Approval policies, step-back and promote over REST, with OIDC tokens from a local provider and
// the real worker, Temporal, moto and Kubernetes: a 2-of-N cutover from two groups, every 403's
// reason, ten concurrent approvals by three people counted as three, a named policy from the
// service's settings, a step-back 80 → 50 held at the next gate, a promote to 100 %.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationSpec } from '../../workflows/spec.js';
import { eventually, startApi, startHarness, type Harness } from '../helpers.js';
import { startIssuer, type TestIssuer } from '../oidc-issuer.js';
import { call, seededSpec, weightsInMoto } from './support.js';

let issuer: TestIssuer;
let api: Harness;
const tokens: Record<string, string> = {};
const PEOPLE: Record<string, string[]> = {
  lena: ['payments-leads'],
  liam: ['payments-leads'],
  sara: ['sre'],
  stan: ['sre', 'payments-leads'],
  gus: ['change-board'], // an approver outside the policy's groups
};

beforeAll(async () => {
  issuer = await startIssuer();
  const oidc = {
    issuer: issuer.issuer,
    audience: issuer.audience,
    subjectClaim: 'email',
    groupsClaim: 'groups',
    groupRoles: { 'payments-leads': 'approver', sre: 'approver', 'change-board': 'approver' } as const,
  };
  const approvalPolicies = { 'leads-and-sre': { required: 2, groups: ['payments-leads', 'sre'] } };
  api = await startHarness(undefined, { oidc, approvalPolicies });
  for (const [name, groups] of Object.entries(PEOPLE)) tokens[name] = await issuer.sign({ sub: `id-${name}`, email: `${name}@corp`, groups });
});
afterAll(async () => {
  await api?.close();
  await issuer?.close();
});

const as = (who: string) => tokens[who] ?? who; // a person's JWT, or a sandbox token as it is
const post = (who: string, url: string, payload: object = {}) => call(api.app, { method: 'POST', url, token: as(who), payload });
const status = (id: string) => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
const approve = (who: string, id: string, gate: string, decision = 'approve') => post(who, `/v1/migrations/${id}/approvals`, { gate, decision });

async function startWith(approvals: MigrationSpec['approvals'], traffic: Partial<MigrationSpec['traffic']> = {}) {
  const { spec } = await seededSpec({ approvals, traffic });
  const res = await post('dev-operator', '/v1/migrations', spec);
  expect(res.statusCode, res.body).toBe(201);
  const id: string = res.json().id;
  await eventually(() => status(id), (s) => s.pendingGate?.gate === 'cutover');
  return { id, spec };
}

describe('approval policies over REST', () => {
  it('a named 2-of-N policy from two groups: each 403 says why, the second eligible approval moves traffic', async () => {
    const { id, spec } = await startWith({ cutover: 'leads-and-sre' });
    const pending = (await status(id)).pendingGate;
    expect(pending).toMatchObject({ required: 2, approvals: [], mayApprove: { groups: ['payments-leads', 'sre'], except: ['ops@sandbox'] } });
    expect(pending.policy).toBe('2 approvals from payments-leads or sre, not the starter (policy leads-and-sre)');

    const outsider = await approve('gus', id, 'cutover');
    expect(outsider.statusCode).toBe(403);
    expect(outsider.json().message).toBe('gus@corp is in change-board; gate cutover is decided by members of payments-leads or sre (policy leads-and-sre)');

    const first = await approve('lena', id, 'cutover');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ gate: 'cutover', approvals: 1, required: 2, met: false });
    const again = await approve('lena', id, 'cutover');
    expect(again.statusCode).toBe(403);
    expect(again.json().message).toBe('lena@corp already approved gate cutover: it needs 2 different people (policy leads-and-sre)');
    expect((await weightsInMoto(spec))[0].green).toBe(0);

    expect((await approve('sara', id, 'cutover')).json()).toMatchObject({ approvals: 2, met: true });
    await eventually(() => status(id), (s) => s.weights.green > 0);
    const late = await approve('stan', id, 'cutover');
    expect(late.statusCode).toBe(409);
    const audit = (await call(api.app, { method: 'GET', url: `/v1/migrations/${id}/audit`, token: 'dev-viewer' })).json();
    expect(audit.entries.find((e: { action: string }) => e.action === 'gate-approve')).toMatchObject({ actor: 'sara@corp', detail: { approvers: ['lena@corp', 'sara@corp'] } });
  });

  it('ten concurrent approvals by three people count as three', async () => {
    const { id } = await startWith({ cutover: { required: 3, groups: ['payments-leads', 'sre'] } });
    const people = ['lena', 'liam', 'sara'];
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => approve(people[i % 3], id, 'cutover')));
    const accepted = answers.filter((a) => a.statusCode === 200);
    expect(accepted).toHaveLength(3);
    // The others are refused: an approval already counted (403) or a gate already decided (409).
    for (const a of answers.filter((x) => x.statusCode !== 200)) expect([403, 409]).toContain(a.statusCode);
    const audit = (await call(api.app, { method: 'GET', url: `/v1/migrations/${id}/audit`, token: 'dev-viewer' })).json();
    const counted = audit.entries.filter((e: { action: string }) => e.action === 'gate-approval').map((e: { actor: string }) => e.actor);
    expect(counted.sort()).toEqual(['lena@corp', 'liam@corp', 'sara@corp']);
    await eventually(() => status(id), (s) => s.weights.green > 0);
  });

  it('the starter may not decide, and a rejection by an eligible person ends the gate', async () => {
    const { id } = await startWith({ cutover: { required: 2 } });
    // The sandbox operator started it; it is no approver, so the route refuses it first.
    expect((await approve('dev-operator', id, 'cutover')).statusCode).toBe(403);
    expect((await approve('liam', id, 'cutover')).statusCode).toBe(200);
    const rejected = await approve('gus', id, 'cutover', 'reject');
    expect(rejected.statusCode, rejected.body).toBe(200);
    await eventually(() => status(id), (s) => s.phase === 'rolled-back');
  });

  it('400 for a policy name the settings do not have, and for an expiry action without an expiry', async () => {
    const { spec } = await seededSpec({ approvals: { decommission: 'nope' } });
    const unknown = await post('dev-operator', '/v1/plans', spec);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toContainEqual({ path: '/approvals/decommission', message: `no approval policy "nope" in the service's settings (CUTOVER_APPROVAL_POLICIES); known: leads-and-sre` });
    const badExpiry = await post('dev-operator', '/v1/plans', { ...spec, approvals: { cutover: { onExpiry: 'reject' } } });
    expect(badExpiry.json().errors).toContainEqual({ path: '/approvals/cutover/onExpiry', message: 'needs expiresAfter: without it the gate never expires' });
  });
});

describe('a policy more people must meet than exist', () => {
  it('is a 400 at the start with static tokens (the API knows every approver), naming who could', async () => {
    const sandbox = await startApi(); // the sandbox tokens: three approvers
    try {
      const { spec } = await seededSpec({ approvals: { decommission: { required: 3 } } });
      const res = await call(sandbox.app, { method: 'POST', url: '/v1/plans', token: 'dev-operator', payload: spec });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toContainEqual({
        path: '/approvals/decommission',
        message: 'needs 4 distinct approvers (3, besides the 1 who approve cutover), but only 3 people with the approver role exist: alice@sandbox, bob@sandbox, carol@sandbox',
      });
      // At the start the starter is known: an approver who starts leaves too few for the defaults.
      const byApprover = await call(sandbox.app, { method: 'POST', url: '/v1/migrations', token: 'dev-approver-1', payload: (await seededSpec()).spec });
      expect(byApprover.statusCode).toBe(400);
      expect(byApprover.json().errors).toContainEqual({
        path: '/approvals/decommission',
        message: 'needs 3 distinct approvers (2, besides the 1 who approve cutover), but only 2 people with the approver role exist, not counting the starter alice@sandbox: bob@sandbox, carol@sandbox',
      });
      // The defaults fit the sandbox: 1 for cutover, 2 others for decommission.
      const fits = await call(sandbox.app, { method: 'POST', url: '/v1/plans', token: 'dev-operator', payload: (await seededSpec()).spec });
      expect(fits.statusCode, fits.body).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});

describe('step-back and promote over REST', () => {
  it('steps back from 80 to 50 in moto, holds at gate step-3 with the reason, and goes on once approved', async () => {
    const { id, spec } = await startWith({}, { steps: [20, 50, 80, 100], stepApproval: 'manual', observe: '0s' });
    expect((await approve('lena', id, 'cutover')).statusCode).toBe(200);
    for (const gate of ['step-2', 'step-3']) {
      await eventually(() => status(id), (s) => s.pendingGate?.gate === gate);
      expect((await approve('lena', id, gate)).statusCode).toBe(200);
    }
    await eventually(() => status(id), (s) => s.pendingGate?.gate === 'step-4' && s.weights.green === 80);

    const never = await post('dev-operator', `/v1/migrations/${id}/step-back`, { weight: 30, reason: 'latency' });
    expect(never.statusCode).toBe(400);
    expect(never.json().message).toBe("weight 30 is not a step of this migration's plan (green 20, 50, 80, 100); step back to one of them");

    const back = await post('dev-operator', `/v1/migrations/${id}/step-back`, { weight: 50, reason: 'p99 up 20 %' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ step: 2, greenWeight: 50 });
    const held = await eventually(() => status(id), (s) => s.pendingGate?.gate === 'step-3');
    expect(held.weights).toEqual({ blue: 50, green: 50 });
    expect(held.pendingGate.reason).toBe('stepped back from green 80% to 50% by ops@sandbox: p99 up 20 %');
    expect((await weightsInMoto(spec)).map((w) => w.green)).toEqual([50]);

    // Promote from here: one approver who did not start it; green goes to 100 % past the step.
    const promote = await post('liam', `/v1/migrations/${id}/promote`, { reason: 'looks good' });
    expect(promote.statusCode, promote.body).toBe(200);
    expect(promote.json()).toMatchObject({ gate: 'promote', approvals: 1, required: 1, met: true });
    await eventually(() => status(id), (s) => s.weights.green === 100);
    expect((await weightsInMoto(spec)).map((w) => w.green)).toEqual([100]);
  });
});
