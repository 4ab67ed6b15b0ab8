// Green as blue's copy at the target version (green.mode create): the create calls built from
// blue's description and green.overrides, blue's Fargate profiles copied, and what cannot be
// copied found before anything is made (preflight): node groups EKS does not manage, Karpenter
// (cluster-checks.ts: it needs blue's API server), AMI types the target no longer offers, IAM
// roles that trust blue's OIDC issuer. With mode adopt, green's configuration against blue's.
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, type DescribeInstancesCommandOutput, type Instance } from '@aws-sdk/client-ec2';
import {
  CreateFargateProfileCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
  waitUntilFargateProfileActive,
  type Cluster,
  type CreateClusterCommandInput,
  type CreateFargateProfileCommandInput,
  type CreateNodegroupCommandInput,
  type EKSClient,
  type FargateProfile,
  type LogType,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import type { Finding } from '../workflows/model.js';
import { compareMinor } from '../workflows/kubernetes-version.js';
import { overrideFor, type NodegroupOverride } from '../workflows/green-overrides.js';
import type { GreenOverrides } from '../workflows/spec.js';
import type { AwsClients } from './aws.js';
import { capped } from './cluster-checks.js';
import { AMI_TYPE_ENDS } from './data/ami-types.js';
import { listAddons, pages } from './eks-config.js';
import { awsFailure, isAccessDenied, isUnsupported } from './errors.js';
import { POLL_INTERVAL, runWaiter } from './poll.js';

/** The tag that marks what a migration made (its ID): green, its node groups, profiles and add-ons. */
export const MIGRATION_TAG = 'cutover.io/migration';

const LOG_TYPES: LogType[] = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

/** What a create call needs beyond blue: green's name and version, the migration, its overrides. */
export interface CopyTarget {
  migrationId: string;
  green: string;
  targetVersion: string;
  overrides?: GreenOverrides;
}

const migrationTags = (t: CopyTarget) => ({ [MIGRATION_TAG]: t.migrationId });

/** Blue's tags that may be set on a create call: `aws:` keys are AWS's (CloudFormation's stack tags) and refused. */
const copyable = (tags: Record<string, string> | undefined) => Object.fromEntries(Object.entries(tags ?? {}).filter(([key]) => !key.startsWith('aws:')));

/** The KMS key that encrypts a cluster's Kubernetes secrets, if any. */
export const secretsKey = (c: Cluster) => c.encryptionConfig?.find((e) => e.resources?.includes('secrets'))?.provider?.keyArn;

/** The control-plane log types a cluster has on. */
export const enabledLogs = (c: Cluster) => (c.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []).sort();

/** CreateCluster for green: blue's configuration at the target version, green.overrides.cluster applied. */
export function clusterRequest(blue: Cluster, t: CopyTarget): CreateClusterCommandInput {
  const o = t.overrides?.cluster ?? {};
  const vpc = blue.resourcesVpcConfig;
  const net = blue.kubernetesNetworkConfig;
  const ipFamily = o.ipFamily ?? net?.ipFamily;
  // EKS takes a service CIDR only for IPv4; an IPv6 cluster's is assigned.
  const serviceIpv4Cidr = ipFamily === 'ipv6' ? undefined : (o.serviceIpv4Cidr ?? net?.serviceIpv4Cidr);
  const keyArn = o.encryptionKeyArn ?? secretsKey(blue);
  const logging = o.logging
    ? {
        clusterLogging: [
          { types: [...o.logging] as LogType[], enabled: true },
          { types: LOG_TYPES.filter((l) => !o.logging!.includes(l)), enabled: false },
        ].filter((l) => l.types.length > 0),
      }
    : blue.logging;
  const authenticationMode = o.authenticationMode ?? blue.accessConfig?.authenticationMode;
  const bootstrap = blue.accessConfig?.bootstrapClusterCreatorAdminPermissions;
  const supportType = o.supportType ?? blue.upgradePolicy?.supportType;
  // EKS Auto Mode is on or off as a whole: compute, block storage and load balancing together.
  const autoMode = blue.computeConfig?.enabled === true;
  return {
    name: t.green,
    version: t.targetVersion,
    roleArn: o.roleArn ?? blue.roleArn,
    resourcesVpcConfig: {
      subnetIds: o.subnetIds ?? vpc?.subnetIds,
      securityGroupIds: o.securityGroupIds ?? vpc?.securityGroupIds,
      endpointPublicAccess: o.endpointPublicAccess ?? vpc?.endpointPublicAccess,
      endpointPrivateAccess: o.endpointPrivateAccess ?? vpc?.endpointPrivateAccess,
      publicAccessCidrs: o.publicAccessCidrs ?? vpc?.publicAccessCidrs,
    },
    ...((serviceIpv4Cidr || ipFamily || autoMode) && {
      kubernetesNetworkConfig: { serviceIpv4Cidr, ipFamily, ...(autoMode && { elasticLoadBalancing: net?.elasticLoadBalancing }) },
    }),
    ...(keyArn && { encryptionConfig: [{ resources: ['secrets'], provider: { keyArn } }] }),
    logging,
    ...((authenticationMode || bootstrap !== undefined) && { accessConfig: { authenticationMode, bootstrapClusterCreatorAdminPermissions: bootstrap } }),
    ...(supportType && { upgradePolicy: { supportType } }),
    ...(blue.zonalShiftConfig && { zonalShiftConfig: { enabled: blue.zonalShiftConfig.enabled } }),
    ...(autoMode && { computeConfig: blue.computeConfig, storageConfig: blue.storageConfig }),
    ...(blue.remoteNetworkConfig && { remoteNetworkConfig: blue.remoteNetworkConfig }),
    tags: { ...copyable(blue.tags), ...o.tags, ...migrationTags(t) },
    // The same token on a retry makes EKS treat it as the same request.
    clientRequestToken: `${t.migrationId}-create`.slice(0, 64),
  };
}

/** CreateNodegroup for green's copy of blue's node group `ng`, green.overrides.nodegroups applied ("*", then its name). */
export function nodegroupRequest(ng: Nodegroup, t: CopyTarget): CreateNodegroupCommandInput {
  const name = ng.nodegroupName!;
  const o: Partial<NodegroupOverride> = overrideFor(t.overrides?.nodegroups, name);
  // One way to name a launch template: blue's by its ID (stable across renames), an override as given.
  const launchTemplate = o.launchTemplate ?? (ng.launchTemplate && { id: ng.launchTemplate.id, ...(!ng.launchTemplate.id && { name: ng.launchTemplate.name }), version: ng.launchTemplate.version });
  // CUSTOM is what EKS reports when the launch template names the AMI: it cannot be asked for.
  const amiType = o.amiType ?? (ng.amiType === 'CUSTOM' ? undefined : ng.amiType);
  return {
    clusterName: t.green,
    nodegroupName: name,
    nodeRole: o.nodeRole ?? ng.nodeRole,
    subnets: o.subnets ?? ng.subnets,
    scalingConfig: { ...ng.scalingConfig, ...o.scalingConfig },
    instanceTypes: o.instanceTypes ?? ng.instanceTypes,
    amiType: amiType as CreateNodegroupCommandInput['amiType'],
    capacityType: o.capacityType ?? ng.capacityType,
    // EKS refuses a disk size or remote access beside a launch template: the template has them.
    ...(!launchTemplate && { diskSize: o.diskSize ?? ng.diskSize, remoteAccess: o.remoteAccess ?? ng.remoteAccess }),
    ...(launchTemplate && { launchTemplate }),
    updateConfig: o.updateConfig ?? ng.updateConfig,
    ...(ng.nodeRepairConfig && { nodeRepairConfig: ng.nodeRepairConfig }),
    labels: o.labels ?? ng.labels,
    taints: o.taints ?? ng.taints,
    tags: { ...copyable(ng.tags), ...o.tags, ...migrationTags(t) },
  };
}

/** CreateFargateProfile for green's copy of blue's profile `fp`, green.overrides.fargateProfiles applied. */
export function fargateRequest(fp: FargateProfile, t: CopyTarget): CreateFargateProfileCommandInput {
  const o = overrideFor(t.overrides?.fargateProfiles, fp.fargateProfileName!);
  return {
    clusterName: t.green,
    fargateProfileName: fp.fargateProfileName,
    podExecutionRoleArn: fp.podExecutionRoleArn,
    subnets: o.subnets ?? fp.subnets,
    selectors: fp.selectors,
    tags: { ...copyable(fp.tags), ...migrationTags(t) },
  };
}

/** The names of every managed node group of `cluster`. */
export const listNodegroups = (eks: EKSClient, cluster: string): Promise<string[]> =>
  pages(async (nextToken) => {
    const r = await eks.send(new ListNodegroupsCommand({ clusterName: cluster, nextToken })).catch((err) => {
      throw awsFailure(err, `node groups of ${cluster}`);
    });
    return { items: r.nodegroups, nextToken: r.nextToken };
  });

/** Every managed node group of `cluster`, described. */
export async function describeNodegroups(eks: EKSClient, cluster: string): Promise<Nodegroup[]> {
  const described: Nodegroup[] = [];
  for (const name of await listNodegroups(eks, cluster)) {
    const ng = (await eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name })).catch((err) => {
      throw awsFailure(err, `node group ${name} of ${cluster}`);
    })).nodegroup;
    if (ng) described.push(ng);
  }
  return described;
}

/** Every Fargate profile of `cluster`, described. */
export async function describeFargateProfiles(eks: EKSClient, cluster: string): Promise<FargateProfile[]> {
  const profiles = await pages(async (nextToken) => {
    const r = await eks.send(new ListFargateProfilesCommand({ clusterName: cluster, nextToken })).catch((err) => {
      throw awsFailure(err, `Fargate profiles of ${cluster}`);
    });
    return { items: r.fargateProfileNames, nextToken: r.nextToken };
  });
  const described: FargateProfile[] = [];
  for (const name of profiles) {
    const fp = (await eks.send(new DescribeFargateProfileCommand({ clusterName: cluster, fargateProfileName: name })).catch((err) => {
      throw awsFailure(err, `Fargate profile ${name} of ${cluster}`);
    })).fargateProfile;
    if (fp) described.push(fp);
  }
  return described;
}

/**
 * Blue's Fargate profiles on green, one at a time (EKS creates one profile of a cluster at a
 * time), each waited ACTIVE before the next; a retry skips those there and waits for them.
 */
export async function copyFargateProfiles(eks: EKSClient, blue: string, t: CopyTarget): Promise<void> {
  const existing = new Set((await describeFargateProfiles(eks, t.green)).map((p) => p.fargateProfileName));
  for (const fp of await describeFargateProfiles(eks, blue)) {
    const name = fp.fargateProfileName!;
    if (!existing.has(name)) {
      await eks.send(new CreateFargateProfileCommand(fargateRequest(fp, t))).catch((err) => {
        // Created by an attempt whose answer was lost.
        if ((err as Error).name !== 'ResourceInUseException') throw awsFailure(err, `Fargate profile ${name} of ${t.green}`);
      });
    }
    await runWaiter((params) => waitUntilFargateProfileActive({ client: eks, ...params }, { clusterName: t.green, fargateProfileName: name }), {
      describe: `Fargate profile ${name} of ${t.green} ACTIVE`,
      interval: POLL_INTERVAL.eks,
    });
  }
}

// --- preflight: what green cannot get from blue ----------------------------------------------

/** Override entries naming a node group or Fargate profile blue does not have (blocking: the spec means something else). */
function unknownOverrideNames(overrides: GreenOverrides | undefined, nodegroups: string[], profiles: string[]): Finding[] {
  const findings: Finding[] = [];
  const check = (section: 'nodegroups' | 'fargateProfiles', have: string[], what: string) => {
    for (const name of Object.keys(overrides?.[section] ?? {})) {
      if (name === '*' || have.includes(name)) continue;
      findings.push({
        severity: 'blocking',
        source: 'green-copy',
        message: `green.overrides.${section}.${name} names no ${what} of blue (blue's: ${have.join(', ') || 'none'}); fix the name or remove the entry`,
      });
    }
  };
  check('nodegroups', nodegroups, 'managed node group');
  check('fargateProfiles', profiles, 'Fargate profile');
  return findings;
}

/** Node groups whose AMI type (blue's, or the override's) the target no longer offers; a launch template's own AMI, which was built for blue's version. */
export function amiFindings(nodegroups: Nodegroup[], target: string, overrides: GreenOverrides | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const ng of nodegroups) {
    const name = ng.nodegroupName!;
    const o: Partial<NodegroupOverride> = overrideFor(overrides?.nodegroups, name);
    const amiType = o.amiType ?? ng.amiType;
    const end = amiType ? AMI_TYPE_ENDS[amiType] : undefined;
    if (end && compareMinor(target, end.lastVersion) > 0) {
      const whose = o.amiType ? `green.overrides.nodegroups sets AMI type ${amiType} for node group ${name}` : `node group ${name} uses AMI type ${amiType}`;
      findings.push({
        severity: 'blocking',
        source: 'green-copy',
        message: `${whose}, not offered for Kubernetes ${bump(end.lastVersion)}+; set green.overrides.nodegroups.${name}.amiType (e.g. ${end.replacement})`,
      });
    }
    if (ng.amiType === 'CUSTOM' && !o.launchTemplate) {
      findings.push({
        severity: 'warning',
        source: 'green-copy',
        message: `node group ${name} runs the AMI its launch template ${ng.launchTemplate?.name ?? ng.launchTemplate?.id} (version ${ng.launchTemplate?.version}) names, built for blue's Kubernetes: green's copy gets the same AMI; give a launch template version with an AMI for ${target} in green.overrides.nodegroups.${name}.launchTemplate`,
      });
    }
  }
  return findings;
}

/** The next minor of a "1.x" version ("1.32" → "1.33"). */
const bump = (minor: string) => `${minor.split('.')[0]}.${Number(minor.split('.')[1]) + 1}`;

/** A read-only check that the account may not allow: access denied is an info finding saying so, never a failure. */
async function readCheck(source: string, what: string, run: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await run();
  } catch (err) {
    if (isAccessDenied(err)) return [{ severity: 'info', source, message: `${what} could not run: ${(err as Error).message}` }];
    if (isUnsupported(err)) return [{ severity: 'info', source, message: `${what}: not available on this endpoint; skipped` }];
    throw awsFailure(err, what);
  }
}

const tagOf = (tags: { Key?: string; Value?: string }[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;
/** EKS tags the instances and Auto Scaling groups of its managed node groups so; Karpenter its nodes. */
const MANAGED_TAGS = ['eks:nodegroup-name', 'karpenter.sh/nodepool', 'karpenter.sh/provisioner-name'];
const managed = (tags: { Key?: string }[] | undefined) => !!tags?.some((t) => MANAGED_TAGS.includes(t.Key ?? ''));

/** Blue's nodes that EKS does not manage: Auto Scaling groups and instances tagged kubernetes.io/cluster/<blue>. */
async function selfManagedFindings(aws: AwsClients, region: string, blue: string, green: string): Promise<Finding[]> {
  const source = 'green-copy';
  const clusterTag = `kubernetes.io/cluster/${blue}`;
  const todo = (what: string) =>
    `${what}: not copied; create them for green (an AMI for green's version, tag kubernetes.io/cluster/${green}, green's bootstrap settings), or move their workloads to a managed node group before cutover`;
  return readCheck(source, `the search for blue's self-managed nodes (Auto Scaling groups and EC2 instances tagged ${clusterTag})`, async () => {
    const groups: { name: string; value: string }[] = [];
    let next: string | undefined;
    do {
      const page = await aws.autoscaling(region).send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag-key', Values: [clusterTag] }], NextToken: next }));
      for (const g of page.AutoScalingGroups ?? []) {
        if (!managed(g.Tags)) groups.push({ name: g.AutoScalingGroupName!, value: tagOf(g.Tags, clusterTag) ?? '' });
      }
      next = page.NextToken;
    } while (next);
    const instances: Instance[] = [];
    next = undefined;
    do {
      const page: DescribeInstancesCommandOutput = await aws.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag-key', Values: [clusterTag] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
          NextToken: next,
        }),
      );
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []).filter((i) => !managed(i.Tags)));
      next = page.NextToken;
    } while (next);
    const inGroups = new Set(groups.map((g) => g.name));
    const loose = instances.filter((i) => !inGroups.has(tagOf(i.Tags, 'aws:autoscaling:groupName') ?? ''));
    const findings: Finding[] = capped(
      groups.map((g) => ({ severity: 'warning', source, message: todo(`Auto Scaling group ${g.name} is a self-managed node group of blue (tag ${clusterTag}=${g.value})`) })),
      source,
      'self-managed Auto Scaling groups',
    );
    if (loose.length) {
      const ids = loose.map((i) => i.InstanceId!);
      const listed = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ');
      findings.push({ severity: 'warning', source, message: todo(`EC2 instances ${listed} are self-managed nodes of blue (tag ${clusterTag}) outside any Auto Scaling group`) });
    }
    return findings;
  });
}

/** The host and path of a cluster's OIDC issuer, as IAM trust policies name it (oidc-provider/<this>). */
export const issuerHost = (c: Cluster) => c.identity?.oidc?.issuer?.replace(/^https:\/\//, '');

/** IAM roles whose trust policy names blue's OIDC issuer (IRSA): green's pods cannot assume them until they trust green's. */
async function irsaFindings(aws: AwsClients, region: string, blue: Cluster): Promise<Finding[]> {
  const source = 'irsa';
  const issuer = issuerHost(blue);
  if (!issuer) return [];
  return readCheck(source, `the search for IAM roles trusting blue's OIDC issuer ${issuer}`, async () => {
    const roles: string[] = [];
    let marker: string | undefined;
    do {
      const page = await aws.iam(region, 'clusters').send(new ListRolesCommand({ Marker: marker }));
      for (const role of page.Roles ?? []) {
        const raw = role.AssumeRolePolicyDocument ?? '';
        let policy = raw;
        try {
          policy = decodeURIComponent(raw);
        } catch {
          // Not URL-encoded (some endpoints): read as it is.
        }
        if (policy.includes(`oidc-provider/${issuer}`)) roles.push(role.RoleName!);
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return capped(
      roles.map((r) => ({
        severity: 'warning',
        source,
        message: `role ${r} trusts blue's OIDC provider (${issuer}): add green's provider to its trust policy after green is created (or move the service account to EKS Pod Identity), or green's pods cannot assume it`,
      })),
      source,
      "roles trusting blue's OIDC provider",
    );
  });
}

/**
 * Preflight of green.mode create: what green cannot get from blue, each naming what to do —
 * override names blue does not have, AMI types the target no longer offers, self-managed
 * nodes, roles trusting blue's OIDC issuer.
 */
export async function copyFindings(aws: AwsClients, input: { region: string; green: string; targetVersion: string; overrides?: GreenOverrides }, blue: Cluster): Promise<Finding[]> {
  const eks = aws.eks(input.region);
  const nodegroups = await describeNodegroups(eks, blue.name!);
  const profiles: string[] = [];
  const findings: Finding[] = [];
  try {
    profiles.push(...(await describeFargateProfiles(eks, blue.name!)).map((p) => p.fargateProfileName!));
  } catch (err) {
    if (!isUnsupported(err)) throw err;
    findings.push({ severity: 'info', source: 'green-copy', message: 'EKS Fargate profiles not available on this endpoint; not checked' });
  }
  findings.push(...unknownOverrideNames(input.overrides, nodegroups.map((n) => n.nodegroupName!), profiles));
  findings.push(...amiFindings(nodegroups, input.targetVersion, input.overrides));
  const mode = input.overrides?.cluster?.authenticationMode ?? blue.accessConfig?.authenticationMode;
  if (mode?.includes('CONFIG_MAP')) {
    findings.push({
      severity: 'warning',
      source: 'green-copy',
      message: `green authenticates with authentication mode ${mode}, as blue does: the IAM mappings in blue's kube-system/aws-auth ConfigMap are not copied (access entries are); apply them to green, or move them to access entries before cutover`,
    });
  }
  findings.push(...(await selfManagedFindings(aws, input.region, blue.name!, input.green)));
  findings.push(...(await irsaFindings(aws, input.region, blue)));
  return findings;
}

// --- adopt: green against blue ----------------------------------------------------------------

const show = (v: unknown) => (v === undefined || (Array.isArray(v) && v.length === 0) ? 'none' : Array.isArray(v) ? v.join(', ') : String(v));
const same = (a: unknown, b: unknown) => show(Array.isArray(a) ? [...a].sort() : a) === show(Array.isArray(b) ? [...b].sort() : b);

/** Green's configuration against blue's (mode adopt): each difference a warning naming the field and both values. */
export async function adoptDifferences(eks: EKSClient, blue: Cluster, green: Cluster): Promise<Finding[]> {
  const source = 'green-config';
  const findings: Finding[] = [];
  const differs = (field: string, b: unknown, g: unknown) => {
    if (!same(b, g)) findings.push({ severity: 'warning', source, message: `green ${green.name} differs from blue ${blue.name} in ${field}: blue ${show(b)}, green ${show(g)}` });
  };
  const [bv, gv] = [blue.resourcesVpcConfig, green.resourcesVpcConfig];
  differs('endpointPublicAccess', bv?.endpointPublicAccess, gv?.endpointPublicAccess);
  differs('endpointPrivateAccess', bv?.endpointPrivateAccess, gv?.endpointPrivateAccess);
  differs('publicAccessCidrs', bv?.publicAccessCidrs, gv?.publicAccessCidrs);
  differs('secrets encryption key', secretsKey(blue), secretsKey(green));
  differs('serviceIpv4Cidr', blue.kubernetesNetworkConfig?.serviceIpv4Cidr, green.kubernetesNetworkConfig?.serviceIpv4Cidr);
  differs('ipFamily', blue.kubernetesNetworkConfig?.ipFamily, green.kubernetesNetworkConfig?.ipFamily);
  differs('control-plane logging', enabledLogs(blue), enabledLogs(green));
  differs('authenticationMode', blue.accessConfig?.authenticationMode, green.accessConfig?.authenticationMode);

  const greenGroups = new Map((await describeNodegroups(eks, green.name!)).map((n) => [n.nodegroupName!, n]));
  for (const b of await describeNodegroups(eks, blue.name!)) {
    const name = b.nodegroupName!;
    const g = greenGroups.get(name);
    if (!g) {
      findings.push({ severity: 'warning', source, message: `green ${green.name} has no node group ${name} (blue has: ${show(b.instanceTypes)}, ${b.amiType})` });
      continue;
    }
    differs(`node group ${name} amiType`, b.amiType, g.amiType);
    differs(`node group ${name} instanceTypes`, b.instanceTypes, g.instanceTypes);
    const scaling = (n: Nodegroup) => (n.scalingConfig ? `min ${n.scalingConfig.minSize}, max ${n.scalingConfig.maxSize}, desired ${n.scalingConfig.desiredSize}` : undefined);
    differs(`node group ${name} scaling`, scaling(b), scaling(g));
  }
  try {
    const greenProfiles = new Set((await describeFargateProfiles(eks, green.name!)).map((p) => p.fargateProfileName));
    for (const p of await describeFargateProfiles(eks, blue.name!)) {
      if (!greenProfiles.has(p.fargateProfileName)) findings.push({ severity: 'warning', source, message: `green ${green.name} has no Fargate profile ${p.fargateProfileName}, which blue has` });
    }
  } catch (err) {
    if (!isUnsupported(err)) throw err;
  }
  try {
    const greenAddons = new Set(await listAddons(eks, green.name!));
    for (const a of await listAddons(eks, blue.name!)) {
      if (!greenAddons.has(a)) findings.push({ severity: 'warning', source, message: `green ${green.name} has no add-on ${a}, which blue has` });
    }
  } catch (err) {
    if (!isUnsupported(err)) throw awsFailure(err, `add-ons of ${blue.name} and ${green.name}`);
    findings.push({ severity: 'info', source, message: 'EKS add-ons not available on this endpoint; add-ons of blue and green not compared' });
  }
  if (!findings.some((f) => f.severity === 'warning')) findings.push({ severity: 'info', source, message: `green ${green.name}'s configuration matches blue's (endpoint access, encryption, network, logging, access, node groups, Fargate profiles, add-ons)` });
  return findings;
}
