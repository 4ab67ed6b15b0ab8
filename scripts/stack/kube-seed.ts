// Seeds the sandbox kube-apiservers with a few workloads: the same app in blue and green,
// one hand-made drift (a ConfigMap only in blue) and one object last applied with an API
// version that newer Kubernetes no longer serves.
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
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

export async function seedKube(endpoints: Record<string, KubeEndpoint>, namespace = 'shop'): Promise<void> {
  const blue = KubernetesObjectApi.makeApiClient(kubeConfigFor('blue', endpoints.blue));
  const green = KubernetesObjectApi.makeApiClient(kubeConfigFor('green', endpoints.green));
  await ensure(blue, [...app(namespace), ...blueOnly(namespace)]);
  await ensure(green, app(namespace));
}
