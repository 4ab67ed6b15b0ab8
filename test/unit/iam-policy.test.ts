// deploy/iam-policy.json grants exactly what the code can call: nothing missing (a call
// would fail with AccessDenied in a real account), nothing more (least privilege). The
// global setup also checks every call the other tests made against it at the end of a run.
import { describe, expect, it } from 'vitest';
import { codeActions, policyActions } from '../iam-policy.js';

describe('the IAM policy', () => {
  it('grants every action the code makes and none it does not', () => {
    const { actions, unknownWaiters } = codeActions();
    expect(unknownWaiters, 'waiters without an entry in WAITER_ACTIONS (test/iam-policy.ts)').toEqual([]);
    const granted = new Set([...policyActions().values()].flat());
    expect([...actions].filter((a) => !granted.has(a)).sort(), 'actions the code makes that deploy/iam-policy.json lacks').toEqual([]);
    expect([...granted].filter((a) => !actions.has(a)).sort(), 'actions deploy/iam-policy.json grants that no code makes').toEqual([]);
  });

  it('groups its statements by what the worker does', () => {
    expect([...policyActions().keys()]).toEqual(['AssumeAccountRoles', 'PreflightRead', 'Provisioning', 'ProvisioningPassRoles', 'TrafficRoute53', 'TrafficAlb', 'MetricChecks', 'StatefulCarryOver', 'StatefulCarryOverKms', 'Decommission', 'EksToken', 'DryRunPermissions']);
  });
});
