// The traffic drivers that live in Kubernetes: external-dns weight annotations on both
// clusters (the test plays external-dns and writes Route 53), and the in-cluster Service
// selector switch.
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import type { ExternalDnsTarget, ServiceSelectorTarget } from '../../activities/contract.js';
import { AWS_WEIGHT } from '../../activities/external-dns.js';
import { eventually, stack } from '../helpers.js';
import { activitiesWith, clusterAccess, createAll, failureOf, kubeApi, seedWorld, startActivity, type TrafficSpec, uniqueNamespace } from './support.js';

const ingress = (ns: string, setId: string): KubernetesObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: ns, annotations: { 'external-dns.alpha.kubernetes.io/set-identifier': setId, [AWS_WEIGHT]: setId === 'blue' ? '100' : '0' } },
    spec: { rules: [{ host: 'app.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  }) as KubernetesObject;

const base = { steps: [20, 50, 80, 100], stepApproval: 'auto' as const, observe: '0s' };

describe('external-dns driver', () => {
  it('annotates both clusters, once; applied when Route 53 serves the weights', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'xdns');
    await createAll('blue', [ingress(ns, 'blue')]);
    await createAll('green', [ingress(ns, 'green')]);
    const externalDns: ExternalDnsTarget = {
      blueCluster: w.world.blue,
      greenCluster: w.world.green,
      objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }],
      route53: { hostedZoneId: w.hostedZoneId, records: [{ name: w.world.recordName, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }] },
    };
    const traffic = { ...base, driver: 'external-dns', externalDns } as TrafficSpec;
    const acts = activitiesWith({ clusters: clusterAccess(w.world) });
    const input = { region: w.world.region, traffic, weights: { blue: 70, green: 30 }, actor: 'alice', reason: 'step 1' };
    const annotation = async (role: 'blue' | 'green') =>
      (await kubeApi(role).read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns } })).metadata;

    expect(await acts.setWeights(input)).toEqual({ changed: true, changeIds: [], settleSeconds: 0 });
    expect((await annotation('blue'))?.annotations?.[AWS_WEIGHT]).toBe('70');
    expect((await annotation('green'))?.annotations?.[AWS_WEIGHT]).toBe('30');
    const versions = [(await annotation('blue'))?.resourceVersion, (await annotation('green'))?.resourceVersion];
    expect(await acts.setWeights(input)).toMatchObject({ changed: false });
    expect([(await annotation('blue'))?.resourceVersion, (await annotation('green'))?.resourceVersion]).toEqual(versions);

    // Route 53 still serves 100/0 until external-dns catches up: the wait holds, heartbeating.
    const waiting = startActivity(acts.waitWeightsApplied, { ...input, changeIds: [] });
    await eventually(async () => waiting.heartbeats.filter((h) => 'polls' in (h as object)).length, (n) => n >= 1);
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53();
    const weighted = (setId: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: w.world.recordName, Type: 'CNAME' as const, SetIdentifier: setId, Weight: weight, TTL: 1, ResourceRecords: [{ Value: `${setId}-lb.${w.world.zoneName}` }] },
    });
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [weighted('blue', 70), weighted('green', 30)] } }));
    await waiting.result;
    expect(await acts.readWeights(input)).toEqual([{ blue: 70, green: 30 }]);
  });

  it('names an Ingress missing from a cluster', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'xdns');
    await createAll('blue', [ingress(ns, 'blue')]);
    const externalDns: ExternalDnsTarget = { blueCluster: w.world.blue, greenCluster: w.world.green, objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }] };
    const failure = await failureOf(
      activitiesWith({ clusters: clusterAccess(w.world) }).setWeights({ region: w.world.region, traffic: { ...base, driver: 'external-dns', externalDns } as TrafficSpec, weights: { blue: 50, green: 50 }, actor: 'a', reason: 'r' }),
    );
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toContain(`Ingress ${ns}/web not found in ${w.world.green}`);
  });
});

describe('service-selector driver', () => {
  it('switches the selector in one patch, keeps the rest of it, and a retry changes nothing', async () => {
    const ns = await uniqueNamespace(['blue'], 'sel');
    await createAll('blue', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject]);
    const serviceSelector: ServiceSelectorTarget = { cluster: 'one-cluster', namespace: ns, service: 'web', key: 'track', blueValue: 'blue', greenValue: 'green' };
    const traffic = { ...base, steps: [100], driver: 'service-selector', serviceSelector } as TrafficSpec;
    const acts = activitiesWith({ clusters: clusterAccess({ blue: 'one-cluster', green: 'unused' }) });
    const input = { region: 'us-east-1', traffic, actor: 'alice', reason: 'cutover' };

    expect(await acts.readWeights(input)).toEqual([{ blue: 100, green: 0 }]);
    expect(await acts.setWeights({ ...input, weights: { blue: 0, green: 100 } })).toMatchObject({ changed: true });
    const service = (await kubeApi('blue').read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns } })) as KubernetesObject & { spec: { selector: Record<string, string> } };
    expect(service.spec.selector).toEqual({ app: 'web', track: 'green' });
    expect(await acts.setWeights({ ...input, weights: { blue: 0, green: 100 } })).toMatchObject({ changed: false });
    expect(await acts.readWeights(input)).toEqual([{ blue: 0, green: 100 }]);

    const partial = await failureOf(acts.setWeights({ ...input, weights: { blue: 50, green: 50 } }));
    expect(partial).toMatchObject({ type: 'InvalidSpec', nonRetryable: true });
    // Rollback is the same single switch.
    expect(await acts.setWeights({ ...input, weights: { blue: 100, green: 0 } })).toMatchObject({ changed: true });
    expect(await acts.readWeights(input)).toEqual([{ blue: 100, green: 0 }]);
  });
});
