// The dry run's permission check against moto's STS (who each role is), with IAM's simulator
// answer put in by the recording proxy: moto has no SimulatePrincipalPolicy, so its answer is
// the one part that does not come from a peer. Without it, the check says it could not ask.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, runInAccounts } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { permissionsInput } from '../../workflows/migration/inputs.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { AwsAccounts } from '../../workflows/spec.js';
import { seededSpec } from '../helpers.js';
import { startFaultProxy, type FaultProxy } from './support.js';

const ACCOUNT = '123456789012';
const ACCOUNTS: AwsAccounts = {
  clusters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/cutover-clusters` },
  dns: { roleArn: `arn:aws:iam::${ACCOUNT}:role/cutover-dns` },
};

/** IAM's answer: CreateCluster denied, everything else asked allowed. */
const SIMULATION = `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>
  <member><EvalActionName>eks:CreateCluster</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision></member>
  <member><EvalActionName>eks:DescribeCluster</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision></member>
</EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy();
});
afterAll(() => proxy.close());

describe('permissionFindings', () => {
  it('names each action IAM denies, with the role, the resource and the statement it belongs to', async () => {
    const { spec } = await seededSpec({ aws: ACCOUNTS });
    const input = permissionsInput(resolveSpec(spec));
    const { permissionFindings } = createActivities({ aws: createAwsClients({ endpoint: proxy.url }) });
    proxy.inject((c) => c.action === 'SimulatePrincipalPolicy', { status: 200, headers: { 'content-type': 'text/xml' }, body: SIMULATION }, 100);
    const start = proxy.calls.length;
    try {
      const findings = await runInAccounts({ accounts: ACCOUNTS, session: 'inspect-test' }, () => permissionFindings(input));
      expect(findings).toEqual([
        {
          severity: 'blocking',
          source: 'permissions',
          message: `the clusters role arn:aws:iam::${ACCOUNT}:role/cutover-clusters may not eks:CreateCluster on arn:aws:eks:${spec.region}:${ACCOUNT}:cluster/${spec.green.cluster} (implicitDeny): the plan needs it for creating green ${spec.green.cluster} from blue (deploy/iam-policy.json, statement Provisioning)`,
        },
      ]);
    } finally {
      proxy.clear();
    }
    // Who each account's role is, asked of STS as that role; the simulator asked as IAM.
    const calls = proxy.calls.slice(start);
    expect(calls.filter((c) => c.action === 'GetCallerIdentity').length).toBeGreaterThanOrEqual(3);
    expect(new Set(calls.filter((c) => c.action === 'SimulatePrincipalPolicy').map((c) => c.service))).toEqual(new Set(['iam']));
  });

  it("says so when IAM's simulator cannot be asked, and checks nothing", async () => {
    const { spec } = await seededSpec();
    const { permissionFindings } = createActivities({ aws: createAwsClients({ endpoint: proxy.url }) });
    const findings = await runInAccounts({ session: 'inspect-test' }, () => permissionFindings(permissionsInput(resolveSpec(spec))));
    expect(findings).toEqual([{ severity: 'info', source: 'permissions', message: expect.stringMatching(/^IAM policy simulation not available: permissions not checked \(/) }]);
  });
});
