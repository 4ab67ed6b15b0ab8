// deploy/rbac, proven: the ClusterRoles are applied to the kube-apiservers as written, a
// ServiceAccount is bound to them as bindings.example.yaml shows, and the Kubernetes
// activities run with that ServiceAccount's token (TokenRequest) and nothing more: the
// removed-API scan, the drift audit and readiness, the service-selector driver, Argo CD
// registration and the freeze's pause of Argo CD and Flux. What the roles leave out is refused
// with a typed AccessDenied failure that says what was denied.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, loadAllYaml, PatchStrategy, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { createClusterChecks } from '../../activities/cluster-checks.js';
import { createActivities } from '../../activities/index.js';
import { clusterSecretName } from '../../activities/gitops.js';
import { localClusterAccess, type ClusterAccess } from '../../activities/kubernetes.js';
import { kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import type { Finding } from '../../workflows/model.js';
import { stack, uniqueName } from '../helpers.js';
import { activitiesWith, createAll, failureOf, installCrd, kubeApi, runActivity, specTraffic, uniqueNamespace } from './support.js';

type Role = 'blue' | 'green' | 'management';
const RBAC = fileURLToPath(new URL('../../deploy/rbac/', import.meta.url));
const names = { blue: uniqueName('rbac-blue'), green: uniqueName('rbac-green'), management: uniqueName('rbac-mgmt') };
const SA = 'cutover-worker';

/** Applies a file of deploy/rbac as it is (server-side apply, as `kubectl apply --server-side`). */
async function apply(role: Role, file: string): Promise<void> {
  for (const obj of loadAllYaml(readFileSync(path.join(RBAC, file), 'utf8')) as KubernetesObject[]) {
    await kubeApi(role).patch(obj, undefined, undefined, 'cutover-rbac-test', true, PatchStrategy.ServerSideApply);
  }
}

/** Binds the worker's ServiceAccount to a role: cluster-wide, or in one namespace. */
async function bind(role: Role, clusterRole: string, sa: { namespace: string }, namespace?: string): Promise<void> {
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name: uniqueName(clusterRole), ...(namespace && { namespace }) },
    subjects: [{ kind: 'ServiceAccount', name: SA, namespace: sa.namespace }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
  };
  await createAll(role, [binding as KubernetesObject]);
}

/** A short-lived token for the worker's ServiceAccount, as TokenRequest (`kubectl create token`) makes them. */
async function tokenFor(role: Role, namespace: string): Promise<string> {
  const core = kubeConfigFor(role, stack().kube[role]).makeApiClient(CoreV1Api);
  const made = await core.createNamespacedServiceAccountToken({ name: SA, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  return made.status!.token;
}

let access: ClusterAccess;
let appNs: string;
let argoNs: string;
let fluxNs: string;

beforeAll(async () => {
  await Promise.all([apply('blue', 'cluster.yaml'), apply('green', 'cluster.yaml'), apply('management', 'management.yaml')]);
  await Promise.all([installCrd('management', 'argocd-application-crd.yaml'), installCrd('blue', 'flux-kustomization-crd.yaml'), installCrd('blue', 'flux-helmrelease-crd.yaml')]);
  const saNs = await uniqueNamespace(['blue', 'green', 'management'], 'cutover');
  for (const role of ['blue', 'green', 'management'] as const) await createAll(role, [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA, namespace: saNs } }]);
  appNs = await uniqueNamespace(['blue', 'green'], 'shop');
  argoNs = await uniqueNamespace(['management'], 'argocd');
  fluxNs = await uniqueNamespace(['blue'], 'flux');
  const sa = { namespace: saNs };
  // As bindings.example.yaml: the reader on blue and green, Flux on blue, traffic only in
  // green's routed namespace, Argo CD only in its namespace on the management cluster.
  await Promise.all([
    bind('blue', 'cutover-cluster-reader', sa),
    bind('blue', 'cutover-flux', sa),
    bind('blue', 'cutover-decommission', sa),
    bind('green', 'cutover-cluster-reader', sa),
    bind('green', 'cutover-traffic', sa, appNs),
    bind('management', 'cutover-argocd', sa, argoNs),
    bind('blue', 'cutover-stateful', sa),
    bind('green', 'cutover-stateful', sa),
  ]);
  const endpoint = async (role: Role) => ({ ...stack().kube[role], token: await tokenFor(role, saNs) });
  access = localClusterAccess({ [names.blue]: await endpoint('blue'), [names.green]: await endpoint('green'), [names.management]: await endpoint('management') });

  await createAll('blue', [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: appNs }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] } } } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: appNs }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject,
  ]);
  await createAll('green', [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: appNs }, spec: { selector: { app: 'web', track: 'blue' }, ports: [{ port: 80 }] } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-green', namespace: appNs, labels: { app: 'web', track: 'green' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] } } as KubernetesObject,
  ]);
  const core = kubeConfigFor('green', stack().kube.green).makeApiClient(CoreV1Api);
  const pod = (await core.readNamespacedPod({ name: 'web-green', namespace: appNs })) as V1Pod;
  pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }] };
  await core.replaceNamespacedPodStatus({ name: 'web-green', namespace: appNs, body: pod });
});

/** A check that could not run (403 and the like) says so in a finding: none may. */
const couldNotRun = (findings: Finding[]) => findings.filter((f) => f.message.includes('could not run'));

describe('the worker with only the roles of deploy/rbac', () => {
  it('scans blue for removed APIs and stateful workloads, audits drift and readiness', async () => {
    const checks = createClusterChecks(access, { inventory: { namespaces: [appNs] } });
    const input = { region: 'us-east-1', blue: names.blue, green: names.green, targetVersion: '1.35', mode: 'adopt' as const };
    const removed = await checks.removedApiFindings(input);
    const stateful = await checks.statefulFindings(input);
    const validation = await checks.validationFindings({ ...input, health: { smoke: [], interval: '1m', failureThreshold: 3, onBreach: 'rollback' } });
    expect(couldNotRun([...removed, ...stateful, ...validation])).toEqual([]);
    expect(removed).toContainEqual(expect.objectContaining({ severity: 'info', message: `no object in ${names.blue} uses an API removed or deprecated by Kubernetes 1.35` }));
    expect(validation).toContainEqual(expect.objectContaining({ source: 'drift', message: expect.stringContaining(`Deployment ${appNs}/web exists only in blue`) }));
    expect(validation).toContainEqual(expect.objectContaining({ source: 'readiness', severity: 'info' }));
  });

  it("switches green's Service selector once green's pods are ready", async () => {
    const traffic = specTraffic({
      region: 'us-east-1',
      blue: { cluster: names.blue },
      green: { cluster: names.green, kubernetesVersion: '1.34' },
      traffic: { driver: 'service-selector', serviceSelector: { cluster: names.green, namespace: appNs, service: 'web' } },
      decommission: { deleteBlue: false },
    });
    const acts = activitiesWith({ clusters: access });
    const input = { region: 'us-east-1', traffic };
    expect((await acts.checkGreenTargets(input)).findings.filter((f) => f.severity === 'blocking')).toEqual([]);
    expect(await acts.readWeights(input)).toEqual([{ blue: 100, green: 0 }]);
    expect(await acts.setWeights({ ...input, weights: { blue: 0, green: 100 }, actor: 'alice', reason: 'cutover' })).toMatchObject({ changed: true });
    expect(await acts.readWeights(input)).toEqual([{ blue: 0, green: 100 }]);
  });

  it('registers green in Argo CD, pauses and resumes Argo CD and Flux auto-sync of blue, deregisters green', async () => {
    const automated = { prune: true, selfHeal: true };
    await createAll('management', [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'shop', namespace: argoNs },
        spec: { project: 'default', source: { repoURL: 'https://git.example/shop', path: 'deploy' }, destination: { server: stack().kube.blue.server, namespace: appNs }, syncPolicy: { automated } },
      } as KubernetesObject,
    ]);
    await createAll('blue', [{ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: fluxNs }, spec: { path: './apps' } } as KubernetesObject]);
    // Its own Flux objects only: other test files pause and resume theirs on the same blue at the same time.
    const acts = activitiesWith({ clusters: access, namespaces: [fluxNs] });
    const argocd = { managementContext: names.management, namespace: argoNs };

    expect(await acts.registerArgoCluster({ region: 'us-east-1', cluster: names.green, argocd })).toEqual({ secretName: clusterSecretName(names.green), changed: true });
    const blueGitops = { region: 'us-east-1', cluster: names.blue, argocd, flux: true };
    const paused = await acts.pauseBlueAutoSync(blueGitops);
    expect(paused.changed).toEqual(expect.arrayContaining([`Application ${argoNs}/shop`, `Kustomization ${fluxNs}/apps`]));
    const resumed = await acts.resumeBlueAutoSync(blueGitops);
    expect(resumed.changed).toEqual(expect.arrayContaining([`Application ${argoNs}/shop`, `Kustomization ${fluxNs}/apps`]));
    expect(await acts.deregisterArgoCluster({ region: 'us-east-1', cluster: names.green, argocd })).toMatchObject({ removed: true });
  });

  it("retires blue's load balancers' objects and reads its retained volumes at decommission", async () => {
    await createAll('blue', [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-lb', namespace: appNs }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } } as KubernetesObject,
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: appNs }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } } as KubernetesObject,
    ]);
    const acts = activitiesWith({ clusters: access, namespaces: [appNs] });
    const blue = { region: 'us-east-1', cluster: names.blue };
    expect(await acts.retainedVolumeFindings(blue)).toEqual([]);
    expect(await acts.deleteBlueLoadBalancers(blue)).toEqual({ deleted: [`Ingress ${appNs}/web`, `Service ${appNs}/web-lb`], deleting: [], kept: [] });
    expect(await runActivity(acts.waitBlueLoadBalancersGone, { ...blue, deadline: Date.now() + 60_000 })).toMatchObject({ result: { gone: true, remaining: [] } });
    // Green is not bound to the role: the same deletion there is refused, naming what was denied.
    await createAll('green', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-lb', namespace: appNs }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } as KubernetesObject]);
    const refused = await failureOf(acts.deleteBlueLoadBalancers({ region: 'us-east-1', cluster: names.green }));
    expect(refused).toMatchObject({ type: 'AccessDenied', nonRetryable: true });
    expect(refused.message).toContain(`cannot delete resource "services" in API group "" in the namespace "${appNs}"`);
  });

  it("carries a claim over: blue's workload scaled to zero and back, green's PersistentVolume and claim made and deleted", async () => {
    const acts = createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), clusters: access, clusterChecks: { inventory: { namespaces: [appNs] } }, stateful: { boundWithin: '1s', interval: '200ms' } });
    const input = { migrationId: uniqueName('migration-rbac'), region: 'us-east-1', blue: names.blue, green: names.green, stateful: { quiesce: { mode: 'gate' as const } } };
    const workloads = [`${appNs}/Deployment/web`];
    expect((await runActivity(acts.quiesceBlueWorkloads, { ...input, workloads })).result.scaled).toEqual([{ workload: workloads[0], replicas: 1 }]);
    expect((await acts.restoreBlueWorkloads({ ...input, workloads })).restored).toEqual([{ workload: workloads[0], replicas: 1 }]);
    const claim = { namespace: appNs, name: 'data', request: '1Gi', accessModes: ['ReadWriteOnce'], blueVolume: 'pv-blue', volumeId: 'vol-0123456789abcdef0', source: 'csi' as const, zone: 'us-east-1a', greenZone: 'us-east-1a', sizeGiB: 1, encrypted: false };
    const bound = await runActivity(acts.bindGreenClaims, { ...input, claims: [{ ...claim, greenVolumeId: 'vol-0fedcba9876543210' }] });
    expect(bound.result.claims).toEqual([{ claim: `${appNs}/data`, persistentVolume: 'cutover-vol-0fedcba9876543210', phase: 'Pending' }]);
    expect((await acts.deleteGreenCopies(input)).deleted).toEqual([`PersistentVolumeClaim ${appNs}/data in ${names.green}`, `PersistentVolume cutover-vol-0fedcba9876543210 in ${names.green}`]);
  });

  it('is refused what the roles leave out, as a typed AccessDenied failure naming what was denied', async () => {
    // The traffic role is bound in green's routed namespace only: blue's Service is out of reach.
    const traffic = specTraffic({
      region: 'us-east-1',
      blue: { cluster: names.blue },
      green: { cluster: names.green, kubernetesVersion: '1.34' },
      traffic: { driver: 'service-selector', serviceSelector: { cluster: names.blue, namespace: appNs, service: 'web' } },
      decommission: { deleteBlue: false },
    });
    const failure = await failureOf(activitiesWith({ clusters: access }).setWeights({ region: 'us-east-1', traffic, weights: { blue: 0, green: 100 }, actor: 'alice', reason: 'cutover' }));
    expect(failure).toMatchObject({ type: 'AccessDenied', nonRetryable: true });
    expect(failure.message).toMatch(
      new RegExp(`^switching Service ${appNs}/web in ${names.blue} to track=green: HTTP 403: services "web" is forbidden: User "system:serviceaccount:cutover-[0-9a-f]+:${SA}" cannot patch resource "services" in API group "" in the namespace "${appNs}" \\(the worker's identity on this cluster lacks the permission: see deploy/rbac\\)$`),
    );
    // The worker's reader role writes nothing: the Service is as it was.
    const service = (await kubeApi('blue').read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: appNs } })) as KubernetesObject & { spec: { selector: Record<string, string> } };
    expect(service.spec.selector).toEqual({ app: 'web', track: 'blue' });
  });
});
