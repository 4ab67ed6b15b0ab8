// Decommissioning in order: blue out of the routing, its load balancers deleted and gone
// before its node groups and then the cluster, retained volumes reported; a wait for the load
// balancers that runs out holds the migration naming them, and the cluster is never deleted
// under them.
import { describe, expect, it } from 'vitest';
import { APPROVERS, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice, bob] = APPROVERS;

const RETAINED = { severity: 'warning' as const, source: 'decommission', message: 'PersistentVolume pv-data of blue prod-blue (reclaimPolicy Retain) outlives blue' };

/** Cutover, all steps, bake and freeze: the decommission gate is pending. */
async function atDecommissionGate(run: Run): Promise<void> {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', alice);
  await run.until((s) => s.step?.greenWeight === 20, 'first step');
  await run.settle();
  await run.advance('40m');
  await run.until((s) => s.phase === 'baking', 'baking');
  await run.advance('10 days');
  await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
}

const ORDER = ['remove-blue-routing', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'];

describe('decommissioning', () => {
  it("deletes blue's load balancers and waits until they are gone, then its node groups, then the cluster; the order is in the status and the audit", async () => {
    const run = await start();
    run.cloud.retainedVolumes = [RETAINED];
    await atDecommissionGate(run);
    await run.approve('decommission', bob);
    expect(await run.handle.result()).toMatchObject({ phase: 'completed' });

    expect(run.cloud.violations).toEqual([]);
    expect(run.cloud.mutations().map((m) => m.what).slice(-4)).toEqual(['remove-blue-routing', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster']);
    const status = await run.status();
    expect(status.decommission?.steps).toEqual(ORDER.map((step) => ({ step, status: 'done' })));
    expect(status.findings).toContainEqual(RETAINED);
    const trail = (await run.audit()).filter((e) => ['remove-blue-routing', 'delete-blue-load-balancers', 'delete-node-groups', 'delete-cluster'].includes(e.action));
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['remove-blue-routing', bob],
      ['delete-blue-load-balancers', bob],
      ['delete-node-groups', bob],
      ['delete-cluster', bob],
    ]);
    expect(trail[1].detail).toMatchObject({ deleted: ['Ingress shop/web', 'Service shop/api'] });
    expect(trail[2].detail).toEqual({ nodegroups: ['workers'] });
  });

  it("holds when blue's load balancers are not gone in time, naming them, and keeps the cluster; a retry once they are gone finishes", async () => {
    const run = await start();
    run.cloud.stuckFinalizers = true; // blue's load balancer controller does not let them go
    await atDecommissionGate(run);
    await run.approve('decommission', bob);
    const held = await run.until((s) => s.phase === 'needs-attention', 'held');

    expect(held.attention?.phase).toBe('decommissioning');
    expect(held.attention?.error).toContain('Ingress shop/web (finalizers ingress.k8s.aws/resources)');
    expect(held.attention?.error).toContain('Service shop/api');
    expect(held.decommission?.steps).toEqual([
      { step: 'remove-blue-routing', status: 'done' },
      { step: 'report-retained-volumes', status: 'done' },
      { step: 'delete-load-balancers', status: 'failed' },
      { step: 'delete-node-groups', status: 'pending' },
      { step: 'delete-cluster', status: 'pending' },
    ]);
    expect(run.cloud.clusters.has('prod-blue')).toBe(true);
    expect(run.cloud.nodegroups.size).toBe(1);
    expect(run.cloud.calls('deleteNodegroups')).toEqual([]);

    run.cloud.stuckFinalizers = false; // the controller deleted the load balancers and removed its finalizers
    await run.retry();
    expect(await run.handle.result()).toMatchObject({ phase: 'completed' });
    expect(run.cloud.violations).toEqual([]);
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
    // The retry went on from the step that failed: blue's routing was removed once.
    expect(run.cloud.calls('removeBlueRouting')).toHaveLength(1);
    expect((await run.status()).decommission?.steps.every((s) => s.status === 'done')).toBe(true);
  });
});
