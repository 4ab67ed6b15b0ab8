// The service-selector driver: blue and green inside one cluster, one Service whose selector
// (e.g. `track: blue|green`) decides which pods get traffic. One merge patch switches it,
// so the change is atomic; partial weights cannot exist, and asking for one is a spec error.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Weights } from '../workflows/model.js';
import type { ServiceSelectorTarget } from './contract.js';
import { invalidSpec, notFound } from './errors.js';
import { kubeFailure, readObject, requireCluster, type ClusterAccess } from './kubernetes.js';

type Service = KubernetesObject & { spec?: { selector?: Record<string, string> } };

const values = (t: ServiceSelectorTarget) => ({ key: t.key, blue: t.blueValue, green: t.greenValue });

export function createServiceSelectorDriver(access: ClusterAccess | undefined) {
  async function read(region: string, target: ServiceSelectorTarget) {
    const cluster = await requireCluster(access, target.cluster, region);
    const service = await readObject<Service>(cluster, { apiVersion: 'v1', kind: 'Service', namespace: target.namespace, name: target.service });
    if (!service) throw notFound(`Service ${target.namespace}/${target.service} not found in ${target.cluster}`);
    return { cluster, service };
  }

  return {
    async readWeights(region: string, target: ServiceSelectorTarget): Promise<Weights[]> {
      const { service } = await read(region, target);
      const v = values(target);
      const current = service.spec?.selector?.[v.key];
      if (current === v.green) return [{ blue: 0, green: 100 }];
      if (current === v.blue) return [{ blue: 100, green: 0 }];
      throw invalidSpec(`Service ${target.namespace}/${target.service} selects ${v.key}=${current ?? '(unset)'}, neither ${v.blue} nor ${v.green}`);
    },

    async setWeights(region: string, target: ServiceSelectorTarget, weights: Weights): Promise<boolean> {
      const all = weights.green === 100 && weights.blue === 0 ? 'green' : weights.blue === 100 && weights.green === 0 ? 'blue' : undefined;
      if (!all) throw invalidSpec(`the service-selector driver switches all traffic at once; weights must be 100/0 or 0/100, got ${weights.blue}/${weights.green} (use steps: [100])`);
      const { cluster, service } = await read(region, target);
      const v = values(target);
      if (service.spec?.selector?.[v.key] === v[all]) return false;
      const patch = { apiVersion: 'v1', kind: 'Service', metadata: { name: target.service, namespace: target.namespace }, spec: { selector: { [v.key]: v[all] } } };
      await cluster.objects.patch(patch, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
        throw kubeFailure(err, `switching Service ${target.namespace}/${target.service} in ${target.cluster} to ${v.key}=${v[all]}`);
      });
      return true;
    },
  };
}
