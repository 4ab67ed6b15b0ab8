// Throttling and 5xx between the SDK and moto (a proxy answers them instead of moto): the
// activity still succeeds after a few, and past the SDK's own retries it fails *retryable*,
// so Temporal's retry policy takes over; the retry then lands exactly one change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { activitiesWith, albTraffic, failureOf, type FaultProxy, isChangeBatch, ROUTE53_THROTTLING, route53Traffic, seedWorld, SERVICE_UNAVAILABLE, startFaultProxy } from './support.js';

describe('throttling and unavailability', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it('Route 53 Throttling a few times: setWeights still succeeds, with one change applied', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: route53Traffic(w), weights: { blue: 60, green: 40 }, actor: 'a', reason: 'step' };
    const before = proxy.calls.filter(isChangeBatch).length;
    proxy.inject(isChangeBatch, ROUTE53_THROTTLING, 2);

    const result = await acts.setWeights(input);
    expect(result.changed).toBe(true);
    expect(proxy.calls.filter(isChangeBatch).length - before).toBe(3); // two throttled, one through
    expect(await acts.readWeights(input)).toEqual([{ blue: 60, green: 40 }]);
  });

  it('throttled past the SDK retries: a retryable failure, and the next attempt succeeds', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: route53Traffic(w), weights: { blue: 10, green: 90 }, actor: 'a', reason: 'step' };
    proxy.inject(isChangeBatch, ROUTE53_THROTTLING, 3);

    const failure = await failureOf(acts.setWeights(input));
    expect(failure).toMatchObject({ type: 'Throttling', nonRetryable: false });
    expect(failure.message).toContain(w.hostedZoneId);
    // What Temporal's retry does next: the same call, now through.
    expect(await acts.setWeights(input)).toMatchObject({ changed: true });
    expect(await acts.setWeights(input)).toMatchObject({ changed: false });
  });

  it('EKS answering 503 twice: preflight still succeeds', async () => {
    const w = await seedWorld();
    const isDescribeBlue = (c: { method: string; path: string }) => c.method === 'GET' && c.path.startsWith(`/clusters/${w.world.blue}`);
    proxy.inject(isDescribeBlue, SERVICE_UNAVAILABLE, 2);
    const result = await activitiesWith({ endpoint: proxy.url }).preflight({ region: w.world.region, blue: w.world.blue, green: w.world.green, targetVersion: '1.34', mode: 'create' });
    expect(result.blueVersion).toBe('1.33');
  });

  it('ELBv2 answering 503 on ModifyListener: setWeights still succeeds', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    proxy.inject((c) => c.action === 'ModifyListener', SERVICE_UNAVAILABLE, 2);
    const input = { region: w.world.region, traffic: albTraffic(w), weights: { blue: 40, green: 60 }, actor: 'a', reason: 'step' };
    expect(await acts.setWeights(input)).toMatchObject({ changed: true });
    expect(await acts.readWeights(input)).toEqual([{ blue: 40, green: 60 }]);
  });
});
