// Seeds the sandbox kube-apiservers with a few workloads: the same app in blue and green,
// one hand-made drift (a ConfigMap only in blue) and objects that use API versions newer
// Kubernetes no longer serves (a last-applied annotation, a Helm release manifest).
// No controllers run beside these apiservers, so green's rollout status is written here,
// the way the Deployment controller would.
import { gzipSync } from 'node:zlib';
import { AppsV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeEndpoint } from './peers.js';

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
