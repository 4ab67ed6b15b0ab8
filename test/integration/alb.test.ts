// The ALB driver against moto: both target-group weights in one ModifyListener, idempotent,
// applied as soon as the listener describes them (a wait until then heartbeats and can be cancelled).
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { eventually, stack } from '../helpers.js';
import { activitiesWith, albTraffic, failureOf, type FaultProxy, runActivity, seedWorld, startActivity, startFaultProxy } from './support.js';

describe('alb driver', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it('sets both weights in one ModifyListener, and a retry changes nothing', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: albTraffic(w), weights: { blue: 70, green: 30 }, actor: 'alice', reason: 'step 1' };
    const modifies = () => proxy.calls.filter((c) => c.action === 'ModifyListener').length;
    const before = modifies();

    expect(await acts.setWeights(input)).toEqual({ changed: true, changeIds: [], settleSeconds: 0 });
    await runActivity(acts.waitWeightsApplied, { ...input, changeIds: [] });
    expect(await acts.setWeights(input)).toEqual({ changed: false, changeIds: [], settleSeconds: 0 });
    expect(modifies() - before).toBe(1);

    const listener = (await createAwsClients({ endpoint: stack().motoUrl }).elbv2(w.world.region).send(new DescribeListenersCommand({ ListenerArns: [w.listenerArn] }))).Listeners![0];
    const groups = listener.DefaultActions![0].ForwardConfig!.TargetGroups!;
    expect(groups.map((g) => [g.TargetGroupArn, g.Weight])).toEqual([
      [w.blueTargetGroupArn, 70],
      [w.greenTargetGroupArn, 30],
    ]);
    expect(await acts.readWeights(input)).toEqual([{ blue: 70, green: 30 }]);
  });

  it('a wait for weights the listener does not forward holds, heartbeating, until cancelled', async () => {
    const w = await seedWorld();
    const acts = activitiesWith();
    const input = { region: w.world.region, traffic: albTraffic(w), weights: { blue: 60, green: 40 }, actor: 'alice', reason: 'step 1' };
    await acts.setWeights(input);
    const waiting = startActivity(acts.waitWeightsApplied, { ...input, weights: { blue: 10, green: 90 }, changeIds: [] });
    await eventually(async () => waiting.heartbeats.length, (n) => n >= 2);
    waiting.cancel();
    await expect(waiting.result).rejects.toBeInstanceOf(CancelledFailure);
  });

  it("takes blue's target group out of the forward once green carries everything; a retry changes nothing; refused while blue has weight", async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: albTraffic(w), actor: 'bob', reason: 'decommission' };
    const modifies = () => proxy.calls.filter((c) => c.action === 'ModifyListener').length;

    await acts.setWeights({ ...input, weights: { blue: 10, green: 90 } });
    const refused = await failureOf(acts.removeBlueRouting(input));
    expect(refused).toMatchObject({ type: 'InvariantViolation', nonRetryable: true });
    expect(refused.message).toContain(`blue's target group ${w.blueTargetGroupArn} still has weight 10`);

    await acts.setWeights({ ...input, weights: { blue: 0, green: 100 } });
    const before = modifies();
    expect(await acts.removeBlueRouting(input)).toEqual({ removed: [`target group ${w.blueTargetGroupArn} from ${w.listenerArn}`], left: expect.stringContaining(`blue's target group ${w.blueTargetGroupArn} is no longer forwarded to`) });
    expect((await acts.removeBlueRouting(input)).removed).toEqual([]);
    expect(modifies() - before).toBe(1);
    const listener = (await createAwsClients({ endpoint: stack().motoUrl }).elbv2(w.world.region).send(new DescribeListenersCommand({ ListenerArns: [w.listenerArn] }))).Listeners![0];
    expect(listener.DefaultActions![0].ForwardConfig!.TargetGroups!.map((g) => [g.TargetGroupArn, g.Weight])).toEqual([[w.greenTargetGroupArn, 100]]);
    expect(await acts.readWeights(input)).toEqual([{ blue: 0, green: 100 }]);
  });

  it('fails with NotFound naming a missing listener', async () => {
    const w = await seedWorld();
    const traffic = albTraffic(w);
    const missing = w.listenerArn.replace(/[0-9a-f]{16}$/, '0000000000000000');
    traffic.alb!.listenerArn = missing;
    const failure = await failureOf(activitiesWith().setWeights({ region: w.world.region, traffic, weights: { blue: 50, green: 50 }, actor: 'a', reason: 'r' }));
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toContain(missing);
  });
});
