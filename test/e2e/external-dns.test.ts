// REST → workflow → the external-dns driver → the kube-apiservers standing in for blue and
// green: a whole migration whose traffic moves by the aws-weight annotations on an Ingress
// and a Service in both clusters, read from each apiserver at every step. No Route 53 records
// are named, so a shift is applied once both clusters hold the annotations (what external-dns
// then publishes is its own business, and would add Route 53's 60 s propagation per step).
import { NetworkingV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { AWS_WEIGHT, SET_IDENTIFIER } from '../../activities/drivers/external-dns.js';
import { kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { call } from '../api/support.js';
import { eventually, seededSpec, stack, startHarness, type Harness } from '../helpers.js';
import { clusterAccess, createAll, kubeApi, uniqueNamespace } from '../integration/support.js';

type Side = 'blue' | 'green';

let harness: Harness;
let ns: string;
let spec: MigrationSpec;

/** The objects external-dns in each cluster publishes: an Ingress and a ClusterIP Service, weighted for `side`. */
const routed = (side: Side): KubernetesObject[] => {
  const annotations = { [SET_IDENTIFIER]: side, [AWS_WEIGHT]: side === 'blue' ? '100' : '0' };
  const objects: (KubernetesObject & { spec: object })[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: ns, annotations },
      spec: { rules: [{ host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns, annotations }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } },
  ];
  return objects;
};

beforeAll(async () => {
  const seeded = await seededSpec();
  const w = seeded.w;
  ns = await uniqueNamespace(['blue', 'green'], 'xdns');
  await createAll('blue', routed('blue'));
  await createAll('green', routed('green'));
  // The load balancer controller's part in green: the Ingress gets an address, so external-dns has something to publish.
  const networking = kubeConfigFor('green', stack().kube.green).makeApiClient(NetworkingV1Api);
  const ingress = await networking.readNamespacedIngress({ name: 'web', namespace: ns });
  ingress.status = { loadBalancer: { ingress: [{ hostname: 'green-lb.example.test' }] } };
  await networking.replaceNamespacedIngressStatus({ name: 'web', namespace: ns, body: ingress });

  spec = {
    ...seeded.spec,
    traffic: {
      ...seeded.spec.traffic,
      route53: undefined,
      driver: 'external-dns',
      externalDns: {
        objects: [
          { kind: 'Ingress', namespace: ns, name: 'web' },
          { kind: 'Service', namespace: ns, name: 'api' },
        ],
      },
      // A gate before each step after the first: the run rests there, with the step before it applied.
      stepApproval: 'manual',
      observe: '0s',
    },
  };
  // The world's cluster names → this run's kube-apiservers; the checks look at the test's namespace only.
  harness = await startHarness(createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), clusters: clusterAccess(w.world), clusterChecks: { inventory: { namespaces: [ns] } } }));
});
afterAll(async () => harness?.close());

/** The aws-weight each selected object carries in blue and in green, as each apiserver returns them. */
async function annotated(): Promise<Record<string, { blue?: string; green?: string }>> {
  const read = async (side: Side, apiVersion: string, kind: string, name: string) =>
    (await kubeApi(side).read({ apiVersion, kind, metadata: { name, namespace: ns } })).metadata?.annotations?.[AWS_WEIGHT];
  const pair = async (apiVersion: string, kind: string, name: string) => ({ blue: await read('blue', apiVersion, kind, name), green: await read('green', apiVersion, kind, name) });
  return { 'Ingress web': await pair('networking.k8s.io/v1', 'Ingress', 'web'), 'Service api': await pair('v1', 'Service', 'api') };
}
const both = (blue: number, green: number) => ({ 'Ingress web': { blue: String(blue), green: String(green) }, 'Service api': { blue: String(blue), green: String(green) } });

describe('a migration over REST with the external-dns driver', () => {
  it('sets the aws-weight annotations in both clusters step by step, then retires blue', async () => {
    const started = await call(harness.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => call(harness.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
    const atGate = (gate: string) => eventually(status, (s) => s.pendingGate?.gate === gate);
    const approve = async (gate: string, token = 'dev-approver-1') => {
      const approved = await call(harness.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token, payload: { gate, decision: 'approve' } });
      expect(approved.statusCode, approved.body).toBe(200);
    };

    const atCutover = await atGate('cutover');
    expect(atCutover.weights).toEqual({ blue: 100, green: 0 });
    expect(await annotated()).toEqual(both(100, 0));
    await approve('cutover');

    expect((await atGate('step-2')).weights).toEqual({ blue: 80, green: 20 });
    expect(await annotated()).toEqual(both(80, 20));
    await approve('step-2');

    expect((await atGate('step-3')).weights).toEqual({ blue: 50, green: 50 });
    expect(await annotated()).toEqual(both(50, 50));
    await approve('step-3');

    const atDecommission = await atGate('decommission');
    expect(atDecommission.weights).toEqual({ blue: 0, green: 100 });
    expect(await annotated()).toEqual(both(0, 100));
    const checked = atDecommission.audit.filter((e: { action: string }) => e.action === 'set-weights').map((e: { detail: { green: number } }) => e.detail.green);
    expect(checked).toEqual([20, 50, 100]);

    await approve('decommission', 'dev-approver-2');
    await approve('decommission', 'dev-approver-3');
    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(done.blueDeleted).toBe(true);
    // Green keeps its objects at weight 100; blue's Ingress went with blue (its external-dns then deletes blue's record).
    const green = await kubeApi('green').read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns } });
    expect(green.metadata?.annotations?.[AWS_WEIGHT]).toBe('100');
    await expect(kubeApi('blue').read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: ns } })).rejects.toMatchObject({ code: 404 });
  });
});
