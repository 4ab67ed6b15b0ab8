// Green as blue's copy (green.mode create), against moto: a blue with every setting moto takes
// (KMS secrets encryption from moto's KMS, a launch template from moto's EC2, node groups with
// and without it, a Fargate profile), provisioned; the create calls the fault proxy recorded
// and green's Describe* output compared with blue's field by field. Then green.overrides in the
// calls, and preflight's findings for what cannot be copied: AMI types the target no longer
// offers, override names blue lacks, self-managed node groups (moto's Auto Scaling and EC2),
// roles trusting blue's OIDC issuer (moto's IAM), Karpenter NodePools (a kube-apiserver with
// the CRD), and with mode adopt, green's differences from blue.
import { CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateSecurityGroupCommand, DescribeSubnetsCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateFargateProfileCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  UpdateNodegroupConfigCommand,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import type { ProvisionInput } from '../../activities/contract.js';
import type { Finding } from '../../workflows/model.js';
import type { GreenOverrides } from '../../workflows/spec.js';
import { stack, uniqueName } from '../helpers.js';
import { activitiesWith, clusterAccess, installCrd, kubeApi, type FaultProxy, runActivity, seedWorld, startFaultProxy } from './support.js';

const REGION = 'us-east-1';
const aws = () => createAwsClients({ endpoint: stack().motoUrl });
const eks = () => aws().eks(REGION);
const MIGRATION_TAG = 'cutover.io/migration';

/**
 * What moto does not keep, so the test cannot read it back from green (or blue): each is
 * asserted on the request body instead. Blue's cluster settings moto lacks are added to blue's
 * description as the proxy serves it (`describedWith`), as a real EKS would describe them.
 */
const NOT_KEPT_BY_MOTO = {
  cluster: {
    accessConfig: "moto's Cluster has no access configuration: CreateCluster's accessConfig is dropped and DescribeCluster has none",
    upgradePolicy: "moto's Cluster has no upgrade policy: dropped on create, absent from DescribeCluster",
  },
  nodegroup: {
    updateConfig: "moto's CreateNodegroup ignores updateConfig (its UpdateNodegroupConfig keeps it, so blue has one)",
  },
} as const;
const BLUE_ACCESS = { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: false };
const BLUE_UPGRADE_POLICY = { supportType: 'STANDARD' };

/** A key in moto's KMS (a JSON-protocol call; moto reads the service from the credential scope). */
async function kmsKey(): Promise<string> {
  const res = await fetch(stack().motoUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'green-copy test: secrets encryption' }),
  });
  return ((await res.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

interface RichBlue {
  name: string;
  green: string;
  subnets: string[];
  securityGroup: string;
  keyArn: string;
  launchTemplate: { id: string; name: string };
  roleArn: string;
  nodeRoleArn: string;
}

/** A blue at 1.33 with every setting moto keeps: node groups web (launch template) and batch (disk size, SSH), Fargate profile system. */
async function richBlue(extraGroups: { name: string; amiType: string; launchTemplate?: boolean }[] = []): Promise<RichBlue> {
  const { world } = await seedWorld();
  const seeded = (await eks().send(new DescribeClusterCommand({ name: world.blue }))).cluster!;
  const subnets = seeded.resourcesVpcConfig!.subnetIds!;
  const ec2 = aws().ec2(REGION);
  const vpcId = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnets[0]] }))).Subnets![0].VpcId!;
  const securityGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: uniqueName('cp'), Description: 'control plane', VpcId: vpcId }))).GroupId!;
  const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: uniqueName('web-lt'), LaunchTemplateData: { InstanceType: 'm6i.large' } }))).LaunchTemplate!;
  const blue: RichBlue = {
    name: uniqueName('rich-blue'),
    green: uniqueName('rich-green'),
    subnets,
    securityGroup,
    keyArn: await kmsKey(),
    launchTemplate: { id: lt.LaunchTemplateId!, name: lt.LaunchTemplateName! },
    roleArn: world.roleArn,
    nodeRoleArn: world.nodeRoleArn,
  };
  await eks().send(
    new CreateClusterCommand({
      name: blue.name,
      version: '1.33',
      roleArn: blue.roleArn,
      resourcesVpcConfig: { subnetIds: subnets, securityGroupIds: [securityGroup], endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['198.51.100.0/24'] },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
      encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: blue.keyArn } }],
      logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
      accessConfig: BLUE_ACCESS as never,
      upgradePolicy: BLUE_UPGRADE_POLICY as never,
      // A stack's tag, as CloudFormation puts on what it makes: AWS's own, not copied (EKS refuses aws: keys).
      tags: { team: 'payments', env: 'prod', 'aws:cloudformation:stack-name': 'blue-stack' },
    }),
  );
  await eks().send(
    new CreateNodegroupCommand({
      clusterName: blue.name,
      nodegroupName: 'web',
      nodeRole: blue.nodeRoleArn,
      subnets,
      launchTemplate: { name: blue.launchTemplate.name, version: '1' },
      amiType: 'AL2023_x86_64_STANDARD',
      capacityType: 'SPOT',
      instanceTypes: ['m6i.large', 'm7i.large'],
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 4 },
      labels: { tier: 'web' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NO_SCHEDULE' }],
      tags: { owner: 'web-team' },
    }),
  );
  await eks().send(new UpdateNodegroupConfigCommand({ clusterName: blue.name, nodegroupName: 'web', updateConfig: { maxUnavailablePercentage: 25 } }));
  await eks().send(
    new CreateNodegroupCommand({
      clusterName: blue.name,
      nodegroupName: 'batch',
      nodeRole: blue.nodeRoleArn,
      subnets: subnets.slice(0, 1),
      amiType: 'BOTTLEROCKET_x86_64',
      capacityType: 'ON_DEMAND',
      instanceTypes: ['c6i.xlarge'],
      diskSize: 80,
      remoteAccess: { ec2SshKey: 'ops' },
      scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 1 },
    }),
  );
  for (const g of extraGroups) {
    const launchTemplate = g.launchTemplate ? { id: blue.launchTemplate.id, version: '1' } : undefined;
    await eks().send(new CreateNodegroupCommand({ clusterName: blue.name, nodegroupName: g.name, nodeRole: blue.nodeRoleArn, subnets, amiType: g.amiType as never, launchTemplate }));
  }
  await eks().send(
    new CreateFargateProfileCommand({
      clusterName: blue.name,
      fargateProfileName: 'system',
      podExecutionRoleArn: 'arn:aws:iam::123456789012:role/fargate-pods',
      subnets: subnets.slice(0, 1),
      selectors: [{ namespace: 'kube-system', labels: { 'eks.amazonaws.com/compute-type': 'fargate' } }],
      tags: { owner: 'platform' },
    }),
  );
  return blue;
}

const provisionInput = (blue: RichBlue, overrides?: GreenOverrides): ProvisionInput => ({
  migrationId: uniqueName('mig'),
  region: REGION,
  blue: blue.name,
  green: blue.green,
  targetVersion: '1.34',
  mode: 'create',
  ...(overrides && { overrides }),
});

const describeCluster = async (name: string) => (await eks().send(new DescribeClusterCommand({ name }))).cluster!;
const describeNodegroup = async (cluster: string, name: string) => (await eks().send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }))).nodegroup!;

/** The request bodies of the create calls the proxy saw for `green`. */
function createBodies(proxy: FaultProxy, green: string) {
  const json = proxy.calls.filter((c) => c.method === 'POST').map((c) => ({ path: c.path.split('?')[0], body: c.body ? (JSON.parse(c.body) as Record<string, unknown>) : {} }));
  return {
    cluster: json.filter((c) => /^\/clusters\/?$/.test(c.path) && c.body.name === green).map((c) => c.body),
    nodegroups: json.filter((c) => c.path === `/clusters/${green}/node-groups`).map((c) => c.body),
    fargate: json.filter((c) => c.path === `/clusters/${green}/fargate-profiles`).map((c) => c.body),
  };
}

/**
 * Serves blue's DescribeCluster as moto answers it plus what moto does not keep
 * (NOT_KEPT_BY_MOTO.cluster), as a real EKS describes a cluster created with them.
 */
async function describedWith(proxy: FaultProxy, blue: string): Promise<void> {
  const res = await fetch(`${stack().motoUrl}/clusters/${blue}`, {
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${REGION}/eks/aws4_request, SignedHeaders=host, Signature=0` },
  });
  const described = (await res.json()) as { cluster: Record<string, unknown> };
  expect(Object.keys(NOT_KEPT_BY_MOTO.cluster).filter((field) => field in described.cluster), 'moto keeps these now: assert them on green instead').toEqual([]);
  described.cluster.accessConfig = BLUE_ACCESS;
  described.cluster.upgradePolicy = BLUE_UPGRADE_POLICY;
  proxy.inject((c) => c.method === 'GET' && c.path.split('?')[0] === `/clusters/${blue}`, { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(described) }, 1_000);
}

const NODEGROUP_FIELDS = ['nodeRole', 'subnets', 'scalingConfig', 'instanceTypes', 'amiType', 'capacityType', 'labels', 'taints'] as const;

describe("green copied from blue (green.mode create)", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it("creates green, its node groups and Fargate profile from blue's whole configuration; a retry creates nothing more", async () => {
    const blue = await richBlue();
    await describedWith(proxy, blue.name);
    const input = provisionInput(blue);
    const acts = activitiesWith({ endpoint: proxy.url });
    const { result } = await runActivity(acts.provisionGreen, input);
    proxy.clear();
    expect(result).toMatchObject({ created: true, status: 'ACTIVE' });

    const b = await describeCluster(blue.name);
    const sent = createBodies(proxy, blue.green);
    // The calls: every setting of blue's, at the target version, tagged with the migration.
    expect(sent.cluster).toEqual([
      {
        name: blue.green,
        version: '1.34',
        roleArn: blue.roleArn,
        resourcesVpcConfig: { subnetIds: blue.subnets, securityGroupIds: [blue.securityGroup], endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['198.51.100.0/24'] },
        kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
        encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: blue.keyArn } }],
        logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
        accessConfig: BLUE_ACCESS, // NOT_KEPT_BY_MOTO.cluster.accessConfig
        upgradePolicy: BLUE_UPGRADE_POLICY, // NOT_KEPT_BY_MOTO.cluster.upgradePolicy
        tags: { team: 'payments', env: 'prod', [MIGRATION_TAG]: input.migrationId },
        clientRequestToken: `${input.migrationId}-create`.slice(0, 64),
      },
    ]);
    const web = sent.nodegroups.find((n) => n.nodegroupName === 'web')!;
    // A launch template carries the disk and the SSH key: EKS (and moto) refuse them beside it.
    expect(web).toEqual({
      nodegroupName: 'web',
      nodeRole: blue.nodeRoleArn,
      subnets: blue.subnets,
      launchTemplate: { id: blue.launchTemplate.id, version: '1' },
      amiType: 'AL2023_x86_64_STANDARD',
      capacityType: 'SPOT',
      instanceTypes: ['m6i.large', 'm7i.large'],
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 4 },
      updateConfig: { maxUnavailablePercentage: 25 }, // NOT_KEPT_BY_MOTO.nodegroup.updateConfig
      labels: { tier: 'web' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NO_SCHEDULE' }],
      tags: { owner: 'web-team', [MIGRATION_TAG]: input.migrationId },
      // The SDK's idempotency token, new for each attempt: a retry finds the group by name instead.
      clientRequestToken: expect.any(String),
    });
    expect(sent.nodegroups.find((n) => n.nodegroupName === 'batch')).toMatchObject({ diskSize: 80, remoteAccess: { ec2SshKey: 'ops' }, amiType: 'BOTTLEROCKET_x86_64' });
    expect(sent.fargate).toEqual([
      {
        fargateProfileName: 'system',
        podExecutionRoleArn: 'arn:aws:iam::123456789012:role/fargate-pods',
        subnets: blue.subnets.slice(0, 1),
        selectors: [{ namespace: 'kube-system', labels: { 'eks.amazonaws.com/compute-type': 'fargate' } }],
        tags: { owner: 'platform', [MIGRATION_TAG]: input.migrationId },
        clientRequestToken: expect.any(String),
      },
    ]);

    // What EKS (moto) made of them, field by field against blue.
    const g: Cluster = await describeCluster(blue.green);
    expect(g.version).toBe('1.34');
    for (const field of ['roleArn', 'resourcesVpcConfig', 'kubernetesNetworkConfig', 'encryptionConfig', 'logging'] as const) expect(g[field], field).toEqual(b[field]);
    expect(g.tags).toEqual({ team: 'payments', env: 'prod', [MIGRATION_TAG]: input.migrationId });
    expect(b.tags).toHaveProperty('aws:cloudformation:stack-name');
    for (const name of ['web', 'batch']) {
      const [bn, gn]: Nodegroup[] = [await describeNodegroup(blue.name, name), await describeNodegroup(blue.green, name)];
      for (const field of NODEGROUP_FIELDS) expect(gn[field], `${name}.${field}`).toEqual(bn[field]);
      expect(gn.tags, `${name}.tags`).toEqual({ ...bn.tags, [MIGRATION_TAG]: input.migrationId });
    }
    const [bw, gw] = [await describeNodegroup(blue.name, 'web'), await describeNodegroup(blue.green, 'web')];
    expect(gw.launchTemplate).toEqual(bw.launchTemplate);
    expect(bw.updateConfig).toEqual({ maxUnavailablePercentage: 25 });
    const [bb, gb] = [await describeNodegroup(blue.name, 'batch'), await describeNodegroup(blue.green, 'batch')];
    expect([gb.diskSize, gb.remoteAccess]).toEqual([bb.diskSize, bb.remoteAccess]);
    const profile = async (cluster: string) => (await eks().send(new DescribeFargateProfileCommand({ clusterName: cluster, fargateProfileName: 'system' }))).fargateProfile!;
    const [bf, gf] = [await profile(blue.name), await profile(blue.green)];
    expect(gf.status).toBe('ACTIVE');
    for (const field of ['podExecutionRoleArn', 'subnets', 'selectors'] as const) expect(gf[field], field).toEqual(bf[field]);

    // A retry (the answer lost) finds everything there and creates nothing more.
    await runActivity(acts.provisionGreen, input);
    const again = createBodies(proxy, blue.green);
    expect([again.cluster.length, again.nodegroups.length, again.fargate.length]).toEqual([1, 2, 1]);

    // Deleting green (a cancel's undo) deletes its Fargate profile before the cluster, as EKS requires.
    await runActivity(acts.deleteCluster, { region: REGION, cluster: blue.green });
    const deletes = proxy.calls.filter((c) => c.method === 'DELETE' && c.path.startsWith(`/clusters/${blue.green}`)).map((c) => c.path.split('?')[0]);
    expect(deletes).toEqual([`/clusters/${blue.green}/node-groups/batch`, `/clusters/${blue.green}/node-groups/web`, `/clusters/${blue.green}/fargate-profiles/system`, `/clusters/${blue.green}`]);
  });

  it('applies green.overrides: the named entry over "*", each in the create call', async () => {
    const blue = await richBlue();
    const overrides: GreenOverrides = {
      cluster: { publicAccessCidrs: ['203.0.113.0/24'], logging: ['audit'], tags: { env: 'prod-next' } },
      nodegroups: { '*': { amiType: 'AL2023_x86_64_STANDARD', capacityType: 'ON_DEMAND' }, batch: { instanceTypes: ['c7i.xlarge'], diskSize: 120 } },
      fargateProfiles: { '*': { subnets: blue.subnets.slice(1) } },
    };
    await runActivity(activitiesWith({ endpoint: proxy.url }).provisionGreen, provisionInput(blue, overrides));
    const sent = createBodies(proxy, blue.green);
    expect(sent.cluster[0]).toMatchObject({
      resourcesVpcConfig: { publicAccessCidrs: ['203.0.113.0/24'], subnetIds: blue.subnets },
      logging: { clusterLogging: [{ types: ['audit'], enabled: true }, { types: ['api', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
      tags: { team: 'payments', env: 'prod-next' },
    });
    expect(sent.nodegroups.find((n) => n.nodegroupName === 'batch')).toMatchObject({ amiType: 'AL2023_x86_64_STANDARD', capacityType: 'ON_DEMAND', instanceTypes: ['c7i.xlarge'], diskSize: 120 });
    expect(sent.nodegroups.find((n) => n.nodegroupName === 'web')).toMatchObject({ amiType: 'AL2023_x86_64_STANDARD', capacityType: 'ON_DEMAND', instanceTypes: ['m6i.large', 'm7i.large'] });
    expect(sent.fargate[0]).toMatchObject({ subnets: blue.subnets.slice(1) });
    expect((await describeCluster(blue.green)).resourcesVpcConfig?.publicAccessCidrs).toEqual(['203.0.113.0/24']);
  });
});

describe('preflight: what green cannot get from blue', () => {
  const preflight = async (blue: RichBlue, overrides?: GreenOverrides, mode: 'create' | 'adopt' = 'create', clusters = false): Promise<Finding[]> => {
    const acts = activitiesWith(clusters ? { clusters: clusterAccess({ blue: blue.name, green: blue.green }) } : {});
    return (await acts.preflight({ region: REGION, blue: blue.name, green: blue.green, targetVersion: '1.34', mode, ...(overrides && { overrides }) })).findings;
  };
  const from = (findings: Finding[], ...sources: string[]) => findings.filter((f) => sources.includes(f.source));

  it('blocks an AMI type the target no longer offers (an override fixes it) and an override naming a node group blue lacks', async () => {
    const blue = await richBlue([
      { name: 'legacy', amiType: 'AL2_x86_64' },
      { name: 'own-ami', amiType: 'CUSTOM', launchTemplate: true },
    ]);
    // Blue described as EKS would (moto keeps no access configuration): its aws-auth mappings are not copied.
    const proxy = await startFaultProxy();
    try {
      await describedWith(proxy, blue.name);
      const acts = activitiesWith({ endpoint: proxy.url });
      const { findings } = await acts.preflight({ region: REGION, blue: blue.name, green: blue.green, targetVersion: '1.34', mode: 'create' });
      expect(from(findings, 'green-copy')).toContainEqual({
        severity: 'warning',
        source: 'green-copy',
        message:
          "green authenticates with authentication mode API_AND_CONFIG_MAP, as blue does: the IAM mappings in blue's kube-system/aws-auth ConfigMap are not copied (access entries are); apply them to green, or move them to access entries before cutover",
      });
    } finally {
      await proxy.close();
    }
    const ownAmi = {
      severity: 'warning',
      source: 'green-copy',
      message: `node group own-ami runs the AMI its launch template ${blue.launchTemplate.name} (version 1) names, built for blue's Kubernetes: green's copy gets the same AMI; give a launch template version with an AMI for 1.34 in green.overrides.nodegroups.own-ami.launchTemplate`,
    };
    expect(from(await preflight(blue), 'green-copy')).toEqual([
      {
        severity: 'blocking',
        source: 'green-copy',
        message: 'node group legacy uses AMI type AL2_x86_64, not offered for Kubernetes 1.33+; set green.overrides.nodegroups.legacy.amiType (e.g. AL2023_x86_64_STANDARD)',
      },
      ownAmi,
    ]);
    const fixed = { legacy: { amiType: 'AL2023_x86_64_STANDARD' }, 'own-ami': { launchTemplate: { id: blue.launchTemplate.id, version: '2' } } };
    expect(from(await preflight(blue, { nodegroups: fixed }), 'green-copy')).toEqual([]);
    expect(from(await preflight(blue, { nodegroups: { '*': { amiType: 'AL2_ARM_64' }, ...fixed, nope: {} }, fargateProfiles: { sys: {} } }), 'green-copy')).toEqual([
      expect.objectContaining({ severity: 'blocking', message: "green.overrides.nodegroups.nope names no managed node group of blue (blue's: batch, legacy, own-ami, web); fix the name or remove the entry" }),
      expect.objectContaining({ severity: 'blocking', message: "green.overrides.fargateProfiles.sys names no Fargate profile of blue (blue's: system); fix the name or remove the entry" }),
      expect.objectContaining({ severity: 'blocking', message: expect.stringMatching(/^green.overrides.nodegroups sets AMI type AL2_ARM_64 for node group batch, not offered for Kubernetes 1.33\+/) }),
      expect.objectContaining({ severity: 'blocking', message: expect.stringMatching(/^green.overrides.nodegroups sets AMI type AL2_ARM_64 for node group own-ami/) }),
      expect.objectContaining({ severity: 'blocking', message: expect.stringMatching(/^green.overrides.nodegroups sets AMI type AL2_ARM_64 for node group web/) }),
    ]);
  });

  it("names roles that trust blue's OIDC issuer, and blue's self-managed nodes", async () => {
    const blue = await richBlue();
    const issuer = (await describeCluster(blue.name)).identity!.oidc!.issuer!.replace('https://', '');
    const trust = (host: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${host}` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${host}:sub`]: 'system:serviceaccount:shop:api' } } }],
      });
    const iam = aws().iam(REGION);
    const [irsa, other] = [uniqueName('shop-api'), uniqueName('elsewhere')];
    await iam.send(new CreateRoleCommand({ RoleName: irsa, AssumeRolePolicyDocument: trust(issuer) }));
    await iam.send(new CreateRoleCommand({ RoleName: other, AssumeRolePolicyDocument: trust('oidc.eks.us-east-1.amazonaws.com/id/SOMEONEELSE') }));

    const clusterTag = `kubernetes.io/cluster/${blue.name}`;
    const [selfManaged, managedByEks] = [uniqueName('workers'), uniqueName('eks-web')];
    const asg = aws().autoscaling(REGION);
    const tags = (group: string, extra: { Key: string; Value: string }[] = []) =>
      [{ Key: clusterTag, Value: 'owned' }, ...extra].map((t) => ({ ...t, ResourceId: group, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true }));
    for (const [name, extra] of [[selfManaged, []], [managedByEks, [{ Key: 'eks:nodegroup-name', Value: 'web' }]]] as const) {
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          LaunchTemplate: { LaunchTemplateId: blue.launchTemplate.id, Version: '1' },
          MinSize: 0,
          MaxSize: 2,
          DesiredCapacity: 0,
          VPCZoneIdentifier: blue.subnets[0],
          Tags: tags(name, [...extra]),
        }),
      );
    }
    const ec2 = aws().ec2(REGION);
    const instance = (
      await ec2.send(
        new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: clusterTag, Value: 'shared' }] }] }),
      )
    ).Instances![0].InstanceId!;
    try {
      const findings = await preflight(blue);
      expect(from(findings, 'irsa')).toEqual([
        {
          severity: 'warning',
          source: 'irsa',
          message: `role ${irsa} trusts blue's OIDC provider (${issuer}): add green's provider to its trust policy after green is created (or move the service account to EKS Pod Identity), or green's pods cannot assume it`,
        },
      ]);
      expect(from(findings, 'green-copy')).toEqual([
        { severity: 'warning', source: 'green-copy', message: expect.stringMatching(new RegExp(`^Auto Scaling group ${selfManaged} is a self-managed node group of blue \\(tag ${clusterTag}=owned\\): not copied; create them for green`)) },
        { severity: 'warning', source: 'green-copy', message: expect.stringMatching(new RegExp(`^EC2 instances ${instance} are self-managed nodes of blue \\(tag ${clusterTag}\\) outside any Auto Scaling group: not copied`)) },
      ]);
    } finally {
      // moto gives every cluster one OIDC issuer: the role would show up in other tests' preflight.
      await iam.send(new DeleteRoleCommand({ RoleName: irsa }));
      await iam.send(new DeleteRoleCommand({ RoleName: other }));
      for (const name of [selfManaged, managedByEks]) await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance] }));
    }
  });

  it("names blue's Karpenter NodePools, read from blue's API server", async () => {
    const blue = await richBlue();
    await installCrd('blue', 'karpenter-nodepool-crd.yaml');
    const pool = uniqueName('general');
    await kubeApi('blue').create({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: pool }, spec: { template: { spec: { nodeClassRef: { name: 'default' } } } } } as KubernetesObject);
    try {
      const karpenter = from(await preflight(blue, undefined, 'create', true), 'karpenter');
      expect(karpenter).toContainEqual({
        severity: 'warning',
        source: 'karpenter',
        message: `NodePool ${pool} (karpenter.sh/v1) in ${blue.name} is not copied: Karpenter runs in the cluster; install it on green and apply the NodePool (with its EC2NodeClass) there before cutover`,
      });
    } finally {
      await kubeApi('blue').delete({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: pool } } as KubernetesObject);
    }
  });

  it("with mode adopt, names each difference of green's configuration from blue's", async () => {
    const blue = await richBlue();
    await eks().send(
      new CreateClusterCommand({
        name: blue.green,
        version: '1.34',
        roleArn: blue.roleArn,
        resourcesVpcConfig: { subnetIds: blue.subnets, endpointPublicAccess: false, endpointPrivateAccess: true, publicAccessCidrs: ['198.51.100.0/24'] },
        kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
        logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
      }),
    );
    await eks().send(
      new CreateNodegroupCommand({
        clusterName: blue.green,
        nodegroupName: 'web',
        nodeRole: blue.nodeRoleArn,
        subnets: blue.subnets,
        amiType: 'AL2023_x86_64_STANDARD',
        instanceTypes: ['m7i.large', 'm6i.large'],
        scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 2 },
      }),
    );
    const findings = from(await preflight(blue, undefined, 'adopt'), 'green-config');
    const differs = (field: string, b: string, g: string) => ({ severity: 'warning', source: 'green-config', message: `green ${blue.green} differs from blue ${blue.name} in ${field}: blue ${b}, green ${g}` });
    expect(findings).toEqual([
      differs('endpointPublicAccess', 'true', 'false'),
      differs('secrets encryption key', blue.keyArn, 'none'),
      { severity: 'warning', source: 'green-config', message: `green ${blue.green} has no node group batch (blue has: c6i.xlarge, BOTTLEROCKET_x86_64)` },
      differs('node group web scaling', 'min 2, max 10, desired 4', 'min 2, max 10, desired 2'),
      { severity: 'warning', source: 'green-config', message: `green ${blue.green} has no Fargate profile system, which blue has` },
      { severity: 'info', source: 'green-config', message: 'EKS add-ons not available on this endpoint; add-ons of blue and green not compared' },
    ]);
  });
});
