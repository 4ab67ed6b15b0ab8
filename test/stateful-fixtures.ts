// Blue's stateful world for the carry-over tests (spec.stateful): an EBS volume in moto, a
// PersistentVolume and claim on it made pre-bound to each other (the test stack runs no PV
// controller to bind them), and a StatefulSet whose claim template names them.
import { CreateVolumeCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stack } from './helpers.js';

export const motoEc2 = (region: string) => new EC2Client({ endpoint: stack().motoUrl, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

/** One of blue's EBS volumes in moto (10 GiB gp3), encrypted with moto's default key when asked. */
export async function blueEbsVolume(zone: string, encrypted: boolean): Promise<{ id: string; kmsKeyId?: string }> {
  const v = await motoEc2(zone.slice(0, -1)).send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 10, VolumeType: 'gp3', Encrypted: encrypted }));
  return { id: v.VolumeId!, kmsKeyId: v.KmsKeyId };
}

/** Blue's PersistentVolume and claim, made pre-bound to each other (no PV controller runs here). */
export function boundClaim(ns: string, name: string, source: Record<string, unknown>, zone: string): KubernetesObject[] {
  const pv = `${ns}-${name}`;
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pv },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'gp3',
        claimRef: { namespace: ns, name },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.ebs.csi.aws.com/zone', operator: 'In', values: [zone] }] }] } },
        ...source,
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { namespace: ns, name },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } }, volumeName: pv },
    } as KubernetesObject,
  ];
}

export function statefulSet(ns: string, replicas = 3): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { namespace: ns, name: 'db' },
    spec: {
      replicas,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } } }],
    },
  } as KubernetesObject;
}

