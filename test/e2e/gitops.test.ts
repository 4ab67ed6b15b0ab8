// REST → workflow → real activities → moto and real kube-apiservers, with Argo CD's
// Application CRD installed in the management cluster. The test plays Argo CD's controller:
// once green is registered, it reports green's Application Synced and Healthy.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { clusterSecretName, PAUSED_AUTOMATED } from '../../activities/gitops.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { auth, eventually, seededSpec, stack, startHarness, uniqueName, type Harness } from '../helpers.js';
import { clusterAccess, createAll, installCrd, kubeApi, uniqueNamespace } from '../integration/support.js';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> };

let harness: Harness;
let argoNs: string;
let appNs: string;
const management = uniqueName('mgmt');
const aws = () => createAwsClients({ endpoint: stack().motoUrl });

const application = (name: string, server: string, syncPolicy?: unknown): Obj => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: argoNs },
  spec: { project: 'default', source: { repoURL: 'https://git.example/shop', path: 'deploy' }, destination: { server, namespace: appNs }, ...(syncPolicy ? { syncPolicy } : {}) },
});
const readApp = (name: string) => kubeApi('management').read({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: argoNs } }) as Promise<Obj>;
const argoSecrets = async () => (await kubeApi('management').list('v1', 'Secret', argoNs)).items.map((s) => s.metadata?.name).sort();

describe('a migration with Argo CD over REST', () => {
  let blue: string;
  let green: string;
  let spec: MigrationSpec;

  beforeAll(async () => {
    await installCrd('management', 'argocd-application-crd.yaml');
    argoNs = await uniqueNamespace(['management'], 'argocd');
    appNs = await uniqueNamespace(['blue', 'green'], 'shop');
    const seeded = await seededSpec();
    blue = seeded.spec.blue.cluster;
    green = seeded.spec.green.cluster;
    harness = await startHarness(
      createActivities({
        aws: aws(),
        clusters: clusterAccess({ blue, green, management }),
        clusterChecks: { inventory: { namespaces: [appNs] } },
      }),
    );
    // syncTimeout is the default (30m): however slow the machine, bootstrapping waits for the
    // sync this test reports, never times out into gate bootstrap-override.
    spec = { ...seeded.spec, traffic: { ...seeded.spec.traffic, observe: '0s' }, gitops: { argocd: { managementContext: management, namespace: argoNs, registerCluster: true }, flux: false } };
    // Blue has been in Argo CD for years (registered by hand) and syncs itself automatically.
    await createAll('management', [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'prod-blue', namespace: argoNs, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
        stringData: { name: blue, server: stack().kube.blue.server, config: '{}' },
      } as KubernetesObject,
      application('shop-blue', stack().kube.blue.server, { automated: { prune: true, selfHeal: true } }),
      application('shop-green', stack().kube.green.server),
    ]);
  });
  afterAll(async () => harness?.close());

  it('bootstraps green through Argo CD, pauses blue auto-sync for the freeze and removes blue from Argo CD before deleting it', async () => {
    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());

    // Green is registered while the migration bootstraps; Argo CD then syncs green's app.
    const bootstrapping = await eventually(status, (s) => s.phase === 'bootstrapping');
    expect(bootstrapping.pendingGate).toBeUndefined();
    await eventually(argoSecrets, (names) => names.includes(clusterSecretName(green)));
    const app = await readApp('shop-green');
    await kubeApi('management').replace({ ...app, status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } } as Obj);

    const atGate = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect(atGate.findings).toContainEqual(expect.objectContaining({ source: 'gitops', message: expect.stringContaining('synced and healthy') }));
    const approved = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-1'), payload: { gate: 'cutover', decision: 'approve' } });
    expect(approved.statusCode, approved.body).toBe(200);

    // Bake and freeze are 0s here: the freeze's pause is still in place at the decommission gate.
    await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    const paused = await readApp('shop-blue');
    expect((paused.spec?.syncPolicy as { automated?: unknown } | undefined)?.automated).toBeUndefined();
    expect(JSON.parse(paused.metadata?.annotations?.[PAUSED_AUTOMATED] ?? 'null')).toEqual({ prune: true, selfHeal: true });

    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-2'), payload: { gate: 'decommission', decision: 'approve' } });
    await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth('dev-approver-3'), payload: { gate: 'decommission', decision: 'approve' } });
    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(await argoSecrets()).toEqual([clusterSecretName(green)]);
    await expect(aws().eks(spec.region).send(new DescribeClusterCommand({ name: blue }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(readRoute53Weights(aws().route53('us-east-1'), resolveSpec(spec).traffic.route53!)).rejects.toThrow(/SetIdentifier "blue" not found/);
    expect(done.audit.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual(
      expect.arrayContaining(['ops@sandbox register-cluster', 'alice@sandbox pause-blue-auto-sync', 'carol@sandbox deregister-cluster', 'carol@sandbox delete-cluster']),
    );
  });
});
