// The dry run's permission check, its pure parts: which statements of deploy/iam-policy.json a
// spec needs, on which resources, as which principal, and how IAM's simulator answer reads.
// (moto has no simulator: test/api/inspect.test.ts shows the check saying so.)
import { describe, expect, it } from 'vitest';
import { callsOf, neededStatements, principalOf } from '../../activities/permissions.js';
import { permissionsInput } from '../../workflows/migration/inputs.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { policyActions } from '../iam-policy.js';

const spec: MigrationSpec = {
  region: 'eu-west-1',
  aws: { clusters: { roleArn: 'arn:aws:iam::111122223333:role/ops/cutover-clusters' }, dns: { roleArn: 'arn:aws:iam::444455556666:role/cutover-dns' } },
  blue: { cluster: 'prod-blue' },
  green: { cluster: 'prod-green', kubernetesVersion: '1.34' },
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com', type: 'CNAME' }] } },
  decommission: { drain: { none: 'test' } },
};

describe('the statements a plan needs', () => {
  it('follows the spec: create mode provisions, route53 needs the DNS role, deleting blue decommissions, roles need assuming', () => {
    const input = permissionsInput(resolveSpec(spec));
    expect(neededStatements(input).map((n) => [n.sid, n.account])).toEqual([
      ['PreflightRead', 'clusters'],
      ['EksToken', 'clusters'],
      ['Provisioning', 'clusters'],
      ['ProvisioningPassRoles', 'clusters'],
      ['TrafficRoute53', 'dns'],
      ['Decommission', 'clusters'],
      ['AssumeAccountRoles', 'worker'],
    ]);
    const adopt = permissionsInput(resolveSpec({ ...spec, aws: undefined, green: { ...spec.green, mode: 'adopt' }, decommission: { deleteBlue: false } }));
    expect(neededStatements(adopt).map((n) => n.sid)).toEqual(['PreflightRead', 'EksToken', 'TrafficRoute53']);
  });

  it('names only statements the policy file has, on the clusters and the zone where IAM scopes them', () => {
    const input = permissionsInput(resolveSpec(spec));
    const sids = new Set(policyActions().keys());
    for (const need of neededStatements(input)) expect(sids, need.sid).toContain(need.sid);
    const calls = neededStatements(input).flatMap((n) => callsOf(n, input, { partition: 'aws', account: '111122223333' }));
    const on = (action: string) => calls.filter((c) => c.action === action).map((c) => c.resource);
    expect(on('eks:CreateCluster')).toEqual(['arn:aws:eks:eu-west-1:111122223333:cluster/prod-green']);
    expect(on('eks:DeleteCluster')).toEqual(['arn:aws:eks:eu-west-1:111122223333:cluster/prod-blue']);
    expect(on('eks:DescribeClusterVersions')).toEqual(['*']);
    expect(on('route53:ChangeResourceRecordSets')).toEqual(['arn:aws:route53:::hostedzone/Z0123']);
    expect(on('sts:AssumeRole')).toEqual(['arn:aws:iam::111122223333:role/ops/cutover-clusters', 'arn:aws:iam::444455556666:role/cutover-dns']);
  });

  it('simulates an assumed role as its role, and a user as itself', () => {
    expect(principalOf('arn:aws:sts::777788889999:assumed-role/cutover-worker/i-0abc')).toBe('arn:aws:iam::777788889999:role/cutover-worker');
    expect(principalOf('arn:aws-cn:sts::777788889999:assumed-role/w/s')).toBe('arn:aws-cn:iam::777788889999:role/w');
    expect(principalOf('arn:aws:iam::777788889999:user/ci')).toBe('arn:aws:iam::777788889999:user/ci');
  });
});
