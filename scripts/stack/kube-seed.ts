// Seeds the sandbox kube-apiservers with a few workloads: the same app in blue and green,
// one hand-made drift (a ConfigMap only in blue) and objects that use API versions newer
// Kubernetes no longer serves (a last-applied annotation, a Helm release manifest).
// No controllers run beside these apiservers, so green's rollout status is written here,
// the way the Deployment controller would.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { AppsV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { ObjectApi } from '../../activities/kubernetes.js';
import type { KubeEndpoint } from './peers.js';
import { waitUntil } from './processes.js';

/** CRDs of the tools Cutover works with (Argo CD, Flux), trimmed to what it reads. */
export const CRDS = fileURLToPath(new URL('./crds/', import.meta.url));

export function kubeConfigFor(name: string, endpoint: KubeEndpoint): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: endpoint.server, caFile: endpoint.caFile, skipTLSVerify: false }],
    users: [{ name: `${name}-admin`, token: endpoint.token }],
    contexts: [{ name, cluster: name, user: `${name}-admin` }],
    currentContext: name,
  });
  return kc;
}

const app = (ns: string): KubernetesObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    } as never,
  } as KubernetesObject,
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as KubernetesObject,
];

/** A Helm 3 release Secret as Helm writes it: data.release = base64(gzip(JSON)), base64-encoded again by the Secret. */
export function helmRelease(ns: string, name: string, version: number, manifest: string): KubernetesObject {
  const release = { name, namespace: ns, version, info: { status: 'deployed' }, manifest };
  const payload = gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `sh.helm.release.v1.${name}.v${version}`, namespace: ns, labels: { owner: 'helm', name, status: 'deployed', version: String(version) } },
    type: 'helm.sh/release.v1',
    data: { release: Buffer.from(payload).toString('base64') },
  } as KubernetesObject;
}

const blueOnly = (ns: string): KubernetesObject[] => [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy-flags', namespace: ns }, data: { hotfix: 'true' } } as KubernetesObject,
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: 'web',
      namespace: ns,
      annotations: {
        // Applied long ago with an API version removed in Kubernetes 1.26.
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: ns } }),
      },
    },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 4 },
  } as KubernetesObject,
  // A deployed chart whose manifest still renders a CronJob at batch/v1beta1 (removed in 1.25).
  helmRelease(ns, 'reports', 1, ['---', '# Source: reports/templates/cronjob.yaml', 'apiVersion: batch/v1beta1', 'kind: CronJob', 'metadata:', '  name: reports-nightly', 'spec:', '  schedule: "0 3 * * *"'].join('\n')),
];

async function ensure(api: KubernetesObjectApi, objects: KubernetesObject[]): Promise<void> {
  for (const obj of objects) {
    try {
      await api.create(obj);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** Writes the status a Deployment controller would once every replica is available. */
export async function markDeploymentReady(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedDeployment({ name, namespace });
  const replicas = current.spec?.replicas ?? 1;
  current.status = { observedGeneration: current.metadata?.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
  await apps.replaceNamespacedDeploymentStatus({ name, namespace, body: current });
}

export async function seedKube(endpoints: Record<string, KubeEndpoint>, namespace = 'shop'): Promise<void> {
  const greenConfig = kubeConfigFor('green', endpoints.green);
  const blue = KubernetesObjectApi.makeApiClient(kubeConfigFor('blue', endpoints.blue));
  const green = KubernetesObjectApi.makeApiClient(greenConfig);
  await ensure(blue, [...app(namespace), ...blueOnly(namespace)]);
  await ensure(green, app(namespace));
  await markDeploymentReady(greenConfig, namespace, 'web');
}

/** Installs a CRD from a YAML file and waits until the API server serves its kind. */
export async function installCrd(kc: KubeConfig, file: string): Promise<void> {
  const crd = modelKeys(parse(readFileSync(file, 'utf8'))) as KubernetesObject & {
    spec: { group: string; names: { kind: string }; versions: { name: string }[] };
  };
  await ensure(KubernetesObjectApi.makeApiClient(kc), [crd]);
  const api = ObjectApi.forConfig(kc);
  const served = () => api.served(`${crd.spec.group}/${crd.spec.versions[0].name}`, crd.spec.names.kind).catch(() => undefined);
  await waitUntil(`${crd.spec.names.kind} served by ${kc.getCurrentCluster()?.server}`, async () => !!(await served()), { timeoutMs: 30_000 });
}

/**
 * The client serializes a CRD through its typed model, which knows `x-kubernetes-*` schema
 * keys only by their model names (x_kubernetes_preserve_unknown_fields): rename them so they
 * reach the API server instead of being dropped.
 */
function modelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(modelKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.startsWith('x-kubernetes-') ? k.replaceAll('-', '_') : k, modelKeys(v)]));
}

export const ARGOCD_NAMESPACE = 'argocd';
const argoApplication = (name: string, server: string, namespace: string, automated?: boolean): KubernetesObject =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ARGOCD_NAMESPACE },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.sandbox.example/shop', path: 'deploy', targetRevision: 'main' },
      destination: { server, namespace },
      ...(automated ? { syncPolicy: { automated: { prune: true, selfHeal: true } } } : {}),
    },
  }) as KubernetesObject;

/**
 * Argo CD in the management cluster: its Application CRD, blue registered long ago (by hand)
 * with an auto-syncing Application, and green's Application waiting for green to be registered.
 */
export async function seedArgo(endpoints: Record<string, KubeEndpoint>, namespace = 'shop'): Promise<void> {
  const kc = kubeConfigFor('management', endpoints.management);
  await installCrd(kc, path.join(CRDS, 'argocd-application-crd.yaml'));
  await ensure(KubernetesObjectApi.makeApiClient(kc), [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sandbox-blue', namespace: ARGOCD_NAMESPACE, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      stringData: { name: 'sandbox-blue', server: endpoints.blue.server, config: '{}' },
    } as KubernetesObject,
    argoApplication('shop-blue', endpoints.blue.server, namespace, true),
    argoApplication('shop-green', endpoints.green.server, namespace),
  ]);
}

type ArgoObject = KubernetesObject & { spec?: { destination?: { server?: string } }; status?: { sync?: { status?: string } }; data?: Record<string, string> };

/**
 * No Argo CD controller runs in the sandbox. This stand-in does the part Cutover watches: an
 * Application whose destination cluster is registered is reported Synced and Healthy.
 */
export function startArgoStandIn(endpoint: KubeEndpoint, intervalMs = 2_000): { stop(): void } {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor('management', endpoint));
  let busy = false;
  let lastError = '';
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const secrets = (await api.list('v1', 'Secret', ARGOCD_NAMESPACE, undefined, undefined, undefined, undefined, 'argocd.argoproj.io/secret-type=cluster')).items as ArgoObject[];
      const registered = new Set(secrets.map((s) => Buffer.from(s.data?.server ?? '', 'base64').toString('utf8').replace(/\/+$/, '')));
      const apps = (await api.list('argoproj.io/v1alpha1', 'Application', ARGOCD_NAMESPACE)).items as ArgoObject[];
      for (const app of apps) {
        const server = app.spec?.destination?.server?.replace(/\/+$/, '');
        if (!server || !registered.has(server) || app.status?.sync?.status === 'Synced') continue;
        await api.replace({ ...app, status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } } as ArgoObject);
      }
      lastError = '';
    } catch (err) {
      const message = String((err as Error).message ?? err);
      if (message !== lastError) console.error(`argo stand-in: ${message}`);
      lastError = message;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  return { stop: () => clearInterval(timer) };
}
