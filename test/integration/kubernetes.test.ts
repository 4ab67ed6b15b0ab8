// The Kubernetes side against real kube-apiservers: the cluster-access seam, the removed-API
// scan in preflight, the drift audit and green's readiness in validateGreen, pagination.
// Each test works in a namespace of its own and asserts only about it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { eksToken } from '../../activities/eks-token.js';
import { UNREACHABLE_AFTER_ATTEMPTS } from '../../activities/cluster-checks.js';
import type { PreflightResult } from '../../activities/contract.js';
import { scanRemovedApis } from '../../activities/kube-audit.js';
import { freePort } from '../../scripts/stack/processes.js';
import { DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CoreV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { KEEP_LABEL, KEEP_VALUE } from '../../activities/blue-teardown.js';
import { DefaultLogger } from '@temporalio/worker';
import { clusterAccessFromEnv, eksClusterAccess, listAll, localClusterAccess, requireCluster } from '../../activities/kubernetes.js';
import { createAwsClients } from '../../activities/aws.js';
import type { Finding } from '../../workflows/model.js';
import { helmRelease, kubeConfigFor, seedKube } from '../../scripts/stack/kube-seed.js';
import { eventually, stack, uniqueName } from '../helpers.js';
import { activitiesWith, clusterAccess, createAll, failureOf, installCrd, kubeApi, runActivity, seedWorld, startActivity, uniqueNamespace } from './support.js';

const about = (findings: Finding[], ns: string) => findings.filter((f) => f.message.includes(`${ns}/`));

describe('cluster access', () => {
  it('maps cluster names to local API servers, and names a cluster it cannot reach', async () => {
    const access = localClusterAccess({ 'prod-blue': stack().kube.blue });
    const blue = await requireCluster(access, 'prod-blue', 'us-east-1');
    expect(blue.server).toBe(stack().kube.blue.server);
    expect(await access.connect('prod-green', 'us-east-1')).toBeUndefined();
    const failure = await failureOf(requireCluster(access, 'prod-green', 'us-east-1'));
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toContain('prod-green');
  });

  it('from the worker environment: the CUTOVER_KUBE_CLUSTERS map first, then a kubeconfig context of that name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-access-'));
    const { blue, green } = stack().kube;
    writeFileSync(path.join(dir, 'clusters.json'), JSON.stringify({ 'mapped-blue': blue }));
    writeFileSync(
      path.join(dir, 'kubeconfig'),
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'anywhere', cluster: { server: green.server, 'certificate-authority': green.caFile } }],
        users: [{ name: 'anywhere-admin', user: { token: green.token } }],
        contexts: [{ name: 'eksa-green', context: { cluster: 'anywhere', user: 'anywhere-admin' } }],
        'current-context': 'eksa-green',
      }),
    );
    const access = clusterAccessFromEnv(createAwsClients({ endpoint: stack().motoUrl }), {
      CUTOVER_KUBE_CLUSTERS: path.join(dir, 'clusters.json'),
      KUBECONFIG: `${path.join(dir, 'missing')}:${path.join(dir, 'kubeconfig')}`,
    });
    const mapped = await requireCluster(access, 'mapped-blue', 'us-east-1');
    const context = await requireCluster(access, 'eksa-green', 'us-east-1');
    expect([mapped.server, context.server]).toEqual([blue.server, green.server]);
    expect((await listAll(context, 'v1', 'Namespace')).map((n) => n.metadata?.name)).toContain('default');
    // Sandbox mode never reaches for EKS: an unknown name is simply not reachable.
    expect(await access.connect('prod-blue', 'us-east-1')).toBeUndefined();
  });

  it('in AWS mode, describes the EKS cluster and mints a k8s-aws-v1 token bound to it', async () => {
    const { world } = await seedWorld();
    const cluster = await requireCluster(eksClusterAccess(createAwsClients({ endpoint: stack().motoUrl })), world.blue, world.region);
    expect(cluster.eks).toBe(true);
    expect(cluster.server).toMatch(/^https:\/\/.+eks\.amazonaws\.com/);
    const token = cluster.kc.getCurrentUser()?.token ?? '';
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.host).toBe(`sts.${world.region}.amazonaws.com`); // the aws partition's STS endpoint
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  });

  it('presigns GetCallerIdentity for the region\'s partition, bound to the cluster, with the SDK\'s signer', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+x' };
    const now = new Date('2026-03-01T12:34:56Z');
    const token = await eksToken('prod-blue', 'cn-north-1', credentials, now);
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    // The SDK's endpoint rules, not a hand-written host: China's partition has its own suffix.
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260301/cn-north-1/sts/aws4_request',
      'X-Amz-Date': '20260301T123456Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': credentials.sessionToken,
    });
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

  });

  it('lists every object through pages (continue), however small the page', async () => {
    const ns = await uniqueNamespace(['blue']);
    await createAll(
      'blue',
      Array.from({ length: 7 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns } })),
    );
    const blue = await requireCluster(localClusterAccess({ blue: stack().kube.blue }), 'blue', 'us-east-1');
    const all = await listAll(blue, 'v1', 'ConfigMap', { namespace: ns, limit: 2 });
    expect(all.map((o) => o.metadata?.name).filter((n) => n?.startsWith('cm-')).sort()).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
  });
});

describe('removed-API scan in preflight', () => {
  it('finds the seeded objects for 1.34 (last-applied and Helm), fewer for 1.25, none for 1.24', async () => {
    const w = await seedWorld();
    const ns = uniqueName('scan');
    await seedKube(stack().kube, ns);
    const acts = activitiesWith({ clusters: clusterAccess({ blue: w.world.blue, green: w.world.green }) });
    const input = { region: w.world.region, blue: w.world.blue, green: w.world.green, mode: 'create' as const };

    const at134 = about((await acts.preflight({ ...input, targetVersion: '1.34' })).findings, ns).filter((f) => f.source === 'removed-apis');
    expect(at134).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'blocking', source: 'removed-apis', message: expect.stringMatching(new RegExp(`HorizontalPodAutoscaler ${ns}/web .*autoscaling/v2beta2 \\(last-applied\\), removed in Kubernetes 1.26`)) }),
        expect.objectContaining({ severity: 'blocking', source: 'removed-apis', message: expect.stringMatching(new RegExp(`CronJob ${ns}/reports-nightly .*batch/v1beta1 \\(helm release ${ns}/reports v1\\), removed in Kubernetes 1.25`)) }),
      ]),
    );
    expect(at134).toHaveLength(2);

    // Before their removal, the same objects are warnings: deprecated, still served.
    const blue = await requireCluster(clusterAccess({ blue: w.world.blue, green: w.world.green }), w.world.blue, w.world.region);
    const at125 = await scanRemovedApis(blue, '1.25', { namespaces: [ns] });
    expect(at125.usages.map((u) => `${u.kind}/${u.name} ${u.removed ? 'removed' : 'deprecated'}`).sort()).toEqual(['CronJob/reports-nightly removed', 'HorizontalPodAutoscaler/web deprecated']);
    const at124 = await scanRemovedApis(blue, '1.24', { namespaces: [ns] });
    expect(at124.usages.filter((u) => u.removed)).toEqual([]);
    expect((await scanRemovedApis(blue, '1.20', { namespaces: [ns] })).usages).toEqual([]);
  });

  it('reads only deployed Helm releases, and tolerates payloads that are not Helm 3', async () => {
    const ns = await uniqueNamespace(['blue'], 'helm');
    const superseded = helmRelease(ns, 'old', 1, 'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old-ingress\n');
    superseded.metadata!.labels!.status = 'superseded';
    const garbage = helmRelease(ns, 'odd', 1, '');
    (garbage as { data: Record<string, string> }).data.release = Buffer.from('not helm at all').toString('base64');
    await createAll('blue', [superseded, garbage]);
    const blue = await requireCluster(localClusterAccess({ blue: stack().kube.blue }), 'blue', 'us-east-1');
    expect((await scanRemovedApis(blue, '1.34', { namespaces: [ns] })).usages).toEqual([]);
  });

  it('an unreachable API server is retried, then reported once retries have not helped', async () => {
    const w = await seedWorld();
    const closed = `https://127.0.0.1:${await freePort()}`;
    const clusters = localClusterAccess({ [w.world.blue]: { ...stack().kube.blue, server: closed } });
    const input = { region: w.world.region, blue: w.world.blue, green: w.world.green, targetVersion: '1.34', mode: 'create' as const };
    const preflight = activitiesWith({ clusters }).preflight;
    const quiet = { logger: new DefaultLogger('ERROR') };

    const first = await failureOf(new MockActivityEnvironment({ attempt: 1 }, quiet).run(preflight, input));
    expect(first).toMatchObject({ type: 'KubernetesUnavailable', nonRetryable: false });
    const later = (await new MockActivityEnvironment({ attempt: UNREACHABLE_AFTER_ATTEMPTS }, quiet).run(preflight, input)) as PreflightResult;
    expect(later.findings).toContainEqual(
      expect.objectContaining({ severity: 'blocking', source: 'removed-apis', message: expect.stringContaining(`removed-API scan of ${w.world.blue} could not run after ${UNREACHABLE_AFTER_ATTEMPTS} attempts`) }),
    );
  });

  it('a cluster that refuses the worker becomes a blocking finding naming it, not a crash', async () => {
    const w = await seedWorld();
    const clusters = localClusterAccess({ [w.world.blue]: { ...stack().kube.blue, token: 'not-a-valid-token' } });
    const result = await activitiesWith({ clusters }).preflight({ region: w.world.region, blue: w.world.blue, green: w.world.green, targetVersion: '1.34', mode: 'create' });
    expect(result.findings).toContainEqual(
      expect.objectContaining({ severity: 'blocking', source: 'removed-apis', message: expect.stringMatching(new RegExp(`removed-API scan of ${w.world.blue} could not run: .*HTTP 401`)) }),
    );
  });
});

describe('drift audit and readiness in validateGreen', () => {
  const health = { smoke: [], interval: '1m', failureThreshold: 3, onBreach: 'rollback' as const };

  it('reports the seeded blue-only ConfigMap, content differences, and blue-only custom resources', async () => {
    const w = await seedWorld();
    const ns = uniqueName('drift');
    await seedKube(stack().kube, ns);
    await Promise.all([installCrd('blue', 'widget-crd.yaml'), installCrd('green', 'widget-crd.yaml')]);
    const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data });
    const secret = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: { password: value } });
    const widget = (name: string) => ({ apiVersion: 'example.cutover.io/v1', kind: 'Widget', metadata: { name, namespace: ns }, spec: { size: 3 } });
    await createAll('blue', [cm({ mode: 'fast' }), secret('db', 'blue-secret'), secret('blue-only-token', 'x'), widget('shared'), widget('handmade')]);
    await createAll('green', [cm({ mode: 'safe' }), secret('db', 'green-secret'), widget('shared')]);

    const acts = activitiesWith({ clusters: clusterAccess({ blue: w.world.blue, green: w.world.green }) });
    const { findings } = await acts.validateGreen({ region: w.world.region, blue: w.world.blue, green: w.world.green, health });
    const drift = about(findings, ns).filter((f) => f.source === 'drift');
    const messages = drift.map((f) => f.message);
    expect(drift.every((f) => f.severity === 'warning')).toBe(true);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`ConfigMap ${ns}/legacy-flags exists only in blue`),
        expect.stringContaining(`HorizontalPodAutoscaler ${ns}/web exists only in blue`),
        expect.stringContaining(`Secret ${ns}/blue-only-token exists only in blue`),
        expect.stringContaining(`Widget ${ns}/handmade exists only in blue`),
        expect.stringMatching(new RegExp(`ConfigMap ${ns}/settings differs .* at data.mode`)),
      ]),
    );
    // Secrets are compared by name only, and identical objects are not drift.
    expect(messages.join('\n')).not.toMatch(new RegExp(`Secret ${ns}/db|Deployment ${ns}/web|Service ${ns}/web|Widget ${ns}/shared`));
    // Secret values never appear in findings.
    expect(JSON.stringify(findings)).not.toMatch(/blue-secret|green-secret/);
    // Green's web is rolled out (the seed writes its status): no readiness finding about it.
    expect(about(findings, ns).filter((f) => f.source === 'readiness')).toEqual([]);
  });

  it('blocks on a green workload that is not ready, naming it', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'ready');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: ns },
      spec: { replicas: 3, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:2' }] } } },
    };
    await createAll('blue', [deployment]);
    await createAll('green', [deployment]);
    const acts = activitiesWith({ clusters: clusterAccess({ blue: w.world.blue, green: w.world.green }), namespaces: [ns] });
    const { findings } = await acts.validateGreen({ region: w.world.region, blue: w.world.blue, green: w.world.green, health });
    expect(findings).toContainEqual({ severity: 'blocking', source: 'readiness', message: expect.stringContaining(`Deployment ${ns}/api in ${w.world.green} is not ready`) });
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'info', source: 'readiness', message: `0/1 workloads ready in ${w.world.green}` }));
  });

  it('without access to the clusters, says the audit was skipped', async () => {
    const w = await seedWorld();
    const { findings } = await activitiesWith().validateGreen({ region: w.world.region, blue: w.world.blue, green: w.world.green, health });
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'info', source: 'drift', message: expect.stringContaining('skipped') }));
  });
});

describe("decommission inside blue: its load balancers' objects, its retained volumes", () => {
  const blueName = uniqueName('decom-blue');
  const access = () => clusterAccess({ blue: blueName, green: uniqueName('decom-green') });
  const blue = { region: 'us-east-1', cluster: blueName };

  /** What blue's load balancer controller does once the load balancer is deleted: its finalizer goes. */
  const releaseFinalizers = (kind: string, apiVersion: string, namespace: string, name: string) =>
    kubeApi('blue').patch({ apiVersion, kind, metadata: { name, namespace, finalizers: null } } as unknown as KubernetesObject, undefined, undefined, 'test', undefined, PatchStrategy.MergePatch);

  it("deletes blue's Ingresses and LoadBalancer Services, waits while their controller's finalizers hold them, and is done once it removes them", async () => {
    const ns = await uniqueNamespace(['blue'], 'decom');
    await createAll('blue', [
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns, finalizers: ['ingress.k8s.aws/resources'] }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns, finalizers: ['service.kubernetes.io/load-balancer-cleanup'] }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'internal', namespace: ns }, spec: { ports: [{ port: 80 }] } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shared', namespace: ns, labels: { [KEEP_LABEL]: KEEP_VALUE } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } as KubernetesObject,
    ]);
    const acts = activitiesWith({ clusters: access(), namespaces: [ns] });

    expect(await acts.deleteBlueLoadBalancers(blue)).toEqual({ deleted: [`Ingress ${ns}/web`, `Service ${ns}/api`], deleting: [], kept: [`Service ${ns}/shared (labelled ${KEEP_LABEL}: ${KEEP_VALUE})`] });
    // A retry asks nothing again: both are being deleted, held by their finalizers.
    expect(await acts.deleteBlueLoadBalancers(blue)).toEqual({ deleted: [], deleting: [`Ingress ${ns}/web`, `Service ${ns}/api`], kept: [`Service ${ns}/shared (labelled ${KEEP_LABEL}: ${KEEP_VALUE})`] });

    const wait = startActivity(acts.waitBlueLoadBalancersGone, { ...blue, deadline: Date.now() + 600_000 });
    let settled = false;
    void wait.result.finally(() => (settled = true));
    const holding = await eventually(
      async () => wait.heartbeats as { remaining?: string[] }[],
      (beats) => beats.some((b) => b.remaining?.length === 2),
    );
    expect(holding.find((b) => b.remaining)?.remaining).toEqual([`Ingress ${ns}/web (finalizers ingress.k8s.aws/resources)`, `Service ${ns}/api (finalizers service.kubernetes.io/load-balancer-cleanup)`]);
    await releaseFinalizers('Ingress', 'networking.k8s.io/v1', ns, 'web');
    await eventually(async () => wait.heartbeats as { remaining?: string[] }[], (beats) => beats.some((b) => b.remaining?.length === 1));
    expect(settled).toBe(false); // the Service still holds it
    await releaseFinalizers('Service', 'v1', ns, 'api');
    expect(await wait.result).toEqual({ gone: true, remaining: [] });

    const left = await listAll(await requireCluster(access(), blueName, 'us-east-1'), 'v1', 'Service', { namespace: ns });
    expect(left.map((s) => s.metadata?.name).sort()).toEqual(['internal', 'shared']);
  });

  it("keeps the blue Ingress whose load balancer holds the alb driver's listener (green's way in), and deletes the others", async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue'], 'decom');
    const elb = createAwsClients({ endpoint: stack().motoUrl }).elbv2(w.world.region);
    const lbArn = (await elb.send(new DescribeListenersCommand({ ListenerArns: [w.listenerArn] }))).Listeners![0].LoadBalancerArn!;
    const dnsName = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }))).LoadBalancers![0].DNSName!;
    const ingress = (name: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: ns }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } }) as KubernetesObject;
    await createAll('blue', [ingress('shared-alb'), ingress('own-alb')]);
    // What blue's load balancer controller writes once it made the ALB: its address in the status.
    const net = kubeConfigFor('blue', stack().kube.blue).makeApiClient(NetworkingV1Api);
    // Kubernetes holds hostnames in lower case; AWS may answer the DNS name in the load balancer's case.
    for (const [name, hostname] of [['shared-alb', dnsName.toLowerCase()], ['own-alb', 'k8s-other-0123.us-east-1.elb.amazonaws.com']]) {
      const obj = await net.readNamespacedIngress({ name, namespace: ns });
      obj.status = { loadBalancer: { ingress: [{ hostname }] } };
      await net.replaceNamespacedIngressStatus({ name, namespace: ns, body: obj });
    }
    const acts = activitiesWith({ clusters: access(), namespaces: [ns] });
    const input = { ...blue, region: w.world.region, albListenerArn: w.listenerArn };

    const result = await acts.deleteBlueLoadBalancers(input);
    expect(result.deleted).toEqual([`Ingress ${ns}/own-alb`]);
    expect(result.kept).toEqual([`Ingress ${ns}/shared-alb (its load balancer ${dnsName.toLowerCase()} holds the alb driver's listener, which forwards to green)`]);
    expect((await runActivity(acts.waitBlueLoadBalancersGone, { ...input, deadline: Date.now() + 60_000 })).result).toEqual({ gone: true, remaining: [] });
    // Without the listener (another driver), nothing protects it.
    expect((await acts.deleteBlueLoadBalancers(blue)).deleted).toEqual([`Ingress ${ns}/shared-alb`]);
  });

  it('at its deadline answers with the objects still there and what holds each, instead of failing', async () => {
    const ns = await uniqueNamespace(['blue'], 'decom');
    await createAll('blue', [
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'stuck', namespace: ns, finalizers: ['ingress.k8s.aws/resources'] }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } } as KubernetesObject,
    ]);
    const acts = activitiesWith({ clusters: access(), namespaces: [ns] });
    await acts.deleteBlueLoadBalancers(blue);
    const { result } = await runActivity(acts.waitBlueLoadBalancersGone, { ...blue, deadline: Date.now() });
    expect(result).toEqual({ gone: false, remaining: [`Ingress ${ns}/stuck (finalizers ingress.k8s.aws/resources)`] });
    await releaseFinalizers('Ingress', 'networking.k8s.io/v1', ns, 'stuck');
  });

  it("reports blue's retained volumes (bound or Released) with what a person must do; others are not reported", async () => {
    const ns = await uniqueNamespace(['blue'], 'decom');
    const pv = (name: string, policy: string, claim?: string) =>
      ({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${ns}-${name}` },
        spec: {
          capacity: { storage: '20Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'gp3',
          persistentVolumeReclaimPolicy: policy,
          csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${name}` },
          ...(claim && { claimRef: { namespace: ns, name: claim } }),
        },
      }) as KubernetesObject;
    await createAll('blue', [pv('bound', 'Retain', 'data'), pv('released', 'Retain', 'old'), pv('deleted-with-claim', 'Delete', 'scratch')]);
    const core = kubeConfigFor('blue', stack().kube.blue).makeApiClient(CoreV1Api);
    const released = await core.readPersistentVolume({ name: `${ns}-released` });
    released.status = { phase: 'Released' };
    await core.replacePersistentVolumeStatus({ name: `${ns}-released`, body: released });

    const findings = await activitiesWith({ clusters: access(), namespaces: [ns] }).retainedVolumeFindings(blue);
    expect(findings).toHaveLength(2);
    expect(findings.every((f) => f.severity === 'warning' && f.source === 'decommission')).toBe(true);
    const [bound, gone] = [findings.find((f) => f.message.includes(`${ns}-bound`)), findings.find((f) => f.message.includes(`${ns}-released`))];
    expect(bound?.message).toContain(`bound to ${ns}/data`);
    expect(gone?.message).toContain(`Released by ${ns}/old`);
    expect(bound?.message).toMatch(/20 Gi.*vol-bound.*outlives blue's deletion.*delete the volume \(vol-bound\)/);

    const noAccess = await activitiesWith({ namespaces: [ns] }).retainedVolumeFindings(blue);
    expect(noAccess).toEqual([{ severity: 'info', source: 'decommission', message: expect.stringContaining('no API access') }]);
    // PersistentVolumes are cluster-wide: other tests' scans of the shared blue must not meet these.
    for (const name of ['bound', 'released', 'deleted-with-claim']) {
      await core.patchPersistentVolume({ name: `${ns}-${name}`, body: { metadata: { finalizers: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deletePersistentVolume({ name: `${ns}-${name}` });
    }
  });
});
