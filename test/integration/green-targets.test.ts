// checkGreenTargets against the real peers: green's ALB target group in moto, green's pods
// behind a Service selector and green's external-dns objects on a kube-apiserver (no
// controllers run there: the test writes Pod and Ingress status, as kubelet and the load
// balancer controller would), and Route 53 records in moto. Read-only, one answer per call.
import { DescribeTargetHealthCommand, CreateTargetGroupCommand, DescribeTargetGroupsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EC2Client, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { CoreV1Api, NetworkingV1Api, PatchStrategy, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { AWS_WEIGHT, SET_IDENTIFIER } from '../../activities/drivers/external-dns.js';
import { GREEN_TARGETS } from '../../activities/drivers/driver.js';
import { kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { stack, uniqueName } from '../helpers.js';
import {
  activitiesWith,
  albTraffic,
  clusterAccess,
  createAll,
  failureOf,
  type FaultProxy,
  kubeApi,
  route53Traffic,
  seedWorld,
  SERVICE_UNAVAILABLE,
  specTraffic,
  startFaultProxy,
  uniqueNamespace,
} from './support.js';

const aws = () => createAwsClients({ endpoint: stack().motoUrl });
const blocking = <F extends { severity: string }>(findings: F[]) => findings.filter((f) => f.severity === 'blocking');

describe('checkGreenTargets, alb', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it('blocks on an empty green target group, passes once its IP targets are registered (moto reports them healthy), and only reads', async () => {
    const w = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { region: w.world.region, traffic: albTraffic(w) };
    const before = proxy.calls.length;

    const empty = await acts.checkGreenTargets(input);
    expect(empty.findings).toEqual([
      { severity: 'blocking', source: GREEN_TARGETS, message: `green target group ${w.greenTargetGroupArn} has no registered targets: green's share of the traffic would have nowhere to go` },
    ]);

    const elb = aws().elbv2(w.world.region);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: w.greenTargetGroupArn, Targets: [{ Id: '10.40.0.10' }, { Id: '10.40.1.10', Port: 8080 }] }));
    const described = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: w.greenTargetGroupArn }));
    expect(described.TargetHealthDescriptions!.map((d) => d.TargetHealth!.State)).toEqual(['healthy', 'healthy']);
    expect(await acts.checkGreenTargets(input)).toEqual({
      findings: [{ severity: 'info', source: GREEN_TARGETS, message: `green target group ${w.greenTargetGroupArn}: 2/2 targets healthy` }],
    });
    // Idempotent and read-only: DescribeTargetHealth, nothing else.
    expect(await acts.checkGreenTargets(input)).toEqual(await acts.checkGreenTargets(input));
    expect(new Set(proxy.calls.slice(before).map((c) => c.action))).toEqual(new Set(['DescribeTargetHealth']));
  });

  it('names each instance target that is not healthy, with state and reason (moto: a stopped instance is "unused", Target.InvalidState)', async () => {
    const w = await seedWorld();
    const region = w.world.region;
    const elb = aws().elbv2(region);
    const ec2 = new EC2Client({ endpoint: stack().motoUrl, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const vpcId = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [w.greenTargetGroupArn] }))).TargetGroups![0].VpcId;
    const name = uniqueName('gi').slice(0, 32);
    const group = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }))).TargetGroups![0].TargetGroupArn!;
    const instances = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: 2, MaxCount: 2 }))).Instances!.map((i) => i.InstanceId!);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: instances.map((Id) => ({ Id })) }));
    const traffic = albTraffic(w);
    traffic.alb!.greenTargetGroupArn = group;
    const acts = activitiesWith();

    expect((await acts.checkGreenTargets({ region, traffic })).findings).toEqual([
      { severity: 'info', source: GREEN_TARGETS, message: `green target group ${group}: 2/2 targets healthy` },
    ]);

    await ec2.send(new StopInstancesCommand({ InstanceIds: [instances[1]] }));
    expect((await acts.checkGreenTargets({ region, traffic })).findings).toEqual([
      {
        severity: 'blocking',
        source: GREEN_TARGETS,
        message: `green target group ${group}: 1 of 2 targets not healthy: ${instances[1]}:80 unused (Target.InvalidState: Target is in the stopped state)`,
      },
    ]);

    await ec2.send(new StopInstancesCommand({ InstanceIds: [instances[0]] }));
    const none = blocking((await acts.checkGreenTargets({ region, traffic })).findings);
    expect(none).toHaveLength(1);
    expect(none[0].message).toMatch(new RegExp(`^green target group ${group} has no healthy target \\(2 registered: `));
    for (const id of instances) expect(none[0].message).toContain(`${id}:80 unused (Target.InvalidState`);
  });

  it('a target group that does not exist is a blocking finding; an ELB that keeps failing is a retryable failure', async () => {
    const w = await seedWorld();
    const traffic = albTraffic(w);
    const missing = w.greenTargetGroupArn.replace(/[0-9a-f]{16}$/, '0000000000000000');
    traffic.alb!.greenTargetGroupArn = missing;
    const findings = (await activitiesWith().checkGreenTargets({ region: w.world.region, traffic })).findings;
    expect(findings).toEqual([{ severity: 'blocking', source: GREEN_TARGETS, message: expect.stringContaining(`green target group ${missing} could not be checked: target health of ${missing}`) }]);

    // 503 on every attempt the SDK makes (3): the activity fails retryable, and the next attempt answers.
    const acts = activitiesWith({ endpoint: proxy.url });
    proxy.inject((c) => c.action === 'DescribeTargetHealth', SERVICE_UNAVAILABLE, 3);
    const failure = await failureOf(acts.checkGreenTargets({ region: w.world.region, traffic: albTraffic(w) }));
    expect(failure.nonRetryable).toBe(false);
    expect(blocking((await acts.checkGreenTargets({ region: w.world.region, traffic: albTraffic(w) })).findings)).toHaveLength(1);
  });
});

type Pod = KubernetesObject & { spec?: Record<string, unknown> };

describe('checkGreenTargets, service-selector', () => {
  const core = () => kubeConfigFor('green', stack().kube.green).makeApiClient(CoreV1Api);

  const pod = (ns: string, name: string, labels: Record<string, string>): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] },
  });

  /** What kubelet would write: the phase and the Ready condition. */
  async function setPodStatus(ns: string, name: string, phase: string, ready: boolean, reason?: string): Promise<void> {
    const current = (await core().readNamespacedPod({ name, namespace: ns })) as V1Pod;
    current.status = {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', ...(reason ? { reason, message: 'containers with unready status: [web]' } : {}), lastTransitionTime: new Date() }],
    };
    await core().replaceNamespacedPodStatus({ name, namespace: ns, body: current });
  }

  async function world() {
    const names = { blue: uniqueName('sel-blue'), green: uniqueName('sel-green') };
    const ns = await uniqueNamespace(['green'], 'gsel');
    await createAll('green', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject]);
    const spec: MigrationSpec = {
      region: 'us-east-1',
      blue: { cluster: names.blue },
      green: { cluster: names.green, kubernetesVersion: '1.34' },
      traffic: { driver: 'service-selector', serviceSelector: { cluster: names.green, namespace: ns, service: 'web' } },
    };
    const input = { region: spec.region, traffic: specTraffic(spec) };
    return { ns, input, acts: activitiesWith({ clusters: clusterAccess(names) }) };
  }

  it('blocks while no pod matches the switched selector, names the pods not Ready, passes when all are', async () => {
    const { ns, input, acts } = await world();
    const where = `Service ${ns}/web in ${input.traffic.serviceSelector!.cluster} with selector app=web,track=green`;
    await createAll('green', [pod(ns, 'web-blue-1', { app: 'web', track: 'blue' }), pod(ns, 'other-green', { app: 'other', track: 'green' })]);
    await setPodStatus(ns, 'web-blue-1', 'Running', true);
    await setPodStatus(ns, 'other-green', 'Running', true);
    expect((await acts.checkGreenTargets(input)).findings).toEqual([
      { severity: 'blocking', source: GREEN_TARGETS, message: `no green pod for ${where}: switching would leave the Service without endpoints` },
    ]);

    // Created, not yet started (no scheduler, no kubelet here): Pending without conditions.
    await createAll('green', [pod(ns, 'web-green-1', { app: 'web', track: 'green' }), pod(ns, 'web-green-2', { app: 'web', track: 'green', version: '2' })]);
    const pending = (await acts.checkGreenTargets(input)).findings;
    expect(pending).toEqual([
      { severity: 'blocking', source: GREEN_TARGETS, message: `2 of 2 green pods for ${where} are not ready: web-green-1 Pending, no Ready condition; web-green-2 Pending, no Ready condition` },
    ]);

    await setPodStatus(ns, 'web-green-1', 'Running', true);
    await setPodStatus(ns, 'web-green-2', 'Running', false, 'ContainersNotReady');
    expect((await acts.checkGreenTargets(input)).findings).toEqual([
      {
        severity: 'blocking',
        source: GREEN_TARGETS,
        message: `1 of 2 green pods for ${where} are not ready: web-green-2 Running, Ready=False (ContainersNotReady: containers with unready status: [web])`,
      },
    ]);

    // An evicted (Failed) green pod gets no endpoint, so it neither counts nor blocks.
    await createAll('green', [pod(ns, 'web-green-evicted', { app: 'web', track: 'green' })]);
    await setPodStatus(ns, 'web-green-evicted', 'Failed', false, 'PodFailed');
    await setPodStatus(ns, 'web-green-2', 'Running', true);
    expect((await acts.checkGreenTargets(input)).findings).toEqual([{ severity: 'info', source: GREEN_TARGETS, message: `2/2 green pods ready for ${where}` }]);

    // Read-only: the Service still selects blue.
    expect(await acts.readWeights(input)).toEqual([{ blue: 100, green: 0 }]);
  });

  it('a missing Service is a blocking finding naming it', async () => {
    const { ns, input, acts } = await world();
    const traffic = { ...input.traffic, serviceSelector: { ...input.traffic.serviceSelector!, service: 'nope' } };
    expect((await acts.checkGreenTargets({ ...input, traffic })).findings).toEqual([
      {
        severity: 'blocking',
        source: GREEN_TARGETS,
        message: `green pods behind Service ${ns}/nope in ${traffic.serviceSelector.cluster} could not be checked: Service ${ns}/nope not found in ${traffic.serviceSelector.cluster}`,
      },
    ]);
  });
});

describe('checkGreenTargets, external-dns and route53', () => {
  const ingress = (ns: string, annotations: Record<string, string>): KubernetesObject =>
    ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: ns, annotations },
      spec: { rules: [{ host: 'app.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    }) as KubernetesObject;

  it("blocks until green's Ingress has a set identifier and a load balancer, and Route 53 has green's record", async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue', 'green'], 'gxdns');
    await createAll('blue', [ingress(ns, { [SET_IDENTIFIER]: 'blue', [AWS_WEIGHT]: '100' })]);
    await createAll('green', [ingress(ns, { [AWS_WEIGHT]: '0' })]);
    const spec: MigrationSpec = {
      region: w.world.region,
      blue: { cluster: w.world.blue },
      green: { cluster: w.world.green, kubernetesVersion: '1.34' },
      traffic: {
        driver: 'external-dns',
        externalDns: {
          objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }],
          // A record of its own, which external-dns in green has not published yet.
          route53: { hostedZoneId: w.hostedZoneId, records: [{ name: `shop.${w.world.zoneName}` }] },
        },
      },
    };
    const input = { region: w.world.region, traffic: specTraffic(spec) };
    const acts = activitiesWith({ clusters: clusterAccess(w.world) });
    const messages = async () => (await acts.checkGreenTargets(input)).findings.map((f) => `${f.severity}: ${f.message}`);

    expect(await messages()).toEqual([
      `blocking: Ingress ${ns}/web in green ${w.world.green} has no ${SET_IDENTIFIER} annotation, so external-dns writes no weighted record for it`,
      expect.stringMatching(/^blocking: Route 53 cannot weigh green yet: record shop\..* with SetIdentifier "blue" not found/),
    ]);

    const networking = kubeConfigFor('green', stack().kube.green).makeApiClient(NetworkingV1Api);
    await kubeApi('green').patch(
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns, annotations: { [SET_IDENTIFIER]: 'green' } } },
      undefined,
      undefined,
      'test',
      undefined,
      PatchStrategy.MergePatch,
    );
    expect((await messages())[0]).toBe(`blocking: Ingress ${ns}/web in green ${w.world.green} has no load balancer address yet (status.loadBalancer.ingress is empty), so external-dns has nothing to publish`);

    // The load balancer controller's part, then external-dns's: the Ingress gets an address, both records appear.
    const current = await networking.readNamespacedIngress({ name: 'web', namespace: ns });
    current.status = { loadBalancer: { ingress: [{ hostname: 'green-lb.example.com' }] } };
    await networking.replaceNamespacedIngressStatus({ name: 'web', namespace: ns, body: current });
    const weighted = (setId: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: `shop.${w.world.zoneName}`, Type: 'CNAME' as const, SetIdentifier: setId, Weight: weight, TTL: 1, ResourceRecords: [{ Value: `${setId}-lb.example.com` }] },
    });
    await aws().route53('us-east-1').send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.hostedZoneId, ChangeBatch: { Changes: [weighted('blue', 100), weighted('green', 0)] } }));
    expect(await acts.checkGreenTargets(input)).toEqual({
      findings: [{ severity: 'info', source: GREEN_TARGETS, message: `green ${w.world.green}: 1 object(s) ready for external-dns, weighted records in Route 53` }],
    });
  });

  it('an Ingress missing from green, or a green cluster this worker cannot reach, blocks', async () => {
    const w = await seedWorld();
    const ns = await uniqueNamespace(['blue'], 'gxdns');
    const traffic = specTraffic({
      region: w.world.region,
      blue: { cluster: w.world.blue },
      green: { cluster: w.world.green, kubernetesVersion: '1.34' },
      traffic: { driver: 'external-dns', externalDns: { objects: [{ kind: 'Ingress', namespace: ns, name: 'web' }] } },
    });
    expect((await activitiesWith({ clusters: clusterAccess(w.world) }).checkGreenTargets({ region: w.world.region, traffic })).findings).toEqual([
      { severity: 'blocking', source: GREEN_TARGETS, message: `Ingress ${ns}/web in green ${w.world.green} does not exist` },
    ]);
    const unreachable = await activitiesWith().checkGreenTargets({ region: w.world.region, traffic });
    expect(unreachable.findings).toEqual([
      { severity: 'blocking', source: GREEN_TARGETS, message: expect.stringContaining(`could not be checked: no access to cluster ${w.world.green}'s API server`) },
    ]);
  });

  it('route53: nothing of green to ask beyond the smoke tests, so no findings', async () => {
    const w = await seedWorld();
    expect(await activitiesWith().checkGreenTargets({ region: w.world.region, traffic: route53Traffic(w) })).toEqual({ findings: [] });
  });
});
