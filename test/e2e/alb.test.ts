// REST → workflow → the alb driver → moto's ELBv2: a whole migration whose traffic moves on
// one listener's weighted forward, read from the listener itself at every step, with a
// rollback in the middle of the run (and a retry that carries it on to completed).
import { DescribeListenersCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { call, seededSpec } from '../api/support.js';
import { eventually, stack, startHarness, type Harness } from '../helpers.js';

let api: Harness;
beforeAll(async () => {
  api = await startHarness();
});
afterAll(async () => api?.close());

describe('a migration over REST with the alb driver', () => {
  it('moves the listener step by step, back to blue on rollback, and on to completed after a retry', async () => {
    const { spec: seeded, w } = await seededSpec();
    const spec: MigrationSpec = {
      ...seeded,
      traffic: {
        ...seeded.traffic,
        route53: undefined,
        driver: 'alb',
        alb: { listenerArn: w.listenerArn, blueTargetGroupArn: w.blueTargetGroupArn, greenTargetGroupArn: w.greenTargetGroupArn },
        // A gate before each step after the first: the run rests there, with the step before it applied.
        stepApproval: 'manual',
        observe: '0s',
      },
    };
    const elb = createAwsClients({ endpoint: stack().motoUrl }).elbv2(w.world.region);
    // Green's target group must have healthy targets before any traffic moves (moto reports IP targets healthy).
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: w.greenTargetGroupArn, Targets: [{ Id: '10.40.0.10' }, { Id: '10.40.1.10' }] }));

    /** What the listener forwards, target group ARN → weight, as ELBv2 describes it. */
    const forwarded = async () => {
      const listener = (await elb.send(new DescribeListenersCommand({ ListenerArns: [w.listenerArn] }))).Listeners![0];
      const forward = listener.DefaultActions!.find((a) => a.Type === 'forward')!;
      return Object.fromEntries(forward.ForwardConfig!.TargetGroups!.map((g) => [g.TargetGroupArn, g.Weight]));
    };
    const weights = (blue: number, green: number) => ({ [w.blueTargetGroupArn]: blue, [w.greenTargetGroupArn]: green });

    const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    const atGate = (gate: string) => eventually(status, (s) => s.pendingGate?.gate === gate);
    const approve = async (gate: string, token = 'dev-approver-1') => {
      const approved = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token, payload: { gate, decision: 'approve' } });
      expect(approved.statusCode, approved.body).toBe(200);
    };
    /** Through the cutover gate to the gate before step 3: the listener at each step on the way. */
    const shiftToHalf = async () => {
      expect((await atGate('cutover')).weights).toEqual({ blue: 100, green: 0 });
      expect(await forwarded()).toEqual(weights(100, 0));
      await approve('cutover');
      expect((await atGate('step-2')).weights).toEqual({ blue: 80, green: 20 });
      expect(await forwarded()).toEqual(weights(80, 20));
      await approve('step-2');
      expect((await atGate('step-3')).weights).toEqual({ blue: 50, green: 50 });
      expect(await forwarded()).toEqual(weights(50, 50));
    };

    await shiftToHalf();
    const rollback = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, token: 'dev-operator', payload: { reason: 'latency on green' } });
    expect(rollback.statusCode, rollback.body).toBe(200);
    expect(await forwarded()).toEqual(weights(100, 0));
    expect((await status()).phase).toBe('rolled-back');

    // Retry: validated again, and the same gates and steps once more.
    const retried = await call(api.app, { method: 'POST', url: `/v1/migrations/${id}/retry`, token: 'dev-operator' });
    expect(retried.statusCode, retried.body).toBe(200);
    await shiftToHalf();
    await approve('step-3');
    const atDecommission = await atGate('decommission');
    expect(atDecommission.weights).toEqual({ blue: 0, green: 100 });
    expect(await forwarded()).toEqual(weights(0, 100));
    const shifts = atDecommission.audit.filter((e: { action: string }) => e.action === 'set-weights').map((e: { detail: { green: number } }) => e.detail.green);
    expect(shifts).toEqual([20, 50, 0, 20, 50, 100]);

    await approve('decommission', 'dev-approver-2');
    await approve('decommission', 'dev-approver-3');
    const done = await eventually(status, (s) => s.phase === 'completed');
    // Blue's target group is taken out of the forward; green's carries everything.
    expect(await forwarded()).toEqual({ [w.greenTargetGroupArn]: 100 });
    expect(done.audit.map((e: { action: string }) => e.action)).toContain('remove-blue-routing');
  });
});
