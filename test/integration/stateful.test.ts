// The carry-over of blue's volumes (spec.stateful) against moto's EC2 (blue's EBS volumes,
// the snapshots and green's volumes) and the kube-apiservers (blue's claims and workloads,
// green's PersistentVolumes and claims). The test stack runs no kube-controller-manager, so
// nothing binds a claim or deletes a pod: blue's claims are made pre-bound (claimRef and
// volumeName naming each other, which the inventory reads as bound), green's are checked to be
// made pre-bound to the copies, and the wait for Bound ends in a warning that says so.
import { DescribeSnapshotsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import type { CarriedClaim, StatefulInput } from '../../activities/contract.js';
import { REPLICAS_ANNOTATION } from '../../activities/stateful.js';
import { stack } from '../helpers.js';
import { blueEbsVolume, boundClaim, motoEc2, statefulSet } from '../stateful-fixtures.js';
import { clusterAccess, createAll, failureOf, kubeApi, runActivity, seedWorld, startFaultProxy, uniqueNamespace } from './support.js';

const region = 'us-east-1';
const [zoneA, zoneB] = [`${region}a`, `${region}b`];
const ec2 = () => motoEc2(region);
const blueVolume = (encrypted: boolean) => blueEbsVolume(zoneA, encrypted);

describe('stateful workloads carried over', () => {
  let acts: Activities;
  let ns: string;
  let csi: { id: string; kmsKeyId?: string };
  let inTree: { id: string };
  let input: StatefulInput;
  let blue: string;
  let green: string;

  beforeAll(async () => {
    const w = await seedWorld();
    [blue, green] = [w.world.blue, w.world.green];
    ns = await uniqueNamespace(['blue', 'green'], 'st');
    acts = createActivities({
      aws: createAwsClients({ endpoint: stack().motoUrl }),
      clusters: clusterAccess({ blue, green }),
      clusterChecks: { inventory: { namespaces: [ns] } },
      stateful: { boundWithin: '1s', interval: '100ms' },
    });
    csi = await blueVolume(true);
    inTree = await blueVolume(false);
    await createAll('blue', [
      statefulSet(ns),
      ...boundClaim(ns, 'data-db-0', { csi: { driver: 'ebs.csi.aws.com', volumeHandle: csi.id, fsType: 'xfs' } }, zoneA),
      ...boundClaim(ns, 'legacy', { awsElasticBlockStore: { volumeID: `aws://${zoneA}/${inTree.id}`, fsType: 'ext4' } }, zoneA),
      ...boundClaim(ns, 'shared', { csi: { driver: 'efs.csi.aws.com', volumeHandle: 'fs-0123::fsap-1' } }, zoneA),
    ]);
    input = { migrationId: `migration-${region}-${blue}`, region, blue, green, stateful: { claims: [`${ns}/data-db-0`, `${ns}/legacy`], quiesce: { mode: 'scale-to-zero', workloads: [`${ns}/StatefulSet/db`] }, zones: { [zoneA]: zoneB } } };
  });

  it("reads blue's claims on EBS volumes, CSI and in-tree, with size, zone and encryption; one not on EBS is named with why", async () => {
    const found = await acts.statefulClaims({ ...input, stateful: { ...input.stateful, claims: undefined } });
    const byName = Object.fromEntries(found.claims.map((c) => [c.name, c]));
    expect(byName['data-db-0']).toMatchObject({ volumeId: csi.id, source: 'csi', zone: zoneA, greenZone: zoneB, sizeGiB: 10, volumeType: 'gp3', encrypted: true, kmsKeyId: csi.kmsKeyId, storageClass: 'gp3', request: '10Gi' });
    expect(byName.legacy).toMatchObject({ volumeId: inTree.id, source: 'in-tree', encrypted: false, fsType: 'ext4' });
    expect(found.notCarried).toEqual([{ claim: `${ns}/shared`, reason: expect.stringContaining('CSI driver efs.csi.aws.com, not EBS') }]);
  });

  it('preflight: the claims carried are info, naming volume and zones; the StatefulSet whose claims are carried no longer blocks; what cannot be carried blocks', async () => {
    const { result } = await runActivity(acts.preflight, { region, blue, green, targetVersion: '1.34', mode: 'create', stateful: { quiesce: { mode: 'gate' }, zones: { [zoneA]: zoneB } } });
    const stateful = result.findings.filter((f) => f.source === 'stateful');
    expect(stateful).toEqual(
      expect.arrayContaining([
        { severity: 'info', source: 'stateful', message: `carried over: PersistentVolumeClaim ${ns}/data-db-0 (EBS ${csi.id}, 10 Gi, encrypted, ${zoneA} → ${zoneB})` },
        { severity: 'info', source: 'stateful', message: `StatefulSet ${ns}/db in ${blue}: its 1 PVC is carried over to ${green} (spec.stateful)` },
        { severity: 'blocking', source: 'stateful', message: expect.stringContaining(`cannot be carried over (spec.stateful): PersistentVolumeClaim ${ns}/shared`) },
      ]),
    );
    expect(stateful.filter((f) => f.severity === 'blocking')).toHaveLength(1);

    // Green is made in blue's subnets (us-east-1a and b in this world): a copy mapped elsewhere blocks, naming the zone.
    const uncovered = await runActivity(acts.preflight, { region, blue, green, targetVersion: '1.34', mode: 'create', stateful: { claims: [`${ns}/data-db-0`], quiesce: { mode: 'gate' }, zones: { [zoneA]: `${region}c` } } });
    expect(uncovered.result.findings).toContainEqual({
      severity: 'blocking',
      source: 'stateful',
      message: `the subnets green is created in (blue ${blue}'s) cover ${zoneA}, ${zoneB}, not ${region}c, where the copy of PersistentVolumeClaim ${ns}/data-db-0 would be made: map ${zoneA} to a zone green covers in stateful.zones`,
    });
  });

  it("scales blue's workloads to zero keeping their replicas on them, and restores them", async () => {
    const api = kubeApi('blue');
    const read = async () => (await api.read({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { namespace: ns, name: 'db' } })) as KubernetesObject & { spec: { replicas: number } };
    const workloads = input.stateful.quiesce.mode === 'scale-to-zero' ? input.stateful.quiesce.workloads : [];
    expect((await runActivity(acts.quiesceBlueWorkloads, { ...input, workloads })).result.scaled).toEqual([{ workload: `${ns}/StatefulSet/db`, replicas: 3 }]);
    // A retry keeps the first count, not the 0 it finds.
    expect((await runActivity(acts.quiesceBlueWorkloads, { ...input, workloads })).result.scaled).toEqual([{ workload: `${ns}/StatefulSet/db`, replicas: 3 }]);
    const scaled = await read();
    expect(scaled.spec.replicas).toBe(0);
    expect(scaled.metadata?.annotations?.[REPLICAS_ANNOTATION]).toBe('3');
    expect((await acts.restoreBlueWorkloads({ ...input, workloads })).restored).toEqual([{ workload: `${ns}/StatefulSet/db`, replicas: 3 }]);
    const restored = await read();
    expect(restored.spec.replicas).toBe(3);
    expect(restored.metadata?.annotations?.[REPLICAS_ANNOTATION]).toBeUndefined();
    // Restoring again changes nothing.
    expect((await acts.restoreBlueWorkloads({ ...input, workloads })).restored).toEqual([]);
  });

  it("copies blue's volumes to green: snapshots and volumes tagged and found again on retry, encryption kept, PV and claim made pre-bound in green; the undo deletes green's copies and nothing of blue's", async () => {
    const { claims } = await acts.statefulClaims(input);
    expect(claims.map((c) => c.name).sort()).toEqual(['data-db-0', 'legacy']);
    const volumes = claims.map((c) => ({ claim: `${c.namespace}/${c.name}`, volumeId: c.volumeId }));

    const first = await runActivity(acts.snapshotBlueVolumes, { migrationId: input.migrationId, region, volumes });
    const again = await runActivity(acts.snapshotBlueVolumes, { migrationId: input.migrationId, region, volumes });
    expect(again.result.snapshots).toEqual(first.result.snapshots);
    // One started before blue's writes last stopped is a stale copy of an earlier round: a new one is made.
    const since = new Date(Date.now() + 60_000).toISOString();
    const fresh = await runActivity(acts.snapshotBlueVolumes, { migrationId: input.migrationId, region, volumes: volumes.slice(0, 1), since });
    expect(fresh.result.snapshots[0].snapshotId).not.toBe(first.result.snapshots[0].snapshotId);
    // Progress while they complete, in the heartbeat (the status shows it).
    expect(first.heartbeats).toContainEqual(expect.objectContaining({ snapshots: expect.arrayContaining([expect.objectContaining({ volumeId: csi.id, progress: '100%', state: 'completed' })]) }));
    const snaps = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: first.result.snapshots.map((s) => s.snapshotId) }));
    expect(snaps.Snapshots).toHaveLength(2);
    for (const s of snaps.Snapshots!) expect(s.Tags).toEqual(expect.arrayContaining([{ Key: 'cutover.io/migration', Value: input.migrationId }, { Key: 'cutover.io/carried-from', Value: s.VolumeId }]));

    const copies = claims.map((c) => ({ ...c, claim: `${c.namespace}/${c.name}`, snapshotId: first.result.snapshots.find((s) => s.volumeId === c.volumeId)!.snapshotId }));
    const made = await runActivity(acts.createGreenVolumes, { migrationId: input.migrationId, region, green, copies });
    expect((await runActivity(acts.createGreenVolumes, { migrationId: input.migrationId, region, green, copies })).result).toEqual(made.result);
    const greenIds = made.result.volumes.map((v) => v.greenVolumeId);
    const described = await ec2().send(new DescribeVolumesCommand({ VolumeIds: greenIds }));
    const copyOf = (blueId: string) => described.Volumes!.find((v) => v.Tags?.some((t) => t.Key === 'cutover.io/carried-from' && t.Value === blueId))!;
    expect(copyOf(csi.id)).toMatchObject({ AvailabilityZone: zoneB, Encrypted: true, KmsKeyId: csi.kmsKeyId, Size: 10, VolumeType: 'gp3', State: 'available' });
    expect(copyOf(inTree.id)).toMatchObject({ AvailabilityZone: zoneB, Encrypted: false });

    const bind = claims.map((c): CarriedClaim & { greenVolumeId: string } => ({ ...c, greenVolumeId: made.result.volumes.find((v) => v.volumeId === c.volumeId)!.greenVolumeId }));
    const bound = await runActivity(acts.bindGreenClaims, { ...input, claims: bind });
    // A retry finds its own objects and goes on.
    await runActivity(acts.bindGreenClaims, { ...input, claims: bind });
    const api = kubeApi('green');
    const claim = (await api.read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { namespace: ns, name: 'data-db-0' } })) as KubernetesObject & { spec: Record<string, unknown> };
    const pvName = bound.result.claims.find((c) => c.claim === `${ns}/data-db-0`)!.persistentVolume;
    const pv = (await api.read({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pvName } })) as KubernetesObject & { spec: Record<string, unknown> };
    expect(claim.spec).toMatchObject({ volumeName: pvName, storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } });
    expect(pv.spec).toMatchObject({
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: copyOf(csi.id).VolumeId, fsType: 'xfs' },
      claimRef: { namespace: ns, name: 'data-db-0' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.ebs.csi.aws.com/zone', operator: 'In', values: [zoneB] }] }] } },
    });
    // No PV controller here: pre-bound, and a warning that they are not Bound yet.
    expect(bound.result.findings).toContainEqual(expect.objectContaining({ severity: 'warning', message: expect.stringContaining(`PersistentVolumeClaim ${ns}/data-db-0 in ${green} is Pending, not Bound`) }));

    const undone = await acts.deleteGreenCopies(input);
    expect(undone.deleted).toEqual(expect.arrayContaining([`PersistentVolumeClaim ${ns}/data-db-0 in ${green}`, `PersistentVolume ${pvName} in ${green}`]));
    const left = await ec2().send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:cutover.io/migration', Values: [input.migrationId] }] }));
    expect(left.Volumes).toEqual([]);
    const snapsLeft = await ec2().send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cutover.io/migration', Values: [input.migrationId] }] }));
    expect(snapsLeft.Snapshots).toEqual([]);
    // The claim is gone or going (its protection finalizer is removed by a controller this stack lacks).
    const gone = await api.read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { namespace: ns, name: 'data-db-0' } }).catch((err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
    expect(gone === undefined || !!gone.metadata?.deletionTimestamp).toBe(true);
    // Held by its protection finalizer (as green's pods would hold it): a new round's copy waits
    // for it to go, naming it, instead of taking the earlier claim for its own.
    expect(gone?.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    const nextRound = bind.map((c) => ({ ...c, greenVolumeId: `${c.greenVolumeId}-next` }));
    const waiting = await failureOf(runActivity(acts.bindGreenClaims, { ...input, claims: nextRound }));
    expect(waiting).toMatchObject({ type: 'EarlierCopyInUse', nonRetryable: false });
    expect(waiting.message).toContain(`PersistentVolumeClaim ${ns}/`);
    // Blue's volumes and claims are untouched.
    const blueLeft = await ec2().send(new DescribeVolumesCommand({ VolumeIds: [csi.id, inTree.id] }));
    expect(blueLeft.Volumes!.map((v) => v.VolumeId).sort()).toEqual([csi.id, inTree.id].sort());
    await kubeApi('blue').read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { namespace: ns, name: 'data-db-0' } });
  });

  it('a CreateVolume AWS refuses (a KMS key the role may not use) fails for good, naming the call and the key', async () => {
    const proxy = await startFaultProxy();
    try {
      const refused = createActivities({ aws: createAwsClients({ endpoint: proxy.url }), clusters: clusterAccess({ blue, green }) });
      proxy.inject((c) => c.action === 'CreateVolume', { status: 403, headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to use KMS key alias/data</Message></Error></Errors><RequestID>fault</RequestID></Response>' }, 1);
      const {
        result: { snapshots },
      } = await runActivity(refused.snapshotBlueVolumes, { migrationId: `${input.migrationId}-kms`, region, volumes: [{ claim: `${ns}/data-db-0`, volumeId: csi.id }] });
      const copy = { claim: `${ns}/data-db-0`, volumeId: csi.id, snapshotId: snapshots[0].snapshotId, greenZone: zoneB, encrypted: true, kmsKeyId: 'alias/data' };
      const failure = await failureOf(runActivity(refused.createGreenVolumes, { migrationId: `${input.migrationId}-kms`, region, green, copies: [copy] }));
      expect(failure).toMatchObject({ type: 'AccessDenied', nonRetryable: true });
      expect(failure.message).toContain(`ec2:CreateVolume from ${snapshots[0].snapshotId} in ${zoneB} for ${ns}/data-db-0 (KMS key alias/data)`);
      expect(failure.message).toContain('not authorized to use KMS key alias/data');
      await refused.deleteGreenCopies({ ...input, migrationId: `${input.migrationId}-kms` });
    } finally {
      await proxy.close();
    }
  });
});
