// GitOps activities against real kube-apiservers with the Argo CD and Flux CRDs installed
// from fixtures; the test plays the controllers and writes their status.
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { BootstrapGitopsResult } from '../../activities/contract.js';
import { clusterSecretName, PAUSED_AUTOMATED, SUSPENDED_BY_CUTOVER } from '../../activities/gitops.js';
import { kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import { eventually, stack, uniqueName } from '../helpers.js';
import { activitiesWith, clusterAccess, createAll, failureOf, installCrd, kubeApi, runActivity, startActivity, uniqueNamespace } from './support.js';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> };

const application = (ns: string, name: string, server: string, syncPolicy?: unknown): Obj => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: ns },
  spec: { project: 'default', source: { repoURL: 'https://git.example/apps', path: name }, destination: { server, namespace: 'shop' }, ...(syncPolicy ? { syncPolicy } : {}) },
});

/** What the Argo CD application controller does: write status through the main resource. */
async function setAppStatus(ns: string, name: string, sync: string, health: string): Promise<void> {
  const api = kubeApi('management');
  const app = (await api.read({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: ns } })) as Obj;
  app.status = { sync: { status: sync }, health: { status: health } };
  await api.replace(app);
}

/** What a Flux controller does: write the Ready condition through the status subresource. */
async function setFluxReady(role: 'blue' | 'green', obj: { group: string; version: string; plural: string; ns: string; name: string }, ready: boolean): Promise<void> {
  const api = kubeConfigFor(role, stack().kube[role]).makeApiClient(CustomObjectsApi);
  const ref = { group: obj.group, version: obj.version, namespace: obj.ns, plural: obj.plural, name: obj.name };
  const current = (await api.getNamespacedCustomObject(ref)) as Obj;
  current.status = {
    observedGeneration: current.metadata?.generation,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'ReconciliationSucceeded' : 'Progressing', message: '', lastTransitionTime: new Date().toISOString() }],
  };
  await api.replaceNamespacedCustomObjectStatus({ ...ref, body: current });
}

/** The heartbeats of the wait loop (listing pages heartbeat too). */
const polls = (heartbeats: unknown[]) => heartbeats.filter((h) => typeof h === 'object' && h !== null && 'polls' in h);

const names = () => ({ blue: uniqueName('blue'), green: uniqueName('green'), management: uniqueName('mgmt') });

describe('gitops activities', () => {
  beforeAll(async () => {
    await Promise.all([
      installCrd('management', 'argocd-application-crd.yaml'),
      installCrd('green', 'flux-kustomization-crd.yaml'),
      installCrd('green', 'flux-helmrelease-crd.yaml'),
      installCrd('blue', 'flux-kustomization-crd.yaml'),
    ]);
  });

  it('registers green in Argo CD once; a retry leaves the Secret alone; deregistering twice is safe', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    const acts = activitiesWith({ clusters: clusterAccess(n) });
    const input = { region: 'us-east-1', cluster: n.green, argocd: { managementContext: n.management, namespace: argoNs } };

    expect(await acts.registerArgoCluster(input)).toEqual({ secretName: clusterSecretName(n.green), changed: true });
    const secret = (await kubeApi('management').read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: clusterSecretName(n.green), namespace: argoNs } })) as Obj;
    expect(secret.metadata?.labels).toMatchObject({ 'argocd.argoproj.io/secret-type': 'cluster' });
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(data).toMatchObject({ name: n.green, server: stack().kube.green.server });
    const config = JSON.parse(data.config) as { bearerToken?: string; tlsClientConfig: { caData?: string; insecure: boolean } };
    expect(config.tlsClientConfig).toMatchObject({ insecure: false, caData: expect.any(String) });
    expect(config.bearerToken).toBeTruthy();
    const resourceVersion = secret.metadata?.resourceVersion;

    expect(await acts.registerArgoCluster(input)).toEqual({ secretName: clusterSecretName(n.green), changed: false });
    const again = await kubeApi('management').read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: clusterSecretName(n.green), namespace: argoNs } });
    expect(again.metadata?.resourceVersion).toBe(resourceVersion);

    expect(await acts.deregisterArgoCluster(input)).toEqual({ removed: true, secrets: [clusterSecretName(n.green)] });
    expect(await acts.deregisterArgoCluster(input)).toEqual({ removed: false, secrets: [] });
  });

  it('deregistering a cluster before its deletion also removes registrations made by hand for its server', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    const registration = (name: string, server: string) =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: argoNs, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
        stringData: { name, server, config: '{}' },
      }) as KubernetesObject;
    await createAll('management', [registration('blue-by-hand', `${stack().kube.blue.server}/`), registration('green-by-hand', stack().kube.green.server)]);
    const acts = activitiesWith({ clusters: clusterAccess(n) });

    const result = await acts.deregisterArgoCluster({ region: 'us-east-1', cluster: n.blue, argocd: { managementContext: n.management, namespace: argoNs } });

    expect(result).toEqual({ removed: true, secrets: ['blue-by-hand'] });
    const left = await kubeApi('management').list('v1', 'Secret', argoNs);
    expect(left.items.map((s) => s.metadata?.name)).toEqual(['green-by-hand']);
  });

  it('leaves a registration someone else made for the same server alone', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    await createAll('management', [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'hand-made', namespace: argoNs, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
        stringData: { name: 'green-by-hand', server: stack().kube.green.server, config: '{}' },
      } as KubernetesObject,
    ]);
    const acts = activitiesWith({ clusters: clusterAccess(n) });
    expect(await acts.registerArgoCluster({ region: 'us-east-1', cluster: n.green, argocd: { managementContext: n.management, namespace: argoNs } })).toEqual({
      secretName: 'hand-made',
      changed: false,
    });
  });

  it('bootstrapGitops registers green and waits, heartbeating, until its Applications are Synced and Healthy', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    await createAll('management', [application(argoNs, 'shop', stack().kube.green.server), application(argoNs, 'other', 'https://elsewhere.example')]);
    await setAppStatus(argoNs, 'shop', 'OutOfSync', 'Progressing');
    const acts = activitiesWith({ clusters: clusterAccess(n) });
    const running = startActivity(acts.bootstrapGitops, {
      region: 'us-east-1',
      green: n.green,
      argocd: { managementContext: n.management, namespace: argoNs, registerCluster: true },
      flux: false,
      timeout: '60s',
      pollInterval: '100ms',
    });
    // It registered green and is waiting (heartbeating) on an app that is not synced yet.
    await eventually(async () => polls(running.heartbeats).length, (count) => count >= 2);
    expect(await kubeApi('management').read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: clusterSecretName(n.green), namespace: argoNs } })).toBeTruthy();
    await setAppStatus(argoNs, 'shop', 'Synced', 'Healthy');

    const result = await running.result;
    expect(result).toMatchObject({ registered: true, ready: true, objects: [{ kind: 'Application', name: 'shop', ready: true, detail: 'Synced/Healthy' }] });
    expect(polls(running.heartbeats)[0]).toMatchObject({ polls: 0, waiting: 1, deadline: expect.any(Number) });
  });

  it('bootstrapGitops times out with a blocking finding per object still waiting', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    await createAll('management', [application(argoNs, 'stuck', stack().kube.green.server)]);
    await setAppStatus(argoNs, 'stuck', 'Synced', 'Degraded');
    const { result } = await runActivity(activitiesWith({ clusters: clusterAccess(n) }).bootstrapGitops, {
      region: 'us-east-1',
      green: n.green,
      argocd: { managementContext: n.management, namespace: argoNs },
      flux: false,
      timeout: '1s',
      pollInterval: '200ms',
    });
    expect(result.ready).toBe(false);
    expect(result.findings).toContainEqual({ severity: 'blocking', source: 'argocd', message: `Application ${argoNs}/stuck is Synced/Degraded, not ready for ${n.green}` });
  });

  it('a retried bootstrapGitops keeps the deadline of the first attempt', async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    await createAll('management', [application(argoNs, 'late', stack().kube.green.server)]);
    const env = new MockActivityEnvironment({ heartbeatDetails: { deadline: Date.now() - 1 } }, { logger: new DefaultLogger('ERROR') });
    const acts = activitiesWith({ clusters: clusterAccess(n) });
    const result = (await env.run(acts.bootstrapGitops, {
      region: 'us-east-1',
      green: n.green,
      argocd: { managementContext: n.management, namespace: argoNs },
      flux: false,
      timeout: '1h',
    })) as BootstrapGitopsResult;
    expect(result.ready).toBe(false);
    expect(result.findings).toContainEqual(expect.objectContaining({ severity: 'blocking', message: `Application ${argoNs}/late is Unknown/Unknown, not ready for ${n.green}` }));
  });

  it("bootstrapGitops waits for green's Flux Kustomizations and HelmReleases to be Ready", async () => {
    const n = names();
    const ns = await uniqueNamespace(['green'], 'flux');
    await createAll('green', [
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: ns }, spec: { path: './apps', interval: '5m' } } as KubernetesObject,
      { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'redis', namespace: ns }, spec: { chart: { spec: { chart: 'redis' } } } } as KubernetesObject,
    ]);
    const ks = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', ns, name: 'apps' };
    const hr = { group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases', ns, name: 'redis' };
    await setFluxReady('green', ks, true);
    await setFluxReady('green', hr, false);
    const acts = activitiesWith({ clusters: clusterAccess(n) });
    const input = { region: 'us-east-1', green: n.green, timeout: '60s', pollInterval: '100ms' };

    const running = startActivity(acts.bootstrapGitops, input);
    await eventually(async () => polls(running.heartbeats).length, (count) => count >= 1);
    await setFluxReady('green', hr, true);
    const result = await running.result;
    expect(result.ready).toBe(true);
    expect(result.objects.filter((o) => o.namespace === ns).map((o) => [o.kind, o.name, o.ready])).toEqual([
      ['Kustomization', 'apps', true],
      ['HelmRelease', 'redis', true],
    ]);
    // Leave green's Flux objects clean for later tests in this file.
    for (const o of [ks, hr]) {
      await kubeApi('green').delete({ apiVersion: `${o.group}/${o.version}`, kind: o.group.startsWith('kustomize') ? 'Kustomization' : 'HelmRelease', metadata: { name: o.name, namespace: ns } });
    }
  });

  it("pauses blue's auto-sync and restores exactly what it was; each retry changes nothing", async () => {
    const n = names();
    const argoNs = await uniqueNamespace(['management'], 'argocd');
    const fluxNs = await uniqueNamespace(['blue'], 'flux');
    const automated = { prune: true, selfHeal: true };
    await createAll('management', [
      application(argoNs, 'shop', stack().kube.blue.server, { automated, syncOptions: ['CreateNamespace=true'] }),
      application(argoNs, 'manual', stack().kube.blue.server),
      application(argoNs, 'green-app', stack().kube.green.server, { automated }),
    ]);
    await createAll('blue', [
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: fluxNs }, spec: { path: './apps' } } as KubernetesObject,
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'held', namespace: fluxNs }, spec: { path: './held', suspend: true } } as KubernetesObject,
    ]);
    // Its own Flux objects only: other test files pause and resume theirs on the same blue at the same time.
    const acts = activitiesWith({ clusters: clusterAccess(n), namespaces: [fluxNs] });
    const input = { region: 'us-east-1', cluster: n.blue, argocd: { managementContext: n.management, namespace: argoNs } };
    const read = async (role: 'management' | 'blue', apiVersion: string, kind: string, namespace: string, name: string) =>
      (await kubeApi(role).read({ apiVersion, kind, metadata: { name, namespace } })) as Obj;
    const app = (name: string) => read('management', 'argoproj.io/v1alpha1', 'Application', argoNs, name);
    const ks = (name: string) => read('blue', 'kustomize.toolkit.fluxcd.io/v1', 'Kustomization', fluxNs, name);

    const paused = await acts.pauseBlueAutoSync(input);
    expect(paused.changed).toEqual(expect.arrayContaining([`Application ${argoNs}/shop`, `Kustomization ${fluxNs}/apps`]));
    expect(paused.changed).not.toContain(`Kustomization ${fluxNs}/held`);
    expect((await app('shop')).spec?.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    expect(JSON.parse((await app('shop')).metadata?.annotations?.[PAUSED_AUTOMATED] ?? '')).toEqual(automated);
    expect((await app('green-app')).spec?.syncPolicy).toEqual({ automated });
    expect((await ks('apps')).spec?.suspend).toBe(true);
    expect((await ks('apps')).metadata?.annotations?.[SUSPENDED_BY_CUTOVER]).toBe('true');
    expect((await acts.pauseBlueAutoSync(input)).changed.filter((c) => c.includes(argoNs) || c.includes(fluxNs))).toEqual([]);

    const resumed = await acts.resumeBlueAutoSync(input);
    expect(resumed.changed).toEqual(expect.arrayContaining([`Application ${argoNs}/shop`, `Kustomization ${fluxNs}/apps`]));
    expect((await app('shop')).spec?.syncPolicy).toEqual({ automated, syncOptions: ['CreateNamespace=true'] });
    expect((await app('shop')).metadata?.annotations?.[PAUSED_AUTOMATED]).toBeUndefined();
    expect((await ks('apps')).spec?.suspend).toBe(false);
    expect((await ks('held')).spec?.suspend).toBe(true);
    expect((await acts.resumeBlueAutoSync(input)).changed.filter((c) => c.includes(argoNs) || c.includes(fluxNs))).toEqual([]);
  });

  it('names a management cluster the worker cannot reach', async () => {
    const n = names();
    const failure = await failureOf(
      activitiesWith({ clusters: clusterAccess(n) }).registerArgoCluster({ region: 'us-east-1', cluster: n.green, argocd: { managementContext: 'nowhere-mgmt' } }),
    );
    expect(failure).toMatchObject({ type: 'NotFound' });
    expect(failure.message).toContain('nowhere-mgmt');
  });
});
