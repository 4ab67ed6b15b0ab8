// Seeds moto with a sandbox world (what `npm start` serves): a blue EKS cluster at 1.33, a
// hosted zone with weighted records (blue 100, green 0), and an ALB listener over
// blue/green target groups. Each world has a network of its own, so worlds seeded at once
// (parallel test files, benchmarks) share nothing in moto and cannot race. Idempotent:
// seeding a world twice leaves one of each.
import { CreateClusterCommand, CreateNodegroupCommand, DescribeClusterCommand } from '@aws-sdk/client-eks';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { EC2Client, CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../../activities/aws.js';

export const SANDBOX = {
  region: 'us-east-1',
  blue: 'sandbox-blue',
  blueVersion: '1.33',
  green: 'sandbox-green',
  targetVersion: '1.34',
  zoneName: 'sandbox.example.',
  recordName: 'app.sandbox.example.',
  recordTtl: 10,
  roleArn: 'arn:aws:iam::123456789012:role/sandbox-eks',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/sandbox-nodes',
};

export interface SeededWorld {
  hostedZoneId: string;
  listenerArn: string;
  blueTargetGroupArn: string;
  greenTargetGroupArn: string;
}

export type World = typeof SANDBOX;

/** A sandbox-shaped world with names of its own (tests and benchmarks never share moto state). */
export function namedWorld(tag: string, overrides: Partial<World> = {}): World {
  return { ...SANDBOX, blue: `${tag}-blue`, green: `${tag}-green`, zoneName: `${tag}.example.`, recordName: `app.${tag}.example.`, ...overrides };
}

export async function seedMoto(endpoint: string, world: World = SANDBOX): Promise<SeededWorld> {
  const aws = createAwsClients({ endpoint });
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const ec2 = new EC2Client({ endpoint, region: world.region, credentials });
  const eks = aws.eks(world.region);
  const r53 = aws.route53(world.region);
  const elb = aws.elbv2(world.region);

  // Network: one VPC with two subnets, tagged with the world's name so a second seed finds them.
  const tag = { Key: 'cutover-world', Value: world.blue };
  const vpcFilter = [{ Name: `tag:${tag.Key}`, Values: [tag.Value] }];
  let vpcId = (await ec2.send(new DescribeVpcsCommand({ Filters: vpcFilter }))).Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [tag] }] }))).Vpc!.VpcId!;
  }
  let subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  if (subnets.length < 2) {
    for (const [i, az] of ['a', 'b'].entries()) {
      if (subnets.some((s) => s.AvailabilityZone === `${world.region}${az}`)) continue;
      await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.40.${i}.0/24`, AvailabilityZone: `${world.region}${az}` }));
    }
    subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
  }
  const subnetIds = subnets.map((s) => s.SubnetId!);

  // Blue EKS cluster with one node group.
  const existing = await eks.send(new DescribeClusterCommand({ name: world.blue })).catch(() => undefined);
  if (!existing?.cluster) {
    await eks.send(
      new CreateClusterCommand({
        name: world.blue,
        version: world.blueVersion,
        roleArn: world.roleArn,
        resourcesVpcConfig: { subnetIds, endpointPublicAccess: true },
        tags: { env: 'sandbox' },
      }),
    );
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: world.blue,
        nodegroupName: 'default',
        nodeRole: world.nodeRoleArn,
        subnets: subnetIds,
        scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 },
        instanceTypes: ['m6i.large'],
        // moto's default is AL2_x86_64, which EKS no longer offers for the 1.33+ targets a sandbox migrates to.
        amiType: 'AL2023_x86_64_STANDARD',
      }),
    );
  }

  // Hosted zone with weighted records: blue carries everything.
  let zoneId = (await r53.send(new ListHostedZonesByNameCommand({ DNSName: world.zoneName }))).HostedZones?.find((z) => z.Name === world.zoneName)?.Id;
  if (!zoneId) {
    zoneId = (await r53.send(new CreateHostedZoneCommand({ Name: world.zoneName, CallerReference: `cutover-sandbox-${world.zoneName}` }))).HostedZone!.Id!;
  }
  const hostedZoneId = zoneId.replace(/^\/hostedzone\//, '');
  const weighted = (setId: string, weight: number) => ({
    Action: 'UPSERT' as const,
    ResourceRecordSet: {
      Name: world.recordName,
      Type: 'CNAME' as const,
      SetIdentifier: setId,
      Weight: weight,
      TTL: world.recordTtl,
      ResourceRecords: [{ Value: `${setId}-lb.${world.zoneName}` }],
    },
  });
  await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: { Changes: [weighted('blue', 100), weighted('green', 0)] } }));

  // ALB with one listener forwarding to blue (100) and green (0).
  let lbArn = (await elb.send(new DescribeLoadBalancersCommand({ Names: [`${world.blue}-alb`] })).catch(() => undefined))?.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!lbArn) {
    lbArn = (await elb.send(new CreateLoadBalancerCommand({ Name: `${world.blue}-alb`, Subnets: subnetIds, Type: 'application' }))).LoadBalancers![0].LoadBalancerArn!;
  }
  const targetGroup = async (name: string) => {
    const found = (await elb.send(new DescribeTargetGroupsCommand({ Names: [name] })).catch(() => undefined))?.TargetGroups?.[0]?.TargetGroupArn;
    return found ?? (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' }))).TargetGroups![0].TargetGroupArn!;
  };
  const blueTargetGroupArn = await targetGroup(`${world.blue}-tg`);
  const greenTargetGroupArn = await targetGroup(`${world.green}-tg`);
  let listenerArn = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners?.[0]?.ListenerArn;
  if (!listenerArn) {
    listenerArn = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: blueTargetGroupArn, Weight: 100 },
                  { TargetGroupArn: greenTargetGroupArn, Weight: 0 },
                ],
              },
            },
          ],
        }),
      )
    ).Listeners![0].ListenerArn!;
  }
  return { hostedZoneId, listenerArn, blueTargetGroupArn, greenTargetGroupArn };
}
