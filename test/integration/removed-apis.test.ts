// Preflight's removed-API scan and stateful-workload scan against a real kube-apiserver (1.34,
// which serves only current APIs): old apiVersions are written the way clusters carry them —
// in managedFields (server-side apply, Flux, Argo CD: here a CRD's old, still served version) — and a team's CRD rows come from the
// file CUTOVER_REMOVED_APIS_FILE names. Each test works in a namespace of its own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { userRowsFromEnv, type ApiLifecycle } from '../../activities/removed-apis.js';
import type { Finding } from '../../workflows/model.js';
import { stack } from '../helpers.js';
import { clusterAccess, createAll, installCrd, seedWorld, uniqueNamespace } from './support.js';

async function preflightOf(ns: string, targetVersion: string, removedApis?: ApiLifecycle[]): Promise<Finding[]> {
  const w = await seedWorld();
  const acts = createActivities({
    aws: createAwsClients({ endpoint: stack().motoUrl }),
    clusters: clusterAccess({ blue: w.world.blue, green: w.world.green }),
    clusterChecks: { inventory: { namespaces: [ns] }, removedApis },
  });
  const { findings } = await acts.preflight({ region: w.world.region, blue: w.world.blue, green: w.world.green, targetVersion, mode: 'create' });
  return findings.filter((f) => f.source === 'removed-apis' || f.source === 'stateful');
}

const userFile = (content: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-apis-')), 'removed-apis.yaml');
  writeFileSync(file, content);
  return file;
};

describe('removed-API scan: managedFields and the user file', () => {
  it("merges a team's rows for its CRDs from CUTOVER_REMOVED_APIS_FILE: an object written through the old version blocks", async () => {
    const ns = await uniqueNamespace(['blue'], 'crd');
    await installCrd('blue', 'gadget-crd.yaml');
    // Written through the old version, which the CRD still serves: its managedFields record it.
    await createAll('blue', [{ apiVersion: 'example.cutover.io/v1alpha1', kind: 'Gadget', metadata: { name: 'old', namespace: ns }, spec: { size: 1 } } as KubernetesObject]);
    await createAll('blue', [{ apiVersion: 'example.cutover.io/v1', kind: 'Gadget', metadata: { name: 'new', namespace: ns }, spec: { size: 1 } } as KubernetesObject]);
    const rows = userRowsFromEnv({
      CUTOVER_REMOVED_APIS_FILE: userFile('- kind: Gadget\n  apiVersion: example.cutover.io/v1alpha1\n  deprecatedIn: "1.30"\n  removedIn: "1.34"\n  replacement: example.cutover.io/v1\n'),
    });

    const findings = (await preflightOf(ns, '1.34', rows)).filter((f) => f.message.includes(`${ns}/`));
    expect(findings).toEqual([
      {
        severity: 'blocking',
        source: 'removed-apis',
        message: expect.stringMatching(new RegExp(`^Gadget ${ns}/old in .* uses example.cutover.io/v1alpha1 \\(managedFields [^)]+\\), removed in Kubernetes 1.34; migrate it to example.cutover.io/v1$`)),
      },
    ]);
    // Without the row, the CRD's versions are nobody's business.
    expect((await preflightOf(ns, '1.34')).filter((f) => f.message.includes(`${ns}/`))).toEqual([]);
  });

  it('refuses a user file with bad rows, naming each row and field', () => {
    const file = userFile(
      [
        '- kind: Certificate',
        '  apiVersion: cert-manager.io/v1alpha2',
        '  removedIn: soon',
        '- kind: Issuer',
        '  apiVersion: cert-manager.io/v1alpha2',
        '- apiVersion: not a version',
        '  kind: Order',
        '  removedIn: "1.30"',
        '  replacment: acme.cert-manager.io/v1',
      ].join('\n'),
    );
    let message = '';
    try {
      userRowsFromEnv({ CUTOVER_REMOVED_APIS_FILE: file });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`CUTOVER_REMOVED_APIS_FILE ${file}: 4 problems`);
    expect(message).toContain('row 1 (cert-manager.io/v1alpha2 Certificate): removedIn must be a Kubernetes version such as "1.30", got "soon"');
    expect(message).toContain('row 2 (cert-manager.io/v1alpha2 Issuer): needs removedIn or deprecatedIn');
    expect(message).toContain('row 3 (not a version Order): unknown field replacment');
    expect(message).toContain('row 3 (not a version Order): apiVersion must be the deprecated apiVersion');
    expect(() => userRowsFromEnv({ CUTOVER_REMOVED_APIS_FILE: userFile('kind: Certificate\n') })).toThrow(/expected a list of rows/);
    expect(userRowsFromEnv({})).toEqual([]);
  });
});

describe('stateful workloads in blue', () => {
  const claim = (ns: string, name: string, size: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: size } } },
  });

  it('a StatefulSet with its claims, a lone claim and a retained volume each block, saying what a person must do', async () => {
    const ns = await uniqueNamespace(['blue'], 'state');
    const statefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: ns },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } } }],
      },
    };
    // No StatefulSet controller runs here: its claims are made as it would name them.
    const volume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${ns}-uploads` },
      spec: {
        capacity: { storage: '50Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'gp3',
        csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-0123456789abcdef0' },
        claimRef: { namespace: ns, name: 'uploads' },
      },
    };
    await createAll('blue', [statefulSet, claim(ns, 'data-db-0', '10Gi'), claim(ns, 'data-db-1', '10Gi'), claim(ns, 'data-db-2', '10Gi'), claim(ns, 'uploads', '50Gi'), volume] as KubernetesObject[]);

    const stateful = (await preflightOf(ns, '1.34')).filter((f) => f.source === 'stateful');
    expect(stateful).toEqual([
      {
        severity: 'blocking',
        source: 'stateful',
        message: expect.stringMatching(
          new RegExp(`^StatefulSet ${ns}/db in \\S+ with 3 PVCs \\(gp3, 30 Gi\\): its data stays in blue's volumes; migrate it \\(Velero, a snapshot restore, or the app's own replication\\) to green before cutover$`),
        ),
      },
      { severity: 'blocking', source: 'stateful', message: expect.stringMatching(new RegExp(`^PersistentVolumeClaim ${ns}/uploads in \\S+ \\(gp3, 50 Gi\\): its data stays in blue's volume; migrate it`)) },
      {
        severity: 'blocking',
        source: 'stateful',
        message: expect.stringMatching(new RegExp(`^PersistentVolume ${ns}-uploads in \\S+ \\(reclaimPolicy Retain, gp3, 50 Gi, claimed by ${ns}/uploads\\): its disk outlives blue's deletion`)),
      },
    ]);
  });

  it('a namespace without state says so', async () => {
    const ns = await uniqueNamespace(['blue'], 'stateless');
    expect((await preflightOf(ns, '1.34')).filter((f) => f.source === 'stateful')).toEqual([
      { severity: 'info', source: 'stateful', message: expect.stringContaining('no StatefulSet, PersistentVolumeClaim or retained PersistentVolume in') },
    ]);
  });
});
