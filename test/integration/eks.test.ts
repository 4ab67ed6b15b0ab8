// EKS activities against moto: preflight findings (calls moto lacks become findings), create
// or adopt green, delete a cluster; each safe to retry, NotFound naming what is missing.
import { DescribeClusterCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { addonVersionFor } from '../../activities/eks-config.js';
import { stack, uniqueName } from '../helpers.js';
import { activitiesWith, failureOf, type FaultProxy, runActivity, seedWorld, startFaultProxy } from './support.js';

const eks = () => createAwsClients({ endpoint: stack().motoUrl }).eks('us-east-1');
const isCreateCluster = (c: { method: string; path: string }) => c.method === 'POST' && /^\/clusters\/?$/.test(c.path.split('?')[0]);
const isCreateNodegroup = (c: { method: string; path: string }) => c.method === 'POST' && /^\/clusters\/[^/]+\/node-groups\/?$/.test(c.path.split('?')[0]);

describe('eks activities', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy();
  });
  afterAll(async () => proxy.close());

  it('preflight passes a newer target and turns calls moto lacks into findings', async () => {
    const { world } = await seedWorld();
    const result = await activitiesWith().preflight({ region: world.region, blue: world.blue, green: world.green, targetVersion: '1.34', mode: 'create' });
    expect(result.blueVersion).toBe('1.33');
    expect(result.findings.filter((f) => f.severity === 'blocking')).toEqual([]);
    expect(result.findings).toContainEqual(expect.objectContaining({ severity: 'info', source: 'eks-insights' }));
    expect(result.findings).toContainEqual({ severity: 'info', source: 'eks', message: 'EKS add-ons not available on this endpoint; skipped' });
    // Without cluster access the Kubernetes scan says it was skipped rather than staying silent.
    expect(result.findings).toContainEqual(expect.objectContaining({ severity: 'info', source: 'removed-apis', message: expect.stringContaining('skipped') }));
  });

  it('preflight blocks a target that is not newer, and adopting a green that does not exist', async () => {
    const { world } = await seedWorld();
    const result = await activitiesWith().preflight({ region: world.region, blue: world.blue, green: world.green, targetVersion: '1.33', mode: 'adopt' });
    const blocking = result.findings.filter((f) => f.severity === 'blocking').map((f) => f.message);
    expect(blocking).toEqual([expect.stringContaining('not newer'), expect.stringContaining(`green ${world.green} to adopt does not exist`)]);
  });

  it('preflight fails with NotFound naming a missing blue cluster', async () => {
    const missing = uniqueName('nope');
    const failure = await failureOf(activitiesWith().preflight({ region: 'us-east-1', blue: missing, green: 'g', targetVersion: '1.34', mode: 'create' }));
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toContain(missing);
  });

  it('provisions green from blue once; a retry creates nothing more', async () => {
    const { world } = await seedWorld();
    const acts = activitiesWith({ endpoint: proxy.url });
    const input = { migrationId: uniqueName('mig'), region: world.region, blue: world.blue, green: world.green, targetVersion: '1.34', mode: 'create' as const };
    const creates = () => proxy.calls.filter(isCreateCluster).length;
    const nodegroupCreates = () => proxy.calls.filter(isCreateNodegroup).length;
    const [c0, n0] = [creates(), nodegroupCreates()];

    const first = await runActivity(acts.provisionGreen, input);
    expect(first.result).toMatchObject({ created: true, status: 'ACTIVE' });
    // moto has no add-ons, access entries or Pod Identity: each is a finding, not a failure.
    expect(first.result.findings?.map((f) => f.message)).toEqual([
      'EKS add-ons not available on this endpoint; skipped',
      'EKS access entries not available on this endpoint; skipped',
      'EKS Pod Identity associations not available on this endpoint; skipped',
    ]);
    expect([creates() - c0, nodegroupCreates() - n0]).toEqual([1, 1]);

    const retry = await runActivity(acts.provisionGreen, input);
    expect(retry.result).toMatchObject({ created: true, status: 'ACTIVE' });
    expect([creates() - c0, nodegroupCreates() - n0]).toEqual([1, 1]);

    const green = (await eks().send(new DescribeClusterCommand({ name: world.green }))).cluster!;
    const blue = (await eks().send(new DescribeClusterCommand({ name: world.blue }))).cluster!;
    expect(green.version).toBe('1.34');
    expect(green.resourcesVpcConfig?.subnetIds).toEqual(blue.resourcesVpcConfig?.subnetIds);
    expect((await eks().send(new ListNodegroupsCommand({ clusterName: world.green }))).nodegroups).toEqual(
      (await eks().send(new ListNodegroupsCommand({ clusterName: world.blue }))).nodegroups,
    );
  });

  it('adopts an existing green at the right version, and refuses a missing or wrong one', async () => {
    const { world } = await seedWorld();
    const acts = activitiesWith();
    const base = { migrationId: uniqueName('mig'), region: world.region, blue: world.blue, targetVersion: '1.34', mode: 'adopt' as const };
    const missing = await failureOf(runActivity(acts.provisionGreen, { ...base, green: world.green }));
    expect(missing).toMatchObject({ type: 'NotFound' });
    expect(missing.message).toContain(world.green);

    // Blue runs 1.33: adopting it as a 1.34 green is a spec error.
    const wrong = await failureOf(runActivity(acts.provisionGreen, { ...base, green: world.blue }));
    expect(wrong).toMatchObject({ type: 'InvalidSpec', nonRetryable: true });

    await runActivity(acts.provisionGreen, { ...base, mode: 'create', migrationId: uniqueName('other'), green: world.green });
    const adopted = await runActivity(acts.provisionGreen, { ...base, green: world.green });
    // Made by another migration: this one did not create it, so cancel must not delete it.
    expect(adopted.result).toEqual({ created: false, status: 'ACTIVE', findings: [] });
  });

  it('picks the add-on version EKS marks default for the target, else the newest compatible', () => {
    const info = {
      addonName: 'vpc-cni',
      addonVersions: [
        { addonVersion: 'v1.20.0', compatibilities: [{ clusterVersion: '1.34', defaultVersion: false }] },
        { addonVersion: 'v1.19.5', compatibilities: [{ clusterVersion: '1.34', defaultVersion: true }, { clusterVersion: '1.33', defaultVersion: false }] },
        { addonVersion: 'v1.18.0', compatibilities: [{ clusterVersion: '1.33', defaultVersion: true }] },
      ],
    };
    expect(addonVersionFor(info, '1.34')).toBe('v1.19.5');
    expect(addonVersionFor({ ...info, addonVersions: info.addonVersions.slice(0, 1) }, '1.34')).toBe('v1.20.0');
    expect(addonVersionFor(info, '1.35')).toBeUndefined();
  });

  it('deletes node groups then the cluster; a retry finds it gone and succeeds', async () => {
    const { world } = await seedWorld();
    const acts = activitiesWith();
    const ref = { region: world.region, cluster: world.blue };
    await runActivity(acts.deleteCluster, ref);
    const described = await failureOf(eks().send(new DescribeClusterCommand({ name: world.blue })));
    expect(described.message).toContain(world.blue);
    await runActivity(acts.deleteCluster, ref);
  });
});
