// Stateful workloads carried over (spec.stateful): blue's claims bound to EBS volumes read,
// blue's writes stopped (its named workloads scaled to zero), each volume snapshotted, a volume
// made from each snapshot in green's zone, and a PersistentVolume and claim made in green, bound
// to it. Everything made is tagged or labelled with the migration, so a retry finds it instead of
// making another and the undo (deleteGreenCopies) deletes exactly that. Nothing of blue's is
// ever deleted here: its volumes and PersistentVolumes are only read.
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  type Snapshot,
  type Tag,
  type Volume,
  type VolumeType,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { ApplicationFailure } from '@temporalio/common';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Finding } from '../workflows/model.js';
import { greenZoneFor, workloadRef } from '../workflows/stateful.js';
import type { AwsClients } from './aws.js';
import type {
  BindInput,
  BindResult,
  CarriedClaim,
  GreenCopiesRemoved,
  GreenVolumesInput,
  GreenVolumesResult,
  PreflightInput,
  ScaledWorkload,
  SnapshotsInput,
  SnapshotsResult,
  StatefulClaims,
  StatefulInput,
  WorkloadsInput,
} from './contract.js';
import { awsFailure, FAILURE, notFound } from './errors.js';
import { MIGRATION_TAG } from './green-copy.js';
import { gibibytes, quantityBytes } from './kube-audit.js';
import { describeObject, kubeFailure, listAll, readObject, requireCluster, statusOf, type ClusterAccess, type KubeCluster } from './kubernetes.js';
import { pollUntil, pulse } from './poll.js';

/** Tags on every snapshot and volume the carry-over makes: the migration (MIGRATION_TAG, as on green itself), and the blue volume it copies. */
export const SOURCE_VOLUME_TAG = 'cutover.io/carried-from';
/** Label on green's PersistentVolumes and claims made by the carry-over; the annotation names the migration (IDs outgrow label values). */
export const CARRIED_LABEL = 'cutover.io/carried-over';
/** Blue's replicas before the carry-over scaled a workload to zero: kept on the workload itself, so a lost answer loses nothing. */
export const REPLICAS_ANNOTATION = 'cutover.io/replicas-before-carry-over';

const EBS_CSI = 'ebs.csi.aws.com';
const ZONE_KEYS = ['topology.ebs.csi.aws.com/zone', 'topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

export interface StatefulOptions {
  /** The namespaces audited (tests narrow them); production: every namespace. */
  namespaces?: string[];
  /** How long green's claims are waited for until Bound (default 5m); past it, a warning finding says what they are. */
  boundWithin?: string;
  /** How often snapshots and volumes are looked at while they complete. */
  interval?: string;
}

type Pvc = KubernetesObject & {
  spec?: { volumeName?: string; storageClassName?: string; accessModes?: string[]; volumeMode?: string; resources?: { requests?: { storage?: string } } };
  status?: { phase?: string };
};
type Pv = KubernetesObject & {
  spec?: {
    csi?: { driver?: string; volumeHandle?: string; fsType?: string };
    awsElasticBlockStore?: { volumeID?: string; fsType?: string };
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values?: string[] }[] }[] } };
    [source: string]: unknown;
  };
};

const claimName = (c: { metadata?: { namespace?: string; name?: string } }) => `${c.metadata?.namespace}/${c.metadata?.name}`;
const tagsOf = (migrationId: string, volumeId: string): Tag[] => [
  { Key: MIGRATION_TAG, Value: migrationId },
  { Key: SOURCE_VOLUME_TAG, Value: volumeId },
];

/** The EBS volume a PersistentVolume names, and how; undefined for any other kind of volume (EFS, local, hostPath, NFS…). */
function ebsVolumeOf(pv: Pv): { volumeId: string; source: 'csi' | 'in-tree' } | undefined {
  const csi = pv.spec?.csi;
  if (csi?.driver === EBS_CSI && csi.volumeHandle) return { volumeId: csi.volumeHandle, source: 'csi' };
  // In-tree IDs read aws://<zone>/vol-… or vol-….
  const id = pv.spec?.awsElasticBlockStore?.volumeID;
  if (id) return { volumeId: id.split('/').pop()!, source: 'in-tree' };
  return undefined;
}

/** What kind of volume a PersistentVolume is, to name one that cannot be carried. */
function volumeKind(pv: Pv): string {
  if (pv.spec?.csi?.driver) return `CSI driver ${pv.spec.csi.driver}`;
  const known = ['local', 'hostPath', 'nfs', 'efs', 'iscsi', 'fc', 'cephfs', 'rbd', 'azureDisk', 'gcePersistentDisk'];
  return known.find((k) => pv.spec?.[k] !== undefined) ?? 'not an EBS volume';
}

export function createStatefulActivities(access: ClusterAccess | undefined, aws: AwsClients, opts: StatefulOptions = {}) {
  const ec2 = (region: string) => aws.ec2(region);

  /** Blue's claims the spec names (or every one in the namespaces audited). */
  async function selectedClaims(blue: KubeCluster, input: StatefulInput): Promise<{ claims: Pvc[]; missing: string[] }> {
    const wanted = input.stateful.claims;
    if (!wanted) {
      const claims: Pvc[] = [];
      for (const namespace of opts.namespaces ?? [undefined]) claims.push(...(await listAll<Pvc>(blue, 'v1', 'PersistentVolumeClaim', { namespace })));
      return { claims, missing: [] };
    }
    const claims = new Map<string, Pvc>();
    const missing: string[] = [];
    for (const ref of wanted) {
      if (typeof ref === 'string') {
        const [namespace, name] = ref.split('/');
        const found = await readObject<Pvc>(blue, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name });
        if (found) claims.set(ref, found);
        else missing.push(ref);
      } else {
        const found = await listAll<Pvc>(blue, 'v1', 'PersistentVolumeClaim', { namespace: ref.namespace, labelSelector: ref.selector });
        if (!found.length) missing.push(`${ref.namespace}: ${ref.selector} (no claim matches)`);
        for (const c of found) claims.set(claimName(c), c);
      }
    }
    return { claims: [...claims.values()], missing };
  }

  async function describeVolumes(region: string, ids: string[]): Promise<Map<string, Volume>> {
    if (!ids.length) return new Map();
    const out = await ec2(region)
      .send(new DescribeVolumesCommand({ VolumeIds: ids }))
      .catch((err) => {
        throw awsFailure(err, `ec2:DescribeVolumes ${ids.join(', ')}`);
      });
    return new Map((out.Volumes ?? []).map((v) => [v.VolumeId!, v]));
  }

  /** Blue's claims bound to EBS volumes, with each volume's size, zone, type and encryption; the rest named with why they cannot be carried. */
  async function statefulClaims(input: StatefulInput): Promise<StatefulClaims> {
    const blue = await requireCluster(access, input.blue, input.region, input.blueContext);
    const { claims, missing } = await selectedClaims(blue, input);
    const notCarried = missing.map((claim) => ({ claim, reason: `not found in blue ${input.blue}` }));
    const carriedBound: { claim: Pvc; pv: Pv; ebs: { volumeId: string; source: 'csi' | 'in-tree' } }[] = [];
    for (const claim of claims) {
      const name = claimName(claim);
      const pvName = claim.spec?.volumeName;
      const pv = pvName ? await readObject<Pv>(blue, { apiVersion: 'v1', kind: 'PersistentVolume', name: pvName }) : undefined;
      // Bound: as the PV controller reports it, or both sides naming each other (pre-bound).
      const claimRef = pv?.spec?.claimRef as { namespace?: string; name?: string } | undefined;
      const bound = claim.status?.phase === 'Bound' || (claimRef?.namespace === claim.metadata?.namespace && claimRef?.name === claim.metadata?.name);
      if (!pvName || (pv && !bound)) {
        notCarried.push({ claim: name, reason: `not bound to a volume (phase ${claim.status?.phase ?? 'unknown'}): nothing to copy` });
        continue;
      }
      const ebs = pv && ebsVolumeOf(pv);
      if (!pv || !ebs) {
        notCarried.push({ claim: name, reason: pv ? `its PersistentVolume ${pvName} is ${volumeKind(pv)}, not EBS: move its data another way (the app's replication, a backup restore)` : `its PersistentVolume ${pvName} is not found` });
        continue;
      }
      carriedBound.push({ claim, pv, ebs });
    }
    const volumes = await describeVolumes(input.region, carriedBound.map((b) => b.ebs.volumeId));
    const carried: CarriedClaim[] = [];
    for (const { claim, pv, ebs } of carriedBound) {
      const volume = volumes.get(ebs.volumeId);
      if (!volume) {
        notCarried.push({ claim: claimName(claim), reason: `its EBS volume ${ebs.volumeId} is not found in ${input.region}` });
        continue;
      }
      const affinityZone = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.flatMap((t) => t.matchExpressions ?? []).find((e) => ZONE_KEYS.includes(e.key))?.values?.[0];
      const zone = volume.AvailabilityZone ?? affinityZone!;
      carried.push({
        namespace: claim.metadata!.namespace!,
        name: claim.metadata!.name!,
        ...(claim.spec?.storageClassName && { storageClass: claim.spec.storageClassName }),
        request: claim.spec?.resources?.requests?.storage ?? `${volume.Size}Gi`,
        accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
        ...(claim.spec?.volumeMode && { volumeMode: claim.spec.volumeMode }),
        ...((pv.spec?.csi?.fsType ?? pv.spec?.awsElasticBlockStore?.fsType) && { fsType: pv.spec?.csi?.fsType ?? pv.spec?.awsElasticBlockStore?.fsType }),
        blueVolume: pv.metadata!.name!,
        volumeId: ebs.volumeId,
        source: ebs.source,
        zone,
        greenZone: greenZoneFor(input.stateful, zone),
        sizeGiB: volume.Size ?? Math.ceil(quantityBytes(claim.spec?.resources?.requests?.storage) / 2 ** 30),
        ...(volume.VolumeType && { volumeType: volume.VolumeType }),
        ...(volume.Iops !== undefined && { iops: volume.Iops }),
        ...(volume.Throughput !== undefined && { throughput: volume.Throughput }),
        encrypted: !!volume.Encrypted,
        ...(volume.KmsKeyId && { kmsKeyId: volume.KmsKeyId }),
      });
    }
    return { claims: carried, notCarried };
  }

  /** A workload of blue, read; NotFound when the spec names one blue does not have. */
  async function workload(blue: KubeCluster, ref: string): Promise<KubernetesObject & { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } } }> {
    const { namespace, kind, name } = workloadRef(ref);
    const found = await readObject<KubernetesObject & { spec?: { replicas?: number } }>(blue, { apiVersion: 'apps/v1', kind, namespace, name });
    if (!found) throw notFound(`${kind} ${namespace}/${name} (stateful.quiesce.workloads) is not found in blue ${blue.name}`);
    return found;
  }

  async function patchWorkload(blue: KubeCluster, ref: string, patch: { replicas: number; annotation: string | null }): Promise<void> {
    const { namespace, kind, name } = workloadRef(ref);
    const body = { apiVersion: 'apps/v1', kind, metadata: { namespace, name, annotations: { [REPLICAS_ANNOTATION]: patch.annotation } }, spec: { replicas: patch.replicas } };
    await blue.objects.patch(body as KubernetesObject, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
      throw kubeFailure(err, `scaling ${kind} ${namespace}/${name} in ${blue.name} to ${patch.replicas}`);
    });
  }

  /**
   * The zones green's nodes can run in: its subnets' (adopt), or blue's, which green is
   * created from (create). Undefined, with why, when they cannot be read.
   */
  async function greenZones(input: PreflightInput): Promise<{ cluster: string; zones?: string[]; unread?: string }> {
    const adopt = input.mode === 'adopt';
    const cluster = adopt ? input.green : input.blue;
    if ((adopt ? input.greenContext : input.blueContext)?.eks === false) return { cluster, unread: `${cluster} is outside EKS` };
    try {
      const described = await aws.eks(input.region).send(new DescribeClusterCommand({ name: cluster }));
      const SubnetIds = described.cluster?.resourcesVpcConfig?.subnetIds ?? [];
      if (!SubnetIds.length) return { cluster, unread: `${cluster} names no subnets` };
      const subnets = await ec2(input.region).send(new DescribeSubnetsCommand({ SubnetIds }));
      return { cluster, zones: [...new Set((subnets.Subnets ?? []).map((sub) => sub.AvailabilityZone!).filter(Boolean))].sort() };
    } catch (err) {
      return { cluster, unread: (err as Error).message };
    }
  }

  /**
   * Preflight's view with spec.stateful: each claim carried as an info finding naming its
   * volume and zones, each that cannot be carried as a blocking one saying why; `carried` lets
   * the stateful scan leave the carried claims out.
   */
  async function carryFindings(input: PreflightInput): Promise<{ findings: Finding[]; carried: Set<string>; named: Set<string> }> {
    const source = 'stateful';
    try {
      const found = await statefulClaims({ migrationId: '', region: input.region, blue: input.blue, green: input.green, stateful: input.stateful!, blueContext: input.blueContext });
      const zones = found.claims.length ? await greenZones(input) : undefined;
      const where = input.mode === 'adopt' ? `green ${zones?.cluster}'s subnets` : `the subnets green is created in (blue ${zones?.cluster}'s)`;
      const zoneFindings: Finding[] = !zones
        ? []
        : zones.zones
          ? found.claims
              .filter((c) => !zones.zones!.includes(c.greenZone))
              .map((c) => ({
                severity: 'blocking',
                source,
                message: `${where} cover ${zones.zones!.join(', ')}, not ${c.greenZone}, where the copy of PersistentVolumeClaim ${c.namespace}/${c.name} would be made: map ${c.zone} to a zone green covers in stateful.zones`,
              }))
          : [{ severity: 'warning', source, message: `green's zones could not be read (${zones.unread}): the copies go to ${[...new Set(found.claims.map((c) => c.greenZone))].join(', ')}; make sure green has nodes there, or map the zones in stateful.zones` }];
      return {
        carried: new Set(found.claims.map((c) => `${c.namespace}/${c.name}`)),
        named: new Set([...found.claims.map((c) => `${c.namespace}/${c.name}`), ...found.notCarried.map((n) => n.claim)]),
        findings: [
          ...found.claims.map((c): Finding => ({ severity: 'info', source, message: `carried over: ${describeCarried(c)}` })),
          ...found.notCarried.map((n): Finding => ({ severity: 'blocking', source, message: `cannot be carried over (spec.stateful): PersistentVolumeClaim ${n.claim}: ${n.reason}` })),
          ...zoneFindings,
        ],
      };
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== FAILURE.accessDenied && type !== FAILURE.notFound) throw err;
      return { carried: new Set(), named: new Set(), findings: [{ severity: 'blocking', source, message: `inventory of blue ${input.blue}'s claims to carry over could not run: ${(err as Error).message}` }] };
    }
  }

  return { carryFindings, activities: {
    statefulClaims,

    /**
     * Blue's named workloads scaled to zero, each one's replicas kept in an annotation first (a
     * retry keeps the first count), then a wait until their pods are gone.
     */
    async quiesceBlueWorkloads(input: WorkloadsInput): Promise<{ scaled: ScaledWorkload[] }> {
      const blue = await requireCluster(access, input.blue, input.region, input.blueContext);
      const scaled: ScaledWorkload[] = [];
      const selectors: { ref: string; namespace: string; labels: string }[] = [];
      for (const ref of input.workloads) {
        const obj = await workload(blue, ref);
        const kept = obj.metadata?.annotations?.[REPLICAS_ANNOTATION];
        const replicas = kept !== undefined ? Number(kept) : (obj.spec?.replicas ?? 1);
        await patchWorkload(blue, ref, { replicas: 0, annotation: String(replicas) });
        scaled.push({ workload: ref, replicas });
        const labels = Object.entries(obj.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        if (labels) selectors.push({ ref, namespace: workloadRef(ref).namespace, labels });
      }
      await pollUntil(
        async (round) => {
          const left: string[] = [];
          for (const s of selectors) {
            const pods = await listAll(blue, 'v1', 'Pod', { namespace: s.namespace, labelSelector: s.labels });
            left.push(...pods.map((p) => `${s.ref}: pod ${p.metadata?.name}`));
          }
          round.progress = { podsLeft: left.slice(0, 20) };
          return left.length === 0;
        },
        { describe: `pods of ${input.workloads.join(', ')} gone in blue ${input.blue}`, interval: opts.interval ?? '2s' },
      );
      return { scaled };
    },

    /** Blue's workloads back at the replicas they had before the carry-over (from their annotation); one never scaled is left alone. */
    async restoreBlueWorkloads(input: WorkloadsInput): Promise<{ restored: ScaledWorkload[] }> {
      const blue = await requireCluster(access, input.blue, input.region, input.blueContext);
      const restored: ScaledWorkload[] = [];
      for (const ref of input.workloads) {
        const { namespace, kind, name } = workloadRef(ref);
        const obj = await readObject<KubernetesObject>(blue, { apiVersion: 'apps/v1', kind, namespace, name });
        const kept = obj?.metadata?.annotations?.[REPLICAS_ANNOTATION];
        if (kept === undefined) continue;
        await patchWorkload(blue, ref, { replicas: Number(kept), annotation: null });
        restored.push({ workload: ref, replicas: Number(kept) });
      }
      return { restored };
    },

    /**
     * A snapshot of each volume, found by its tags when a previous attempt made it; then a wait
     * until all are completed, their progress in the heartbeat (the status shows it).
     */
    async snapshotBlueVolumes(input: SnapshotsInput): Promise<SnapshotsResult> {
      const client = ec2(input.region);
      const snapshots: SnapshotsResult['snapshots'] = [];
      for (const { claim, volumeId } of input.volumes) {
        const existing = await findTagged<Snapshot>(input, volumeId, 'snapshot', (s) => !input.since || (s.StartTime?.getTime() ?? 0) >= Date.parse(input.since));
        let snapshotId = existing?.SnapshotId;
        if (!snapshotId) {
          const made = await client
            .send(
              new CreateSnapshotCommand({
                VolumeId: volumeId,
                Description: `${input.migrationId}: ${claim} carried to green`,
                TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagsOf(input.migrationId, volumeId) }],
              }),
            )
            .catch((err) => {
              throw awsFailure(err, `ec2:CreateSnapshot of ${volumeId} (${claim})`);
            });
          snapshotId = made.SnapshotId!;
        }
        snapshots.push({ claim, volumeId, snapshotId });
      }
      await pollUntil(
        async (round) => {
          const out = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshots.map((s) => s.snapshotId) })).catch((err) => {
            throw awsFailure(err, `ec2:DescribeSnapshots ${snapshots.map((s) => s.snapshotId).join(', ')}`);
          });
          const failed = (out.Snapshots ?? []).find((s) => s.State === 'error');
          if (failed) throw awsFailure(Object.assign(new Error(failed.StateMessage ?? 'state error'), { name: 'SnapshotFailed' }), `snapshot ${failed.SnapshotId} of ${failed.VolumeId}`);
          const progress = snapshots.map((s) => {
            const seen = out.Snapshots?.find((x) => x.SnapshotId === s.snapshotId);
            return { claim: s.claim, volumeId: s.volumeId, snapshotId: s.snapshotId, progress: seen?.Progress ?? '0%', state: seen?.State ?? 'pending' };
          });
          round.progress = { snapshots: progress };
          return progress.every((p) => p.state === 'completed');
        },
        { describe: `EBS snapshots of ${snapshots.length} volume(s) completed`, interval: opts.interval ?? '5s' },
      );
      return { snapshots };
    },

    /** A volume from each snapshot in green's zone (encryption and KMS key kept), found by its tags when made before; then a wait until available. */
    async createGreenVolumes(input: GreenVolumesInput): Promise<GreenVolumesResult> {
      const client = ec2(input.region);
      const volumes: GreenVolumesResult['volumes'] = [];
      for (const copy of input.copies) {
        // A copy made from another snapshot (an earlier round) is stale: never reused.
        const existing = await findTagged<Volume>(input, copy.volumeId, 'volume', (v) => v.SnapshotId === copy.snapshotId);
        let greenVolumeId = existing?.VolumeId;
        if (!greenVolumeId) {
          const made = await client
            .send(
              new CreateVolumeCommand({
                SnapshotId: copy.snapshotId,
                AvailabilityZone: copy.greenZone,
                ...(copy.volumeType && { VolumeType: copy.volumeType as VolumeType }),
                // Provisioned IOPS and throughput only where the type takes them.
                ...(copy.iops !== undefined && ['io1', 'io2', 'gp3'].includes(copy.volumeType ?? '') && { Iops: copy.iops }),
                ...(copy.throughput !== undefined && copy.volumeType === 'gp3' && { Throughput: copy.throughput }),
                ...(copy.encrypted && { Encrypted: true, ...(copy.kmsKeyId && { KmsKeyId: copy.kmsKeyId }) }),
                TagSpecifications: [{ ResourceType: 'volume', Tags: [...tagsOf(input.migrationId, copy.volumeId), { Key: 'Name', Value: `${copy.claim} (green ${input.green})` }] }],
              }),
            )
            .catch((err) => {
              throw awsFailure(err, `ec2:CreateVolume from ${copy.snapshotId} in ${copy.greenZone} for ${copy.claim}${copy.kmsKeyId ? ` (KMS key ${copy.kmsKeyId})` : ''}`);
            });
          greenVolumeId = made.VolumeId!;
        }
        volumes.push({ claim: copy.claim, volumeId: copy.volumeId, greenVolumeId });
      }
      await pollUntil(
        async (round) => {
          const seen = await describeVolumes(input.region, volumes.map((v) => v.greenVolumeId));
          const states = volumes.map((v) => ({ claim: v.claim, volumeId: v.greenVolumeId, state: seen.get(v.greenVolumeId)?.State ?? 'creating' }));
          const failed = states.find((s) => s.state === 'error');
          if (failed) throw awsFailure(Object.assign(new Error('volume state error'), { name: 'VolumeFailed' }), `green volume ${failed.volumeId} for ${failed.claim}`);
          round.progress = { volumes: states };
          return states.every((s) => s.state === 'available' || s.state === 'in-use');
        },
        { describe: `green's volumes from the snapshots available`, interval: opts.interval ?? '2s' },
      );
      return { volumes };
    },

    /**
     * Each claim in green: a PersistentVolume of the EBS CSI driver on the new volume, pinned to
     * its zone, and the claim (same namespace, name, class and size), made pre-bound to each other
     * (claimRef and volumeName), so green's PV controller binds exactly these two; then a wait
     * until Bound (a cluster without a PV controller never binds: a warning says so).
     */
    async bindGreenClaims(input: BindInput): Promise<BindResult> {
      const green = await requireCluster(access, input.green, input.region, input.greenContext);
      const labels = { [CARRIED_LABEL]: 'true' };
      const annotations = { [MIGRATION_TAG]: input.migrationId };
      const out: BindResult['claims'] = [];
      for (const c of input.claims) {
        const pvName = `cutover-${c.greenVolumeId}`;
        const pv = {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: pvName, labels, annotations: { ...annotations, [SOURCE_VOLUME_TAG]: c.volumeId } },
          spec: {
            capacity: { storage: `${c.sizeGiB}Gi` },
            accessModes: c.accessModes,
            ...(c.volumeMode && { volumeMode: c.volumeMode }),
            // Green's copy goes with its claim: the CSI driver deletes the volume once it is released.
            persistentVolumeReclaimPolicy: 'Delete',
            ...(c.storageClass && { storageClassName: c.storageClass }),
            csi: { driver: EBS_CSI, volumeHandle: c.greenVolumeId, fsType: c.fsType ?? 'ext4' },
            claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: c.namespace, name: c.name },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.ebs.csi.aws.com/zone', operator: 'In', values: [c.greenZone] }] }] } },
          },
        };
        const pvc = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { namespace: c.namespace, name: c.name, labels, annotations },
          spec: {
            accessModes: c.accessModes,
            ...(c.volumeMode && { volumeMode: c.volumeMode }),
            storageClassName: c.storageClass ?? '',
            resources: { requests: { storage: c.request } },
            volumeName: pvName,
          },
        };
        await createOnce(green, pv, input.migrationId);
        await createOnce(green, pvc, input.migrationId);
        out.push({ claim: `${c.namespace}/${c.name}`, persistentVolume: pvName, phase: 'Pending' });
      }
      const findings: Finding[] = [];
      try {
        await pollUntil(
          async (round) => {
            for (const o of out) {
              const [namespace, name] = o.claim.split('/');
              const claim = await readObject<Pvc>(green, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name });
              o.phase = claim?.status?.phase ?? 'Pending';
            }
            round.progress = { claims: out };
            return out.every((o) => o.phase === 'Bound');
          },
          { describe: `green's claims Bound in ${input.green}`, interval: opts.interval ?? '2s', timeout: opts.boundWithin ?? '5m' },
        );
      } catch (err) {
        if ((err as { type?: string }).type !== 'WaitTimedOut') throw err;
        for (const o of out.filter((x) => x.phase !== 'Bound')) {
          findings.push({
            severity: 'warning',
            source: 'stateful',
            message: `PersistentVolumeClaim ${o.claim} in ${input.green} is ${o.phase}, not Bound, within ${opts.boundWithin ?? '5m'}: it is made pre-bound to PersistentVolume ${o.persistentVolume}; check green's kube-controller-manager and EBS CSI driver`,
          });
        }
      }
      return { claims: out, findings };
    },

    /**
     * The undo: green's claims and PersistentVolumes made by this migration deleted, then its
     * volumes (once detached) and snapshots. Only what carries this migration's tag or label and
     * annotation: blue's volumes never carry them.
     */
    async deleteGreenCopies(input: StatefulInput): Promise<GreenCopiesRemoved> {
      const deleted: string[] = [];
      const findings: Finding[] = [];
      const green = await access?.connect(input.green, input.region, input.greenContext);
      if (green) {
        for (const kind of ['PersistentVolumeClaim', 'PersistentVolume']) {
          const objects = await listAll(green, 'v1', kind, { labelSelector: `${CARRIED_LABEL}=true` });
          for (const o of objects.filter((x) => x.metadata?.annotations?.[MIGRATION_TAG] === input.migrationId)) {
            const named = describeObject({ kind, namespace: o.metadata?.namespace, name: o.metadata?.name });
            await green.objects.delete({ apiVersion: 'v1', kind, metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace } }).catch((err) => {
              if (statusOf(err) !== 404) throw kubeFailure(err, `deleting ${named} in ${input.green}`);
            });
            deleted.push(`${named} in ${input.green}`);
          }
        }
      } else {
        findings.push({ severity: 'warning', source: 'stateful', message: `no API access to ${input.green} configured on this worker: its carried claims and PersistentVolumes (label ${CARRIED_LABEL}=true) are left` });
      }
      const client = ec2(input.region);
      const filters = [{ Name: `tag:${MIGRATION_TAG}`, Values: [input.migrationId] }, { Name: `tag-key`, Values: [SOURCE_VOLUME_TAG] }];
      const volumes = await client.send(new DescribeVolumesCommand({ Filters: filters })).catch((err) => {
        throw awsFailure(err, `ec2:DescribeVolumes tagged ${MIGRATION_TAG}=${input.migrationId}`);
      });
      for (const v of volumes.Volumes ?? []) {
        const source = v.Tags?.find((t) => t.Key === SOURCE_VOLUME_TAG)?.Value;
        if (v.VolumeId === source) continue; // never blue's own volume, whatever its tags say
        if (v.State === 'in-use') {
          findings.push({ severity: 'warning', source: 'stateful', message: `green's copy ${v.VolumeId} of ${source} is still attached (a pod in green uses it): its claim is deleted, and the EBS CSI driver deletes the volume once it is released; else delete it by hand` });
          continue;
        }
        await client.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId })).catch((err) => {
          if ((err as { name?: string }).name !== 'InvalidVolume.NotFound') throw awsFailure(err, `ec2:DeleteVolume ${v.VolumeId} (green's copy of ${source})`);
        });
        deleted.push(`EBS volume ${v.VolumeId} (copy of ${source})`);
      }
      const snapshots = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters })).catch((err) => {
        throw awsFailure(err, `ec2:DescribeSnapshots tagged ${MIGRATION_TAG}=${input.migrationId}`);
      });
      for (const s of snapshots.Snapshots ?? []) {
        await client.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId })).catch((err) => {
          if ((err as { name?: string }).name !== 'InvalidSnapshot.NotFound') throw awsFailure(err, `ec2:DeleteSnapshot ${s.SnapshotId} (of ${s.VolumeId})`);
        });
        deleted.push(`EBS snapshot ${s.SnapshotId} (of ${s.VolumeId})`);
      }
      pulse({ deleted: deleted.length });
      return { deleted, findings };
    },
  } };

  /** The snapshot or volume this migration made from `volumeId` before, by its tags (not one in error or being deleted). */
  async function findTagged<T extends Snapshot | Volume>(input: { migrationId: string; region: string }, volumeId: string, what: 'snapshot' | 'volume', current: (found: T) => boolean): Promise<T | undefined> {
    const Filters = [
      { Name: `tag:${MIGRATION_TAG}`, Values: [input.migrationId] },
      { Name: `tag:${SOURCE_VOLUME_TAG}`, Values: [volumeId] },
    ];
    const client = ec2(input.region);
    if (what === 'snapshot') {
      const out = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters })).catch((err) => {
        throw awsFailure(err, `ec2:DescribeSnapshots of ${volumeId} tagged ${MIGRATION_TAG}`);
      });
      return (out.Snapshots as T[] | undefined)?.find((s) => (s as Snapshot).State !== 'error' && current(s));
    }
    const out = await client.send(new DescribeVolumesCommand({ Filters })).catch((err) => {
      throw awsFailure(err, `ec2:DescribeVolumes copies of ${volumeId} tagged ${MIGRATION_TAG}`);
    });
    return (out.Volumes as T[] | undefined)?.find((v) => !['error', 'deleting', 'deleted'].includes((v as Volume).State ?? '') && current(v));
  }
}

/** Creates `body` in `cluster`; one already there made by this migration is kept (a retry), one made by anyone else is a failure naming it. */
async function createOnce(cluster: KubeCluster, body: KubernetesObject, migrationId: string): Promise<void> {
  const named = describeObject({ kind: body.kind, namespace: body.metadata?.namespace, name: body.metadata?.name });
  try {
    await cluster.objects.create(body);
  } catch (err) {
    if (statusOf(err) !== 409) throw kubeFailure(err, `creating ${named} in ${cluster.name}`);
    const existing = await readObject<KubernetesObject & { spec?: { volumeName?: string } }>(cluster, {
      apiVersion: body.apiVersion!,
      kind: body.kind!,
      namespace: body.metadata?.namespace,
      name: body.metadata!.name!,
    });
    if (existing?.metadata?.annotations?.[MIGRATION_TAG] !== migrationId) {
      throw kubeFailure(Object.assign(new Error(`${named} already exists in ${cluster.name} and was not made by this migration: delete or rename it, then retry`), { code: 400 }), `creating ${named}`);
    }
    // An earlier round's copy (undone by a rollback) that green's pods still hold is not this
    // round's: wait until it is gone, saying what holds it (each retry shows in the status).
    const wanted = (body as { spec?: { volumeName?: string } }).spec?.volumeName;
    if (existing.metadata.deletionTimestamp || (wanted && existing.spec?.volumeName !== wanted)) {
      throw ApplicationFailure.retryable(
        `${named} in ${cluster.name} is an earlier copy being deleted, held by the pods in green that use it: scale green's workload using it to zero (or delete those pods) so this copy can be made`,
        'EarlierCopyInUse',
      );
    }
  }
}

/** A carried claim in a line, for findings and the status: "PVC shop/data (EBS vol-…, 10 Gi, eu-west-1a → eu-west-1b)". */
export function describeCarried(c: CarriedClaim): string {
  return `PersistentVolumeClaim ${c.namespace}/${c.name} (EBS ${c.volumeId}, ${gibibytes(c.sizeGiB * 2 ** 30)}${c.encrypted ? ', encrypted' : ''}, ${c.zone} → ${c.greenZone})`;
}
