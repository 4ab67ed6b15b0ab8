// What deploy/iam-policy.json is checked against: the AWS actions the code can make (read
// from its SDK imports) and, at run time, the actions the tests' calls made (the client
// factory's action log). Shared by test/unit/iam-policy.test.ts and the global setup.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const POLICY_FILE = path.join(ROOT, 'deploy', 'iam-policy.json');

/** IAM's service prefix for each SDK client package the code imports. */
const PREFIX: Record<string, string> = {
  eks: 'eks',
  'route-53': 'route53',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  sts: 'sts',
  'auto-scaling': 'autoscaling',
};

/** The action each waiter polls with. */
export const WAITER_ACTIONS: Record<string, string> = {
  waitUntilClusterActive: 'eks:DescribeCluster',
  waitUntilClusterDeleted: 'eks:DescribeCluster',
  waitUntilNodegroupActive: 'eks:DescribeNodegroup',
  waitUntilNodegroupDeleted: 'eks:DescribeNodegroup',
  waitUntilFargateProfileActive: 'eks:DescribeFargateProfile',
  waitUntilFargateProfileDeleted: 'eks:DescribeFargateProfile',
  waitUntilResourceRecordSetsChanged: 'route53:GetChange',
};

/** Actions IAM checks besides the call itself: passing a role to EKS (cluster, node, add-on, Pod Identity roles), tagging on create, the KMS key of an encrypted volume. */
export const IMPLIED_ACTIONS: Record<string, string[]> = {
  'eks:CreateCluster': ['iam:PassRole'],
  'eks:CreateNodegroup': ['iam:PassRole'],
  'eks:CreateFargateProfile': ['iam:PassRole'],
  'eks:CreateAddon': ['iam:PassRole'],
  'eks:CreatePodIdentityAssociation': ['iam:PassRole'],
  // Tags given at creation need CreateTags; a volume made from an encrypted snapshot uses its KMS key through EC2.
  'ec2:CreateSnapshot': ['ec2:CreateTags'],
  'ec2:CreateVolume': ['ec2:CreateTags', 'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
};

/** Every action granted by the policy file, by statement Sid. */
export function policyActions(): Map<string, string[]> {
  const policy = JSON.parse(readFileSync(POLICY_FILE, 'utf8')) as { Statement: { Sid: string; Action: string | string[] }[] };
  return new Map(policy.Statement.map((s) => [s.Sid, [s.Action].flat()]));
}

export function allowedActions(): Set<string> {
  return new Set([...policyActions().values()].flat());
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The actions the worker's and API's code can make: commands and waiters imported from @aws-sdk/client-*, role assumption, and what IAM checks with them. */
export function codeActions(): { actions: Set<string>; unknownWaiters: string[] } {
  const actions = new Set<string>();
  const unknownWaiters: string[] = [];
  for (const file of [...sources(path.join(ROOT, 'activities')), ...sources(path.join(ROOT, 'api'))]) {
    const text = readFileSync(file, 'utf8');
    for (const [, names, pkg] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const raw of names.split(',')) {
        const name = raw.replace(/^\s*type\s+/, '').trim();
        if (name.endsWith('Command')) actions.add(`${PREFIX[pkg] ?? pkg}:${name.replace(/Command$/, '')}`);
        else if (name.startsWith('waitUntil')) {
          if (WAITER_ACTIONS[name]) actions.add(WAITER_ACTIONS[name]);
          else unknownWaiters.push(`${name} (${path.relative(ROOT, file)})`);
        }
      }
    }
    if (text.includes('fromTemporaryCredentials(')) actions.add('sts:AssumeRole');
  }
  for (const action of [...actions]) for (const implied of IMPLIED_ACTIONS[action] ?? []) actions.add(implied);
  return { actions, unknownWaiters };
}

/** Actions in the log (one `service:Action` a line) that the policy does not grant. */
export function ungrantedActions(log: string): string[] {
  const allowed = allowedActions();
  const made = new Set(log.split('\n').filter(Boolean));
  return [...made].filter((a) => !allowed.has(a)).sort();
}
