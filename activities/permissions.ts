// The dry run's permission check: which AWS actions the plan needs (the statements of
// deploy/iam-policy.json its spec calls for: the one list of actions), who the worker is in each
// account (STS GetCallerIdentity, under the spec's roles), and whether IAM's policy simulator
// allows each action there. Read-only: it asks IAM, it changes nothing.
import { SimulatePrincipalPolicyCommand, type ContextEntry } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import policy from '../deploy/iam-policy.json' with { type: 'json' };
import type { Finding } from '../workflows/model.js';
import type { AwsAccounts } from '../workflows/spec.js';
import type { AwsClients } from './aws.js';
import type { PermissionsInput } from './contract.js';
import { awsFailure } from './errors.js';

const SOURCE = 'permissions';

/** Whose identity makes a statement's calls (docs/access.md): an account's role, or the worker's own. */
type Account = keyof AwsAccounts | 'worker';

/** A statement of the policy the plan needs: whose calls, and for what. */
export interface Need {
  sid: string;
  account: Account;
  why: string;
}

/** The statements of deploy/iam-policy.json a plan needs, derived from what its spec asks. */
export function neededStatements(input: PermissionsInput): Need[] {
  const eks = input.blue.eks || input.green.eks;
  const needs: (Need | false)[] = [
    eks && { sid: 'PreflightRead', account: 'clusters', why: "preflight's EKS checks" },
    eks && { sid: 'EksToken', account: 'clusters', why: "the clusters' API servers (EKS tokens)" },
    input.green.mode === 'create' && { sid: 'Provisioning', account: 'clusters', why: `creating green ${input.green.cluster} from blue` },
    input.green.mode === 'create' && { sid: 'ProvisioningPassRoles', account: 'clusters', why: "handing blue's roles to green" },
    !!input.route53 && { sid: 'TrafficRoute53', account: 'dns', why: 'shifting the Route 53 weights' },
    input.alb && { sid: 'TrafficAlb', account: 'clusters', why: "shifting the ALB listener's weights" },
    input.cloudwatch && { sid: 'MetricChecks', account: 'clusters', why: 'the CloudWatch metric checks' },
    input.stateful && { sid: 'StatefulCarryOver', account: 'clusters', why: "copying blue's EBS volumes for green (stateful)" },
    input.stateful && { sid: 'StatefulCarryOverKms', account: 'clusters', why: "the KMS keys of blue's encrypted volumes (stateful)" },
    input.deleteBlue && { sid: 'Decommission', account: 'clusters', why: `deleting blue ${input.blue.cluster}` },
    !!(input.roles.clusters || input.roles.dns) && { sid: 'AssumeAccountRoles', account: 'worker', why: "assuming the spec's roles" },
  ];
  return needs.filter((n): n is Need => !!n);
}

const STATEMENTS = new Map(policy.Statement.map((s) => [s.Sid, [s.Action].flat()]));

/** EKS actions IAM does not scope to a cluster. */
const ACCOUNT_WIDE_EKS = new Set(['eks:DescribeClusterVersions', 'eks:DescribeAddonVersions']);
/** Route 53 actions IAM scopes to the hosted zone. */
const ZONE_ACTIONS = new Set(['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets']);

/** One action on one resource ('*' where IAM does not scope it, or it is not known before the run). */
export interface Call {
  action: string;
  resource: string;
  need: Need;
}

/** The calls a need stands for, on the resources known before the run: the clusters' and the zone's ARNs. */
export function callsOf(need: Need, input: PermissionsInput, at: { partition: string; account: string }): Call[] {
  const cluster = (name: string) => `arn:${at.partition}:eks:${input.region}:${at.account}:cluster/${name}`;
  const eksClusters = [input.blue.eks && input.blue.cluster, input.green.eks && input.green.cluster].filter((c): c is string => !!c);
  return (STATEMENTS.get(need.sid) ?? []).flatMap((action): Call[] => {
    const on = (resources: string[]) => (resources.length ? resources : ['*']).map((resource) => ({ action, resource, need }));
    if (need.sid === 'AssumeAccountRoles') return on([...new Set([input.roles.clusters, input.roles.dns].filter((r): r is string => !!r))]);
    if (action.startsWith('eks:') && !ACCOUNT_WIDE_EKS.has(action)) {
      // Green is what is created; blue what is read and retired; the token reaches both.
      if (need.sid === 'EksToken') return on(eksClusters.map(cluster));
      return on([/^eks:(Create|Associate)/.test(action) ? cluster(input.green.cluster) : cluster(input.blue.cluster)]);
    }
    if (ZONE_ACTIONS.has(action) && input.route53?.hostedZoneId) return on([`arn:${at.partition}:route53:::hostedzone/${input.route53.hostedZoneId}`]);
    return on(['*']);
  });
}

/** The IAM principal to simulate for an STS caller ARN: an assumed role's session stands for its role. */
export function principalOf(callerArn: string): string {
  const assumed = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : callerArn;
}

/** One evaluation of SimulatePrincipalPolicy's answer. */
export interface Evaluation {
  action: string;
  resource: string;
  decision: string;
}

/** PassRole is asked as passed to EKS, as the policy's condition says. */
const PASSED_TO_EKS: ContextEntry[] = [{ ContextKeyName: 'iam:PassedToService', ContextKeyType: 'string', ContextKeyValues: ['eks.amazonaws.com'] }];

/**
 * moto, and endpoints without the simulator, answer it with an HTTP 500 page that is no IAM
 * error at all; a real IAM 5xx carries its error code.
 */
const noSimulator = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.$metadata?.httpStatusCode === 500 && ['UnknownError', 'Error', 'SyntaxError', 'InternalFailure'].includes(e.name ?? 'Error');
};

/** Thrown when IAM's simulator cannot be asked (refused, or not offered by the endpoint): nothing is checked then. */
class SimulationUnavailable extends Error {}

const WHO: Record<Account, string> = { clusters: 'the clusters role', dns: 'the DNS role', worker: "the worker's own identity" };

export function createPermissionActivities(aws: AwsClients) {
  /** The decisions for `calls`, made as `principal`, one simulation per resource. */
  async function simulate(account: Account, principal: string, region: string, calls: Call[]): Promise<Evaluation[]> {
    const iam = aws.iam(region, account === 'worker' ? undefined : account);
    const byResource = new Map<string, string[]>();
    for (const c of calls) byResource.set(c.resource, [...new Set([...(byResource.get(c.resource) ?? []), c.action])]);
    const out: Evaluation[] = [];
    for (const [resource, actions] of byResource) {
      let marker: string | undefined;
      do {
        const request = {
          PolicySourceArn: principal,
          ActionNames: actions,
          ...(resource !== '*' && { ResourceArns: [resource] }),
          ...(actions.includes('iam:PassRole') && { ContextEntries: PASSED_TO_EKS }),
          MaxItems: 1000,
          Marker: marker,
        };
        const page = await iam.send(new SimulatePrincipalPolicyCommand(request)).catch((err: unknown) => {
          if (noSimulator(err)) throw new SimulationUnavailable('the endpoint does not offer IAM\'s policy simulator');
          const failure = awsFailure(err, `simulating ${principal}'s policies`);
          // Throttling and 5xx are worth another attempt; a refusal or a missing API is an answer.
          if ((failure as { nonRetryable?: boolean }).nonRetryable) throw new SimulationUnavailable(failure.message);
          throw failure;
        });
        // Only what was asked: an evaluation of anything else is not this call's answer.
        for (const e of page.EvaluationResults ?? []) {
          if (!e.EvalActionName || !actions.includes(e.EvalActionName)) continue;
          const evaluated = e.EvalResourceName && e.EvalResourceName !== '*' ? e.EvalResourceName : resource;
          out.push({ action: e.EvalActionName, resource: evaluated, decision: e.EvalDecision ?? 'unknown' });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
    }
    return out;
  }

  return {
    /** Whether the worker's identities may make every call the plan needs: blocking findings for those IAM denies. */
    async permissionFindings(input: PermissionsInput): Promise<Finding[]> {
      const needs = neededStatements(input);
      const accounts = [...new Set(needs.map((n) => n.account))];
      const findings: Finding[] = [];
      const checked: string[] = [];
      try {
        for (const account of accounts) {
          let caller: string;
          try {
            caller = (await aws.sts(input.region, account === 'worker' ? undefined : account).send(new GetCallerIdentityCommand({}))).Arn ?? '';
          } catch (err) {
            const failure = awsFailure(err, `who ${WHO[account]} is (sts:GetCallerIdentity)`);
            if (!(failure as { nonRetryable?: boolean }).nonRetryable) throw failure;
            findings.push({ severity: 'blocking', source: SOURCE, message: `${WHO[account]} cannot be used: ${failure.message}` });
            continue;
          }
          // The spec's role as it names it (its path included); the worker's own from STS.
          const principal = (account !== 'worker' && input.roles[account]) || principalOf(caller);
          const [, partition = 'aws', , , accountId = ''] = principal.split(':');
          const calls = needs.filter((n) => n.account === account).flatMap((n) => callsOf(n, input, { partition, account: accountId }));
          const denied = (await simulate(account, principal, input.region, calls)).filter((e) => e.decision !== 'allowed');
          for (const e of denied) {
            const need = (calls.find((c) => c.action === e.action && c.resource === e.resource) ?? calls.find((c) => c.action === e.action))?.need;
            findings.push({
              severity: 'blocking',
              source: SOURCE,
              message: `${WHO[account]} ${principal} may not ${e.action} on ${e.resource} (${e.decision}): the plan needs it for ${need?.why ?? 'its calls'} (deploy/iam-policy.json, statement ${need?.sid ?? '?'})`,
            });
          }
          checked.push(`${calls.length} calls as ${principal}`);
        }
      } catch (err) {
        if (!(err instanceof SimulationUnavailable)) throw err;
        return [...findings, { severity: 'info', source: SOURCE, message: `IAM policy simulation not available: permissions not checked (${err.message})` }];
      }
      if (!findings.length) findings.push({ severity: 'info', source: SOURCE, message: `IAM allows every call the plan needs (${checked.join('; ')})` });
      return findings;
    },
  };
}
