// REST → workflow → real activities, with blue and green known only by kubeconfig contexts:
// no EKS cluster, no cluster map. The worker reads kubeconfig files (KUBECONFIG, merged as
// kubectl merges them); the test's kube-apiservers stand in for clusters outside EKS. A
// Service selector in green moves the traffic in one migration, Route 53 (moto) in another.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { clusterAccessFromEnv } from '../../activities/kubernetes.js';
import { kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { weightsInMoto } from '../api/support.js';
import { auth, eventually, seedWorld, stack, startHarness, uniqueName, type Harness } from '../helpers.js';
import { createAll, kubeApi, uniqueNamespace } from '../integration/support.js';

let harness: Harness;
let ns: string;
const blueContext = uniqueName('kind-blue');
const greenContext = uniqueName('kind-green');
// The Route 53 migration's own pair (a migration's ID is named after blue), on the same apiservers.
const dnsBlueContext = uniqueName('kind-blue');
const dnsGreenContext = uniqueName('kind-green');

/** One kubeconfig file per cluster, as a person keeps them; JSON is YAML. */
function writeKubeconfig(dir: string, context: string, role: 'blue' | 'green'): string {
  const endpoint = stack().kube[role];
  const file = path.join(dir, `${context}.yaml`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `${context}-cluster`, cluster: { server: endpoint.server, 'certificate-authority': endpoint.caFile } }],
    users: [{ name: `${context}-user`, user: { token: endpoint.token } }],
    contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user` } }],
    'current-context': context,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** What kubelet would write: the pod runs and is Ready. */
async function markReady(namespace: string, name: string): Promise<void> {
  const core = kubeConfigFor('green', stack().kube.green).makeApiClient(CoreV1Api);
  const pod = (await core.readNamespacedPod({ name, namespace })) as V1Pod;
  pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }] };
  await core.replaceNamespacedPodStatus({ name, namespace, body: pod });
}

beforeAll(async () => {
  ns = await uniqueNamespace(['blue', 'green'], 'ctx');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-kubeconfig-'));
  const aws = createAwsClients({ endpoint: stack().motoUrl });
  harness = await startHarness(
    createActivities({
      aws,
      // The worker's own environment: two files, no CUTOVER_KUBE_CLUSTERS, sandbox mode (no EKS).
      clusters: clusterAccessFromEnv(aws, {
        KUBECONFIG: [
          writeKubeconfig(dir, blueContext, 'blue'),
          writeKubeconfig(dir, greenContext, 'green'),
          writeKubeconfig(dir, dnsBlueContext, 'blue'),
          writeKubeconfig(dir, dnsGreenContext, 'green'),
        ].join(':'),
      }),
      clusterChecks: { inventory: { namespaces: [ns] } },
    }),
  );
  await createAll('green', [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-green', namespace: ns, labels: { app: 'web', track: 'green' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] } } as KubernetesObject,
  ]);
  await markReady(ns, 'web-green');
});
afterAll(async () => harness?.close());

describe('a migration between clusters known only by kubeconfig context', () => {
  it('runs from preflight to completed: EKS steps skipped and said so, green adopted by its version, blue kept', async () => {
    const spec: MigrationSpec = {
      region: 'us-east-1',
      blue: { context: blueContext },
      green: { context: greenContext, kubernetesVersion: '1.34' },
      traffic: { driver: 'service-selector', serviceSelector: { cluster: greenContext, namespace: ns, service: 'web' }, observe: '0s' },
      bake: '0s',
      freeze: '0s',
      approvals: { distinctApprover: true },
    };
    const planned = await harness.app.inject({ method: 'POST', url: '/v1/plans', headers: auth('dev-operator'), payload: spec });
    expect(planned.statusCode, planned.body).toBe(200);
    expect(planned.json().plan.decommission).toEqual({ removeRouting: true, steps: ['remove-blue-routing'], keptBecause: expect.stringContaining(`blue ${blueContext} is named by kubeconfig context`) });

    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    const approve = (gate: string, token: string) =>
      harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth(token), payload: { gate, decision: 'approve' } });

    // Both apiservers run 1.34: blue's version, read from its /version, is not older than the target.
    const held = await eventually(status, (s) => s.pendingGate?.gate === 'preflight-override');
    expect(held.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'info', source: 'eks', message: expect.stringContaining(`blue ${blueContext} is not an EKS cluster (kubeconfig context ${blueContext}): EKS checks`) }),
        { severity: 'blocking', source: 'version', message: "target 1.34 is not newer than blue's 1.34" },
        expect.objectContaining({ severity: 'info', source: 'version', message: expect.stringContaining(`green ${greenContext} is not an EKS cluster`) }),
        expect.objectContaining({ source: 'removed-apis', message: expect.stringContaining(`no object in ${blueContext} uses an API removed`) }),
      ]),
    );
    expect((await approve('preflight-override', 'dev-approver-1')).statusCode).toBe(200);

    const atCutover = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    expect(atCutover.greenCreatedByMigration).toBe(false);
    expect(atCutover.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'eks', message: expect.stringContaining(`green ${greenContext} is not an EKS cluster (kubeconfig context ${greenContext}): adopted as it is`) }),
        expect.objectContaining({ source: 'drift', message: expect.stringContaining('drift audit:') }),
      ]),
    );
    expect((await approve('cutover', 'dev-approver-1')).statusCode).toBe(200);

    await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    const service = (await kubeApi('green').read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns } })) as KubernetesObject & { spec: { selector: Record<string, string> } };
    expect(service.spec.selector).toEqual({ app: 'web', track: 'green' });
    expect((await approve('decommission', 'dev-approver-2')).statusCode).toBe(200);
    expect((await approve('decommission', 'dev-approver-3')).statusCode).toBe(200);

    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(done.blueDeleted).toBe(false);
    const actions = done.audit.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['set-weights', 'remove-blue-routing', 'keep-cluster']));
    expect(actions).not.toContain('delete-cluster');
    // Blue's apiserver still answers: the cluster was kept.
    expect((await kubeApi('blue').read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).metadata?.name).toBe(ns);
  });

  it('runs a Route 53 migration from preflight to completed, the weights read from Route 53 at each step', async () => {
    const { world } = await seedWorld();
    const spec: MigrationSpec = {
      region: 'us-east-1',
      blue: { context: dnsBlueContext },
      green: { context: dnsGreenContext, kubernetesVersion: '1.34' },
      traffic: {
        driver: 'route53',
        route53: { hostedZoneName: world.zoneName, records: [{ name: world.recordName, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }] },
        steps: [20, 50, 100],
        // A gate before each step after the first: the run rests there, with the step before it applied.
        stepApproval: 'manual',
        observe: '0s',
      },
      bake: '0s',
      freeze: '0s',
      approvals: { distinctApprover: true },
    };
    const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    expect(id).toBe(`migration-us-east-1-${dnsBlueContext}`);
    const status = () => harness.app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth('dev-viewer') }).then((r) => r.json());
    const atGate = (gate: string) => eventually(status, (s) => s.pendingGate?.gate === gate);
    const approve = async (gate: string, token = 'dev-approver-1') => {
      const approved = await harness.app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth(token), payload: { gate, decision: 'approve' } });
      expect(approved.statusCode, approved.body).toBe(200);
    };

    // Preflight read the records through Route 53 (all on blue); only the version blocks (both apiservers run 1.34).
    const held = await atGate('preflight-override');
    expect(held.findings.filter((f: { severity: string }) => f.severity === 'blocking')).toEqual([{ severity: 'blocking', source: 'version', message: "target 1.34 is not newer than blue's 1.34" }]);
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);
    await approve('preflight-override');

    expect((await atGate('cutover')).weights).toEqual({ blue: 100, green: 0 });
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);
    await approve('cutover');
    expect((await atGate('step-2')).weights).toEqual({ blue: 80, green: 20 });
    expect(await weightsInMoto(spec)).toEqual([{ blue: 80, green: 20 }]);
    await approve('step-2');
    expect((await atGate('step-3')).weights).toEqual({ blue: 50, green: 50 });
    expect(await weightsInMoto(spec)).toEqual([{ blue: 50, green: 50 }]);
    await approve('step-3');
    expect((await atGate('decommission')).weights).toEqual({ blue: 0, green: 100 });
    expect(await weightsInMoto(spec)).toEqual([{ blue: 0, green: 100 }]);
    await approve('decommission', 'dev-approver-2');
    await approve('decommission', 'dev-approver-3');

    const done = await eventually(status, (s) => s.phase === 'completed');
    expect(done.blueDeleted).toBe(false);
    // Blue's record is taken out of Route 53; the cluster behind the context is kept.
    await expect(weightsInMoto(spec)).rejects.toThrow(/SetIdentifier "blue" not found/);
    expect(done.audit.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['remove-blue-routing', 'keep-cluster']));
  });
});
