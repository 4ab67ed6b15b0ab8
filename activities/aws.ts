// AWS SDK clients, one per (service, region, role, session), built from config. In the sandbox
// and tests the endpoint points at moto. Which role a call runs under comes from the spec's
// `aws` accounts of the migration the activity serves (see runInAccounts): EKS, ELBv2, EC2 and
// CloudWatch under the clusters role, Route 53 under the DNS role, each session named after the migration ID;
// without a role, the worker's own credentials (the default credential chain). Regions and
// endpoints come from the SDK's endpoint rules, never from hand-written host names.
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@aws-sdk/types';
import type { AwsAccounts, AwsRole } from '../workflows/spec.js';
import { limitRoute53 } from './rate-limit.js';

export interface AwsConfig {
  /** Override for every service (moto); undefined means real AWS. */
  endpoint?: string;
  /** A file to append `service:Action` to for every call made on a migration's behalf (default: CUTOVER_AWS_ACTION_LOG); the tests check it against deploy/iam-policy.json. */
  actionLog?: string;
}

/** Who the calls made now act as: the migration's accounts, and the session name (its ID). */
export interface AwsScope {
  accounts?: AwsAccounts;
  session: string;
}

const scope = new AsyncLocalStorage<AwsScope>();

/** Runs `work` with every AWS call in it made under `accounts`' roles, sessions named `session`. */
export function runInAccounts<T>(at: AwsScope, work: () => T): T {
  return scope.run(at, work);
}

/** Outside any migration (the API's lookups without a spec, tools): the worker's own credentials. */
const NO_SCOPE: AwsScope = { session: 'cutover' };

/** STS role session names: 2–64 characters of [\w+=,.@-]; the migration ID mostly is one already. */
export function sessionName(migrationId: string): string {
  const name = migrationId.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return name.length >= 2 ? name : `${name}--`.slice(0, 2);
}

/** The account ID in a role ARN (arn:<partition>:iam::<account>:role/<name>). */
function accountOf(roleArn: string): string {
  return roleArn.split(':')[4];
}

/** IAM's service prefix for each client, as the action log and the policy name actions. */
const IAM_PREFIX: Record<string, string> = {
  AutoScalingClient: 'autoscaling',
  CloudWatchClient: 'cloudwatch',
  EC2Client: 'ec2',
  IAMClient: 'iam',
  EKSClient: 'eks',
  ElasticLoadBalancingV2Client: 'elasticloadbalancing',
  Route53Client: 'route53',
  STSClient: 'sts',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one plugin serves every client's input and output types
type AnyPluggable = Pluggable<any, any>;

/**
 * Appends `service:Action` to `file` for every call a client sends on a migration's behalf
 * (inside runInAccounts, as every activity the worker runs is): a test's own calls — seeding
 * moto, reading what the worker wrote — are not the worker's and are not logged.
 */
function actionLogPlugin(file: string): AnyPluggable {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => (args) => {
          if (scope.getStore()) {
            const service = IAM_PREFIX[context.clientName ?? ''] ?? context.clientName;
            appendFileSync(file, `${service}:${(context.commandName ?? '').replace(/Command$/, '')}\n`);
          }
          return next(args);
        },
        { step: 'initialize', name: 'cutoverActionLog' },
      ),
  };
}

/** One provider shared by every client of a role and session: AssumeRole once, again before expiry. */
function shared(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  const REFRESH_BEFORE_MS = 5 * 60_000;
  let current: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const held = current && (await current.catch(() => undefined));
    if (held && (!held.expiration || held.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS)) return held;
    current = provider();
    return current;
  };
}

/** Clients and credential providers kept at most: a long-lived worker serves many migrations. */
const MAX_CACHED = 500;

export interface AwsClients {
  /** EKS in `region`, as the clusters role of the migration served now. */
  eks(region: string): EKSClient;
  /** ELBv2 in `region`, as the clusters role. */
  elbv2(region: string): ElasticLoadBalancingV2Client;
  /** CloudWatch in `region` (metric checks), as the clusters role. */
  cloudwatch(region: string): CloudWatchClient;
  /** EC2 in `region` (blue's self-managed nodes; EBS snapshots and volumes of stateful workloads), as the clusters role. */
  ec2(region: string): EC2Client;
  /** EC2 Auto Scaling in `region` (blue's self-managed node groups), as the clusters role. */
  autoscaling(region: string): AutoScalingClient;
  /**
   * IAM (global; the SDK signs for `region`'s partition) as `account`'s role of the migration
   * served now (roles trusting blue's OIDC issuer: clusters); without `account`, the worker's own
   * identity (the dry run's policy simulation of it).
   */
  iam(region: string, account?: keyof AwsAccounts): IAMClient;
  /** Route 53 for a migration in `region` (the SDK signs for that partition's global region), as the DNS role; its requests spaced out per account (rate-limit.ts). */
  route53(region: string): Route53Client;
  /** STS in `region` as `account`'s role of the migration served now; without `account`, the worker's own identity. */
  sts(region: string, account?: keyof AwsAccounts): STSClient;
}

export function createAwsClients(config: AwsConfig): AwsClients {
  const cache = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) {
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, make());
    }
    return cache.get(key) as T;
  };
  const actionLog = config.actionLog ?? (process.env.CUTOVER_AWS_ACTION_LOG || undefined);
  const plugins = actionLog ? [actionLogPlugin(actionLog)] : [];
  const own = config.endpoint ? { accessKeyId: 'testing', secretAccessKey: 'testing' } : undefined;

  /** The credentials of `role` for `session` (STS in `region`), or the worker's own without a role. */
  const credentials = (role: AwsRole | undefined, session: string, region: string): AwsCredentialIdentityProvider | AwsCredentialIdentity | undefined => {
    if (!role) return own;
    return memo(`credentials:${role.roleArn}:${role.externalId ?? ''}:${session}`, () =>
      shared(
        fromTemporaryCredentials({
          params: { RoleArn: role.roleArn, ExternalId: role.externalId, RoleSessionName: sessionName(session), DurationSeconds: 3600 },
          ...(own && { masterCredentials: own }),
          clientConfig: { region, ...(config.endpoint && { endpoint: config.endpoint }) },
          clientPlugins: plugins,
        }),
      ),
    );
  };

  /** A client of `Client` in `region` under `role`, for the scope the calling activity runs in. */
  function client<C extends { middlewareStack: { use(p: AnyPluggable): void } }>(
    service: string,
    region: string,
    account: keyof AwsAccounts | undefined,
    make: (options: { region: string; endpoint?: string; credentials?: AwsCredentialIdentityProvider | AwsCredentialIdentity }, role?: AwsRole) => C,
  ): C {
    const at = scope.getStore() ?? NO_SCOPE;
    const role = account && at.accounts?.[account];
    const key = `${service}:${region}:${role ? `${role.roleArn}:${role.externalId ?? ''}:${at.session}` : 'own'}`;
    return memo(key, () => {
      const c = make({ region, ...(config.endpoint && { endpoint: config.endpoint }), credentials: credentials(role, at.session, region) }, role);
      for (const p of plugins) c.middlewareStack.use(p);
      return c;
    });
  }

  const stsClient = (region: string, account?: keyof AwsAccounts) => client(`sts-${account ?? 'own'}`, region, account, (o) => new STSClient(o));
  return {
    eks: (region) => client('eks', region, 'clusters', (o) => new EKSClient(o)),
    elbv2: (region) => client('elbv2', region, 'clusters', (o) => new ElasticLoadBalancingV2Client(o)),
    cloudwatch: (region) => client('cloudwatch', region, 'clusters', (o) => new CloudWatchClient(o)),
    ec2: (region) => client('ec2', region, 'clusters', (o) => new EC2Client(o)),
    autoscaling: (region) => client('autoscaling', region, 'clusters', (o) => new AutoScalingClient(o)),
    iam: (region, account) => client(`iam-${account ?? 'own'}`, region, account, (o) => new IAMClient(o)),
    route53: (region) => client('route53', region, 'dns', (o, role) => limitRoute53(new Route53Client(o), role ? accountOf(role.roleArn) : 'default')),
    sts: stsClient,
  };
}
