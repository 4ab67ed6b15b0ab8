// green.overrides: what green gets other than blue's configuration (mode create). Pure and
// without libraries, so the API, the workflow's checks, the plan and the activities share it;
// the schema itself is GreenOverrides in spec.ts (a unit test keeps the field lists below equal
// to its fields).
import type { GreenOverrides, MigrationSpec, SpecIssue } from './spec.js';

export type ClusterOverride = NonNullable<GreenOverrides['cluster']>;
export type NodegroupOverride = NonNullable<GreenOverrides['nodegroups']>[string];
export type FargateOverride = NonNullable<GreenOverrides['fargateProfiles']>[string];

/** The sections of green.overrides, each with the fields it takes. */
export const OVERRIDABLE = {
  cluster: [
    'roleArn',
    'subnetIds',
    'securityGroupIds',
    'endpointPublicAccess',
    'endpointPrivateAccess',
    'publicAccessCidrs',
    'encryptionKeyArn',
    'serviceIpv4Cidr',
    'ipFamily',
    'logging',
    'authenticationMode',
    'supportType',
    'tags',
  ],
  nodegroups: ['amiType', 'instanceTypes', 'capacityType', 'diskSize', 'subnets', 'nodeRole', 'scalingConfig', 'updateConfig', 'labels', 'taints', 'launchTemplate', 'remoteAccess', 'tags'],
  fargateProfiles: ['subnets'],
} as const;
export type OverrideSection = keyof typeof OVERRIDABLE;

const ASSIGNED = 'EKS assigns it';
const VERSION = "green's version is green.kubernetesVersion";
/** Fields EKS describes that no create call takes: an override of one is refused with the reason. */
const NOT_SETTABLE: Record<OverrideSection, Record<string, string>> = {
  cluster: {
    name: "green's name is green.cluster",
    version: VERSION,
    arn: ASSIGNED,
    id: ASSIGNED,
    endpoint: ASSIGNED,
    status: ASSIGNED,
    identity: `${ASSIGNED} (green gets its own OIDC issuer)`,
    certificateAuthority: ASSIGNED,
    platformVersion: `${ASSIGNED} (the newest for green's version)`,
    createdAt: ASSIGNED,
    health: ASSIGNED,
    serviceIpv6Cidr: `${ASSIGNED} (set ipFamily ipv6)`,
    clientRequestToken: 'Cutover sets it, so a retried create is the same request',
    connectorConfig: 'it belongs to clusters registered from outside EKS',
  },
  nodegroups: {
    nodegroupName: "a node group of green keeps blue's name (the key of this entry)",
    clusterName: "green's name is green.cluster",
    version: `${VERSION}, and its node groups run it`,
    releaseVersion: "EKS picks the newest AMI release for green's version",
    nodegroupArn: ASSIGNED,
    status: ASSIGNED,
    createdAt: ASSIGNED,
    modifiedAt: ASSIGNED,
    health: ASSIGNED,
    resources: ASSIGNED,
  },
  fargateProfiles: {
    fargateProfileName: "a Fargate profile of green keeps blue's name (the key of this entry)",
    clusterName: "green's name is green.cluster",
    fargateProfileArn: ASSIGNED,
    status: ASSIGNED,
    createdAt: ASSIGNED,
  },
};

const dotted = (pointer: string) => pointer.split('/').filter(Boolean).join('.');

/**
 * The message for a field of green.overrides the schema does not allow (its JSON pointer, as
 * the API's 400 names it): a field EKS sets itself says why it cannot be set, an unknown one
 * lists those that can; undefined outside green.overrides.
 */
export function overrideFieldRefusal(pointer: string): string | undefined {
  const parts = pointer.split('/').slice(1);
  if (parts[0] !== 'green' || parts[1] !== 'overrides' || parts.length < 3) return undefined;
  const section = parts[2] as OverrideSection;
  if (parts.length === 3) return `unknown section; green.overrides has ${Object.keys(OVERRIDABLE).join(', ')}`;
  if (!(section in OVERRIDABLE)) return undefined;
  // cluster/<field>; nodegroups/<name>/<field>; a key alone is a name the pattern refused.
  const field = section === 'cluster' ? parts[3] : parts[4];
  if (field === undefined) return `is not a ${section === 'nodegroups' ? 'node group' : 'Fargate profile'} name (letters, digits, - and _, at most 100) nor *`;
  if (parts.length > (section === 'cluster' ? 4 : 5)) return undefined;
  const reason = NOT_SETTABLE[section][field];
  if (reason) return `${dotted(pointer)} cannot be set: ${reason}`;
  return `${dotted(pointer)}: unknown field; settable: ${OVERRIDABLE[section].join(', ')}`;
}

/** The override of blue's node group (or Fargate profile) `name`: "*" and the named entry, the named one winning field by field. */
export function overrideFor<T extends object>(entries: Record<string, T> | undefined, name: string): Partial<T> {
  return { ...entries?.['*'], ...entries?.[name] };
}

/** What green.overrides says that cannot work, beyond its schema. */
export function overrideIssues(spec: MigrationSpec): SpecIssue[] {
  const overrides = spec.green.overrides;
  if (!overrides) return [];
  const mode = spec.green.mode ?? (spec.green.cluster === undefined ? 'adopt' : 'create');
  if (mode !== 'create') {
    return [{ path: '/green/overrides', message: 'green.overrides changes green as Cutover creates it (green.mode create); an adopted green is taken as it is: leave overrides out' }];
  }
  const issues: SpecIssue[] = [];
  for (const [name, ng] of Object.entries(overrides.nodegroups ?? {})) {
    const at = `/green/overrides/nodegroups/${name}`;
    const lt = ng.launchTemplate;
    if (lt && !lt.id === !lt.name) issues.push({ path: `${at}/launchTemplate`, message: 'names a launch template by id or by name: exactly one of them' });
    if (lt && ng.diskSize !== undefined) issues.push({ path: `${at}/diskSize`, message: 'EKS refuses a disk size with a launch template: set the size in the launch template' });
    if (lt && ng.remoteAccess) issues.push({ path: `${at}/remoteAccess`, message: 'EKS refuses remote access with a launch template: set the key pair in the launch template' });
    const { minSize, maxSize, desiredSize } = ng.scalingConfig ?? {};
    if (minSize !== undefined && maxSize !== undefined && minSize > maxSize) issues.push({ path: `${at}/scalingConfig/minSize`, message: `must not exceed maxSize (${maxSize})` });
    if (desiredSize !== undefined && ((minSize !== undefined && desiredSize < minSize) || (maxSize !== undefined && desiredSize > maxSize))) {
      issues.push({ path: `${at}/scalingConfig/desiredSize`, message: 'must lie between minSize and maxSize' });
    }
    const u = ng.updateConfig;
    if (u && (u.maxUnavailable === undefined) === (u.maxUnavailablePercentage === undefined)) {
      issues.push({ path: `${at}/updateConfig`, message: 'takes exactly one of maxUnavailable, maxUnavailablePercentage' });
    }
  }
  return issues;
}

/** Each override in a line, as the plan shows them ("nodegroups.web.amiType: AL2023_x86_64_STANDARD"). */
export function describeOverrides(overrides: GreenOverrides | undefined): string[] {
  if (!overrides) return [];
  const lines: string[] = [];
  const show = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v !== 'object') ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value));
  for (const [field, value] of Object.entries(overrides.cluster ?? {})) lines.push(`cluster.${field}: ${show(value)}`);
  for (const section of ['nodegroups', 'fargateProfiles'] as const) {
    for (const [name, entry] of Object.entries(overrides[section] ?? {})) {
      for (const [field, value] of Object.entries(entry)) lines.push(`${section}.${name}.${field}: ${show(value)}`);
    }
  }
  return lines;
}
