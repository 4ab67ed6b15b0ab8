// Decommissioning in order: blue out of the routing, its load balancers deleted and gone
// before its node groups and then the cluster, retained volumes reported; a wait for the load
// balancers that runs out holds the migration naming them, and the cluster is never deleted
// under them. With decommission.drain, blue's traffic must read under the threshold before
// anything of blue is deleted; a blue still busy holds the run naming the reading.
import { describe, expect, it } from 'vitest';
import { APPROVERS, atDecommissionGate, baseSpec, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [, bob] = APPROVERS;

const RETAINED = { severity: 'warning' as const, source: 'decommission', message: 'PersistentVolume pv-data of blue prod-blue (reclaimPolicy Retain) outlives blue' };


const ORDER = ['remove-blue-routing', 'report-retained-volumes', 'delete-load-balancers', 'delete-node-groups', 'delete-cluster'];

describe('decommissioning', () => {
  it("deletes blue's load balancers and waits until they are gone, then its node groups, then the cluster; the order is in the status and the audit", async () => {
    const run = await start();
    run.cloud.retainedVolumes = [RETAINED];
    await atDecommissionGate(run);
    await run.approveDecommission();
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });

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
    await run.approveDecommission();
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
    expect(await run.outcome()).toMatchObject({ phase: 'completed' });
    expect(run.cloud.violations).toEqual([]);
    expect(run.cloud.clusters.has('prod-blue')).toBe(false);
    // The retry went on from the step that failed: blue's routing was removed once.
    expect(run.cloud.calls('removeBlueRouting')).toHaveLength(1);
    expect((await run.status()).decommission?.steps.every((s) => s.status === 'done')).toBe(true);
  });

  describe('with a drain check', () => {
    const DRAIN = { prometheus: { server: 'main', query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' }, below: 1, window: '5m', within: '30m' };
    const withDrain = () => ({ ...baseSpec(), decommission: { ...baseSpec().decommission, drain: DRAIN } });
    /** Where in the cloud's log the first call of each activity is. */
    const firstCall = (run: Run, name: Parameters<Run['cloud']['calls']>[0]) => run.cloud.log.indexOf(run.cloud.calls(name)[0]);

    it("reads blue's traffic after its routing is removed and before anything of blue is deleted; the reading is in the status and the audit", async () => {
      const run = await start({ spec: withDrain() });
      run.cloud.blueTraffic = 0.2;
      await atDecommissionGate(run);
      await run.approveDecommission();
      expect(await run.outcome()).toMatchObject({ phase: 'completed' });

      expect(run.cloud.violations).toEqual([]);
      const drainCall = firstCall(run, 'waitBlueDrained');
      expect(firstCall(run, 'removeBlueRouting')).toBeLessThan(drainCall);
      expect(drainCall).toBeLessThan(firstCall(run, 'deleteBlueLoadBalancers'));
      expect(run.cloud.calls('waitBlueDrained')[0].input).toMatchObject({ blue: 'prod-blue', drain: { ...DRAIN, noData: 'fail' } });
      const status = await run.status();
      expect(status.decommission?.steps.map((s) => s.step)).toEqual(['remove-blue-routing', 'drain-check', ...ORDER.slice(1)]);
      expect(status.decommission?.drain).toMatchObject({ drained: true, value: 0.2, below: 1, window: '5m' });
      const entry = (await run.audit()).find((e) => e.action === 'drain-check');
      expect(entry).toMatchObject({ actor: bob, reason: "blue prod-blue's traffic stayed below 1 for 5m", detail: { value: 0.2, below: 1, window: '5m' } });
    });

    it('holds while blue still carries traffic, naming the last reading, and deletes nothing of blue; a retry once blue is idle finishes', async () => {
      const run = await start({ spec: withDrain() });
      run.cloud.blueTraffic = 42;
      await atDecommissionGate(run);
      await run.approveDecommission();
      const held = await run.until((s) => s.phase === 'needs-attention', 'held');

      expect(held.attention?.phase).toBe('decommissioning');
      expect(held.attention?.error).toContain("blue prod-blue's traffic did not stay below 1 for 5m within 30m");
      expect(held.attention?.error).toContain('last reading 42 (42 is not below 1)');
      expect(held.decommission?.steps.slice(0, 3)).toEqual([
        { step: 'remove-blue-routing', status: 'done' },
        { step: 'drain-check', status: 'failed' },
        { step: 'report-retained-volumes', status: 'pending' },
      ]);
      expect(held.decommission?.drain).toMatchObject({ drained: false, value: 42, below: 1, reason: '42 is not below 1' });
      expect(run.cloud.calls('deleteBlueLoadBalancers')).toEqual([]);
      expect(run.cloud.clusters.has('prod-blue')).toBe(true);

      run.cloud.blueTraffic = 0; // the last clients left blue
      await run.retry();
      expect(await run.outcome()).toMatchObject({ phase: 'completed' });
      expect(run.cloud.violations).toEqual([]);
      expect(run.cloud.clusters.has('prod-blue')).toBe(false);
      expect(run.cloud.calls('removeBlueRouting')).toHaveLength(1);
      expect((await run.status()).decommission?.drain).toMatchObject({ drained: true, value: 0 });
    });

    it('holds when the query finds no data: by default no data is not drained', async () => {
      const run = await start({ spec: withDrain() });
      run.cloud.blueTraffic = undefined; // the query finds nothing: more likely a wrong query than an idle blue
      await atDecommissionGate(run);
      await run.approveDecommission();
      const held = await run.until((s) => s.phase === 'needs-attention', 'held');
      expect(held.attention?.error).toContain('last reading none (no data)');
      expect(run.cloud.calls('deleteBlueLoadBalancers')).toEqual([]);
    });
  });
});
