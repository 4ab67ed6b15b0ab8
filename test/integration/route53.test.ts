// The Route 53 driver against moto: one atomic batch per weight change, idempotent retries,
// never a half-applied observation, INSYNC awaited with Route 53's own waiter (not at all when
// the change's answer said so), NotFound naming what is missing.
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { stack } from '../helpers.js';
import { activitiesWith, failureOf, type FaultProxy, isChangeBatch, route53Traffic, runActivity, seedWorld, startFaultProxy } from './support.js';

const isGetChange = (c: { method: string; path: string }) => c.method === 'GET' && /\/change\/[^/]+$/.test(c.path);

describe('route53 driver', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it('sets both weights in one change, and a retry after success changes nothing', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: route53Traffic(w), weights: { blue: 80, green: 20 }, actor: 'alice', reason: 'step 1' };
    const before = proxy.calls.filter(isChangeBatch).length;

    const first = await acts.setWeights(input);
    expect(first).toMatchObject({ changed: true, settleSeconds: 1 });
    expect(first.changeIds).toHaveLength(1);
    // The change's own answer said INSYNC (moto always does): the wait need not ask again.
    const getChanges = proxy.calls.filter(isGetChange).length;
    await runActivity(acts.waitWeightsApplied, { ...input, changeIds: first.changeIds });
    expect(proxy.calls.filter(isGetChange).length).toBe(getChanges);

    const retry = await acts.setWeights(input);
    expect(retry).toEqual({ changed: false, changeIds: [], settleSeconds: 1, settleReason: `TTL 1 s of ${w.world.recordName} CNAME` });
    expect(proxy.calls.filter(isChangeBatch).length - before).toBe(1);
    expect(await acts.readWeights(input)).toEqual([{ blue: 80, green: 20 }]);
  });

  it('a worker that did not make the change asks Route 53 until the change is INSYNC', async () => {
    const w = await seedWorld();
    const input = { region: w.world.region, traffic: route53Traffic(w), weights: { blue: 40, green: 60 }, actor: 'alice', reason: 'step 2' };
    const { changeIds } = await activitiesWith().setWeights(input);
    // Another worker (its own clients) never saw the change's INSYNC answer.
    const other = activitiesWith({ endpoint: proxy.url });
    const before = proxy.calls.filter(isGetChange).length;
    await runActivity(other.waitWeightsApplied, { ...input, changeIds });
    expect(proxy.calls.filter(isGetChange).length - before).toBe(1);
    // Known INSYNC from then on: waiting again asks nothing.
    await runActivity(other.waitWeightsApplied, { ...input, changeIds });
    expect(proxy.calls.filter(isGetChange).length - before).toBe(1);
  });

  it('finds the zone by name as well as by ID', async () => {
    const w = await seedWorld();
    const acts = activitiesWith();
    const traffic = route53Traffic(w, { hostedZoneId: undefined, hostedZoneName: w.world.zoneName.replace(/\.$/, '') });
    await acts.setWeights({ region: w.world.region, traffic, weights: { blue: 50, green: 50 }, actor: 'a', reason: 'r' });
    expect(await acts.readWeights({ region: w.world.region, traffic })).toEqual([{ blue: 50, green: 50 }]);
  });

  it('changes several records in one all-or-nothing batch', async () => {
    const w = await seedWorld();
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1');
    const api = `api.${w.world.zoneName}`;
    const weighted = (setId: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: api, Type: 'CNAME' as const, SetIdentifier: setId, Weight: weight, TTL: 5, ResourceRecords: [{ Value: `${setId}-api.example.` }] },
    });
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [weighted('blue', 100), weighted('green', 0)] } }));
    const traffic = route53Traffic(w);
    traffic.route53!.records.push({ name: api, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' });
    const acts = activitiesWith({ endpoint: proxy.url });
    const before = proxy.calls.filter(isChangeBatch).length;

    const result = await acts.setWeights({ region: w.world.region, traffic, weights: { blue: 0, green: 100 }, actor: 'a', reason: 'r' });
    expect(result).toMatchObject({ changed: true, settleSeconds: 5 });
    expect(proxy.calls.filter(isChangeBatch).length - before).toBe(1);
    expect(await acts.readWeights({ region: w.world.region, traffic })).toEqual([
      { blue: 0, green: 100 },
      { blue: 0, green: 100 },
    ]);
  });

  it('sits out the alias TTL for weighted alias records, which have no TTL of their own: 60 s unless the spec says otherwise', async () => {
    const w = await seedWorld();
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1');
    // What external-dns (or EKS Blueprints) writes for a load balancer: weighted A aliases.
    const name = `lb.${w.world.zoneName}`;
    const alias = (setId: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: {
        Name: name,
        Type: 'A' as const,
        SetIdentifier: setId,
        Weight: weight,
        AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: `${setId}-123.us-east-1.elb.amazonaws.com.`, EvaluateTargetHealth: true },
      },
    });
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [alias('blue', 100), alias('green', 0)] } }));
    const traffic = route53Traffic(w, { records: [{ name, type: 'A', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }] });
    const acts = activitiesWith();
    const change = (weights: { blue: number; green: number }, t = traffic) => ({ region: w.world.region, traffic: t, weights, actor: 'alice', reason: 'step' });

    expect(await acts.setWeights(change({ blue: 80, green: 20 }))).toMatchObject({ changed: true, settleSeconds: 60, settleReason: `TTL 60 s (aliasTtl) of alias record ${name} A` });
    expect(await acts.readWeights(change({ blue: 80, green: 20 }))).toEqual([{ blue: 80, green: 20 }]);
    // The weights changed, the aliases did not: both still point at their load balancers.
    const sets = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, StartRecordName: name, StartRecordType: 'A' }))).ResourceRecordSets ?? [];
    expect(sets.filter((s) => s.Name === name).map((s) => [s.SetIdentifier, s.Weight, s.AliasTarget?.DNSName, s.TTL])).toEqual([
      ['blue', 80, 'blue-123.us-east-1.elb.amazonaws.com.', undefined],
      ['green', 20, 'green-123.us-east-1.elb.amazonaws.com.', undefined],
    ]);

    const longer = route53Traffic(w, { records: traffic.route53!.records, aliasTtl: '5m' });
    expect(await acts.setWeights(change({ blue: 50, green: 50 }, longer))).toMatchObject({ changed: true, settleSeconds: 300 });
    // A record with a TTL of its own beside the aliases: the longer of the two is sat out.
    longer.route53!.records.push({ name: w.world.recordName, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' });
    expect(await acts.setWeights(change({ blue: 20, green: 80 }, { ...longer, route53: { ...longer.route53!, aliasTtl: '0s' } }))).toMatchObject({
      settleSeconds: 1,
      settleReason: `TTL 1 s of ${w.world.recordName} CNAME`,
    });
  });

  it('is never observed half-applied while weights change repeatedly', async () => {
    const w = await seedWorld();
    const acts = activitiesWith();
    const input = { region: w.world.region, traffic: route53Traffic(w) };
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1');
    const observations: number[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const sets = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId }))).ResourceRecordSets ?? [];
        const weighted = sets.filter((s) => s.Name === w.world.recordName && s.Weight !== undefined);
        observations.push(weighted.reduce((sum, s) => sum + (s.Weight ?? 0), 0));
      }
    })();
    for (const green of [20, 50, 80, 100, 0, 30, 70, 100, 10, 90]) {
      await acts.setWeights({ ...input, weights: { blue: 100 - green, green }, actor: 'a', reason: `to ${green}` });
    }
    writing = false;
    await reader;
    expect(observations.length).toBeGreaterThan(5);
    expect(observations.filter((sum) => sum !== 100)).toEqual([]);
  });

  it('fails with NotFound naming a missing hosted zone, zone name or record', async () => {
    const w = await seedWorld();
    const acts = activitiesWith();
    const weights = { blue: 50, green: 50 };
    const byId = await failureOf(acts.setWeights({ region: 'us-east-1', traffic: route53Traffic(w, { hostedZoneId: 'ZNOSUCHZONE1' }), weights, actor: 'a', reason: 'r' }));
    expect(byId).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(byId.message).toContain('ZNOSUCHZONE1');

    const byName = await failureOf(acts.readWeights({ region: 'us-east-1', traffic: route53Traffic(w, { hostedZoneId: undefined, hostedZoneName: 'nowhere.invalid.' }) }));
    expect(byName).toMatchObject({ type: 'NotFound' });
    expect(byName.message).toContain('nowhere.invalid.');

    const traffic = route53Traffic(w);
    traffic.route53!.records = [{ name: `missing.${w.world.zoneName}`, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }];
    const record = await failureOf(acts.setWeights({ region: 'us-east-1', traffic, weights, actor: 'a', reason: 'r' }));
    expect(record).toMatchObject({ type: 'NotFound' });
    expect(record.message).toContain(`missing.${w.world.zoneName}`);
  });

  it('rolls back to blue when green\'s record was deleted by hand: the forward change fails naming it, the rollback sets blue alone', async () => {
    const w = await seedWorld();
    const acts = activitiesWith();
    const traffic = route53Traffic(w);
    const change = (weights: { blue: number; green: number }) => ({ region: w.world.region, traffic, weights, actor: 'alice', reason: 'test' });
    await acts.setWeights(change({ blue: 50, green: 50 }));
    const [record] = traffic.route53!.records;
    const route53 = createAwsClients({ endpoint: stack().motoUrl }).route53(w.world.region);
    const sets = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId }))).ResourceRecordSets ?? [];
    const green = sets.find((r) => r.SetIdentifier === record.greenSetIdentifier && r.Name === record.name)!;
    await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: green }] } }));

    const forward = await failureOf(acts.setWeights(change({ blue: 20, green: 80 })));
    expect(forward).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(forward.message).toContain(record.greenSetIdentifier);

    expect(await acts.setWeights(change({ blue: 100, green: 0 }))).toMatchObject({ changed: true });
    const after = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId }))).ResourceRecordSets ?? [];
    expect(after.filter((r) => r.Name === record.name && r.SetIdentifier).map((r) => [r.SetIdentifier, r.Weight])).toEqual([[record.blueSetIdentifier, 100]]);
  });

  it('rejects weights Route 53 cannot hold, before calling it', async () => {
    const w = await seedWorld();
    const failure = await failureOf(activitiesWith().setWeights({ region: 'us-east-1', traffic: route53Traffic(w), weights: { blue: 300, green: -200 }, actor: 'a', reason: 'r' }));
    expect(failure).toMatchObject({ type: 'InvalidSpec', nonRetryable: true });
  });

  it("removes blue's record once green carries everything (green's stays, weighted, at 100); refused while blue has weight; a retry finds nothing left", async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: route53Traffic(w), actor: 'bob', reason: 'decommission' };
    await acts.setWeights({ ...input, weights: { blue: 20, green: 80 } });
    // While blue still has weight, deleting its record would move traffic: refused, nothing deleted.
    const refused = await failureOf(acts.removeBlueRouting(input));
    expect(refused).toMatchObject({ type: 'InvariantViolation', nonRetryable: true });
    expect(refused.message).toContain('still has weight 20');
    await acts.setWeights({ ...input, weights: { blue: 0, green: 100 } });
    const before = proxy.calls.filter(isChangeBatch).length;
    expect((await acts.removeBlueRouting(input)).removed).toEqual([`record ${w.world.recordName} CNAME "blue"`]);
    expect((await acts.removeBlueRouting(input)).removed).toEqual([]);
    expect(proxy.calls.filter(isChangeBatch).length - before).toBe(1);
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1');
    const sets = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId }))).ResourceRecordSets ?? [];
    expect(sets.filter((s) => s.Name === w.world.recordName).map((s) => [s.SetIdentifier, s.Weight])).toEqual([['green', 100]]);
  });
});
