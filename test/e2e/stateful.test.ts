// REST → workflow → real activities: a migration whose spec carries a StatefulSet's volume
// over (spec.stateful), checked where things live — blue's StatefulSet in blue's apiserver,
// the EBS snapshot and green's volume in moto, green's PersistentVolume and claim in green's
// apiserver — and a rollback over REST that scales blue back and deletes green's copies.
import http from 'node:http';
import { DescribeSnapshotsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, eventually, seededSpec, stack, startHarness, type Harness } from '../helpers.js';
import { clusterAccess, createAll, kubeApi, uniqueNamespace } from '../integration/support.js';
import { blueEbsVolume, boundClaim, motoEc2, statefulSet } from '../stateful-fixtures.js';

let harness: Harness;
let greenLb: http.Server;
let spec: MigrationSpec;
let ns: string;
let blueVolume: { id: string; kmsKeyId?: string };
const region = 'us-east-1';

beforeAll(async () => {
  greenLb = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => greenLb.listen(0, '127.0.0.1', r));
  const seeded = await seededSpec({ traffic: { observe: '1h' }, health: { smoke: [{ url: `http://127.0.0.1:${(greenLb.address() as { port: number }).port}/`, expectStatus: 200 }], interval: '1s' } });
  ns = await uniqueNamespace(['blue', 'green'], 'carry');
  blueVolume = await blueEbsVolume(`${region}a`, true);
  await createAll('blue', [statefulSet(ns, 2), ...boundClaim(ns, 'data-db-0', { csi: { driver: 'ebs.csi.aws.com', volumeHandle: blueVolume.id } }, `${region}a`)]);
  spec = { ...seeded.spec, stateful: { quiesce: { mode: 'scale-to-zero', workloads: [`${ns}/StatefulSet/db`] }, zones: { [`${region}a`]: `${region}b` } } };
  harness = await startHarness(
    createActivities({
      aws: createAwsClients({ endpoint: stack().motoUrl }),
      clusters: clusterAccess(seeded.w.world),
      clusterChecks: { inventory: { namespaces: [ns] } },
      // No PV controller in the test stack: green's claims are made pre-bound; the wait for Bound is short.
      stateful: { boundWithin: '1s', interval: '200ms' },
    }),
  );
});
afterAll(async () => {
  await harness?.close();
  greenLb?.close();
});

const replicas = async () => ((await kubeApi('blue').read({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { namespace: ns, name: 'db' } })) as KubernetesObject & { spec: { replicas: number } }).spec.replicas;
const tagged = (id: string) => [{ Name: 'tag:cutover.io/migration', Values: [id] }];

describe("a migration over REST carrying a StatefulSet's volume", () => {
  it("plans the carry-over, copies blue's volume to green before validation, and a rollback scales blue back and deletes green's copies", async () => {
    const planned = await harness.app.inject({ method: 'POST', url: '/v1/plans', headers: auth('dev-viewer'), payload: spec });
    expect(planned.statusCode, planned.body).toBe(200);
    expect(planned.json().plan.stateful).toMatchObject({ phase: 'validating', zones: { [`${region}a`]: `${region}b` } });

    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());

    const atCutover = await eventually(status, (s) => s.pendingGate?.gate === 'cutover' || s.phase === 'needs-attention' || s.phase === 'rolled-back');
    expect(atCutover.pendingGate?.gate, JSON.stringify(atCutover.attention ?? atCutover.error)).toBe('cutover');
    expect(atCutover.findings).toContainEqual({
      severity: 'info',
      source: 'stateful',
      message: `carried over: PersistentVolumeClaim ${ns}/data-db-0 (EBS ${blueVolume.id}, 10 Gi, encrypted, ${region}a → ${region}b)`,
    });
    expect(atCutover.stateful).toMatchObject({ step: 'done', scaled: [{ workload: `${ns}/StatefulSet/db`, replicas: 2 }] });
    const [carried] = atCutover.stateful.claims;
    expect(carried).toMatchObject({ claim: `${ns}/data-db-0`, volumeId: blueVolume.id, zone: `${region}a`, greenZone: `${region}b`, encrypted: true });

    // In the world: blue scaled to zero, the snapshot and green's volume in moto, green's PV and claim pre-bound.
    expect(await replicas()).toBe(0);
    const ec2 = motoEc2(region);
    const copy = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [carried.greenVolumeId] }))).Volumes![0];
    expect(copy).toMatchObject({ AvailabilityZone: `${region}b`, Encrypted: true, KmsKeyId: blueVolume.kmsKeyId, SnapshotId: carried.snapshotId });
    const claim = (await kubeApi('green').read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { namespace: ns, name: 'data-db-0' } })) as KubernetesObject & { spec: { volumeName: string } };
    expect(claim.spec.volumeName).toBe(carried.persistentVolume);
    const pv = (await kubeApi('green').read({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: carried.persistentVolume } })) as KubernetesObject & { spec: { csi: { volumeHandle: string } } };
    expect(pv.spec.csi.volumeHandle).toBe(carried.greenVolumeId);
    const audit = atCutover.audit.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['scale-blue-workloads', 'snapshot-blue-volumes', 'create-green-volumes', 'create-green-claims']));

    const approved = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });
    expect(approved.statusCode, approved.body).toBe(200);
    await eventually(status, (s) => s.weights.green === 20);
    const rollback = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/rollback?wait=true`, headers: auth('dev-operator'), payload: { reason: 'orders look wrong' } });
    expect(rollback.statusCode, rollback.body).toBe(200);

    // Blue back at its replicas; green's copies gone from moto; blue's volume untouched.
    const undone = await eventually(status, (s) => s.phase === 'rolled-back' && s.stateful === undefined);
    expect(undone.audit.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['restore-blue-workloads', 'delete-green-copies']));
    expect(await replicas()).toBe(2);
    expect((await ec2.send(new DescribeVolumesCommand({ Filters: tagged(id) }))).Volumes).toEqual([]);
    expect((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagged(id) }))).Snapshots).toEqual([]);
    expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [blueVolume.id] }))).Volumes).toHaveLength(1);

    const aborted = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/abort`, headers: auth('dev-operator'), payload: {} });
    expect(aborted.statusCode, aborted.body).toBe(200);
  });
});
