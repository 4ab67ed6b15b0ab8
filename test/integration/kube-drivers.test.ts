// The traffic drivers that live in Kubernetes: external-dns weight annotations on both
// clusters (the test plays external-dns and writes Route 53), and the in-cluster Service
// selector switch. Their settings come from a whole migration spec through checkSpec and
// resolveSpec, exactly as the workflow hands them to the activities.
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { AWS_WEIGHT } from '../../activities/drivers/external-dns.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { eventually, stack, uniqueName } from '../helpers.js';
import { activitiesWith, clusterAccess, createAll, failureOf, kubeApi, runActivity, seedWorld, specTraffic, startActivity, uniqueNamespace } from './support.js';

const ingress = (ns: string, setId: string): KubernetesObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: ns, annotations: { 'external-dns.alpha.kubernetes.io/set-identifier': setId, [AWS_WEIGHT]: setId === 'blue' ? '100' : '0' } },
    spec: { rules: [{ host: 'app.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  }) as KubernetesObject;

/** A whole spec around `traffic`, for clusters named blue and green. */
const specFor = (names: { blue: string; green: string }, traffic: MigrationSpec['traffic']): MigrationSpec => ({
  region: 'us-east-1',
  blue: { cluster: names.blue },
  green: { cluster: names.green, kubernetesVersion: '1.34' },
  traffic: { observe: '0s', ...traffic },
});

describe('external-dns driver', () => {
  it('annotates both clusters, once; applied when Route 53 serves the weights', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'xdns');
    await createAll('blue', [ingress(ns, 'blue')]);
    await createAll('green', [ingress(ns, 'green')]);
    // Clusters default to blue.cluster and green.cluster; the records' set identifiers to blue/green.
    const traffic = specTraffic(
      specFor(w.world, {
        driver: 'external-dns',
        externalDns: { objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }], route53: { hostedZoneId: w.hostedZoneId, records: [{ name: w.world.recordName }] } },
      }),
    );
    expect(traffic.externalDns).toMatchObject({ blueCluster: w.world.blue, greenCluster: w.world.green });
    const acts = activitiesWith({ clusters: clusterAccess(w.world) });
    const input = { region: w.world.region, traffic, weights: { blue: 70, green: 30 }, actor: 'alice', reason: 'step 1' };
    const annotation = async (role: 'blue' | 'green') =>
      (await kubeApi(role).read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns } })).metadata;

    // Once Route 53 holds the weights: external-dns's change propagates, then the records' TTL (1 s here).
    expect(await acts.setWeights(input)).toEqual({
      changed: true,
      changeIds: [],
      settleSeconds: 61,
      settleReason: `Route 53 propagation 60 s (external-dns's change cannot be asked for INSYNC), then TTL 1 s of ${w.world.recordName} CNAME`,
    });
    expect((await annotation('blue'))?.annotations?.[AWS_WEIGHT]).toBe('70');
    expect((await annotation('green'))?.annotations?.[AWS_WEIGHT]).toBe('30');
    const versions = [(await annotation('blue'))?.resourceVersion, (await annotation('green'))?.resourceVersion];
    expect(await acts.setWeights(input)).toMatchObject({ changed: false });
    expect([(await annotation('blue'))?.resourceVersion, (await annotation('green'))?.resourceVersion]).toEqual(versions);

    // Route 53 still serves 100/0 until external-dns catches up: the wait holds, heartbeating.
    const waiting = startActivity(acts.waitWeightsApplied, { ...input, changeIds: [] });
    await eventually(async () => waiting.heartbeats.filter((h) => 'polls' in (h as object)).length, (n) => n >= 1);
    const r53 = createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1');
    const weighted = (setId: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: w.world.recordName, Type: 'CNAME' as const, SetIdentifier: setId, Weight: weight, TTL: 1, ResourceRecords: [{ Value: `${setId}-lb.${w.world.zoneName}` }] },
    });
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [weighted('blue', 70), weighted('green', 30)] } }));
    await waiting.result;
    expect(await acts.readWeights(input)).toEqual([{ blue: 70, green: 30 }]);

    // All back on blue (a rollback) is written without reading Route 53 first, and sits out nothing.
    expect(await acts.setWeights({ ...input, weights: { blue: 100, green: 0 } })).toEqual({ changed: true, changeIds: [], settleSeconds: 0 });
    expect((await annotation('green'))?.annotations?.[AWS_WEIGHT]).toBe('0');
  });

  it('names an Ingress missing from a cluster', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'xdns');
    await createAll('blue', [ingress(ns, 'blue')]);
    const traffic = specTraffic(specFor(w.world, { driver: 'external-dns', externalDns: { objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }] } }));
    const failure = await failureOf(activitiesWith({ clusters: clusterAccess(w.world) }).setWeights({ region: w.world.region, traffic, weights: { blue: 50, green: 50 }, actor: 'a', reason: 'r' }));
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toContain(`Ingress ${ns}/web not found in ${w.world.green}`);
  });
});

describe('service-selector driver', () => {
  it('switches the selector in one patch, keeps the rest of it, and a retry changes nothing', async () => {
    const ns = await uniqueNamespace(['blue'], 'sel');
    await createAll('blue', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject]);
    // The Service lives in a cluster that stays (here the apiserver standing in for blue, under another name).
    const names = { blue: uniqueName('old'), green: uniqueName('new') };
    const edge = uniqueName('edge');
    const traffic = specTraffic(specFor(names, { driver: 'service-selector', serviceSelector: { cluster: edge, namespace: ns, service: 'web' } }));
    expect(traffic).toMatchObject({ steps: [100], serviceSelector: { key: 'track', blueValue: 'blue', greenValue: 'green' } });
    const acts = activitiesWith({ clusters: clusterAccess({ blue: edge, green: names.green }) });
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

  it("switches on a selector key and values of the spec's choosing", async () => {
    const ns = await uniqueNamespace(['green'], 'sel');
    const key = 'app.example.com/release';
    await createAll('green', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns }, spec: { selector: { app: 'api', [key]: 'v1' }, ports: [{ port: 80 }] } } as KubernetesObject]);
    const names = { blue: uniqueName('old'), green: uniqueName('new') };
    const traffic = specTraffic(specFor(names, { driver: 'service-selector', steps: [100], serviceSelector: { cluster: names.green, namespace: ns, service: 'api', key, blueValue: 'v1', greenValue: 'v2' } }));
    const acts = activitiesWith({ clusters: clusterAccess(names) });
    const input = { region: 'us-east-1', traffic, actor: 'alice', reason: 'cutover' };

    expect(await acts.readWeights(input)).toEqual([{ blue: 100, green: 0 }]);
    expect(await acts.setWeights({ ...input, weights: { blue: 0, green: 100 } })).toMatchObject({ changed: true });
    await runActivity(acts.waitWeightsApplied, { ...input, changeIds: [], weights: { blue: 0, green: 100 } });
    const service = (await kubeApi('green').read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns } })) as KubernetesObject & { spec: { selector: Record<string, string> } };
    expect(service.spec.selector).toEqual({ app: 'api', [key]: 'v2' });
    await acts.removeBlueRouting(input);
    expect(await acts.readWeights(input)).toEqual([{ blue: 0, green: 100 }]);
  });
});
