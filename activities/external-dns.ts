// The external-dns driver (the EKS Blueprints blue/green pattern): each cluster runs its own
// external-dns, which writes that cluster's weighted Route 53 record from annotations on its
// Ingresses/Services. Shifting traffic = setting `aws-weight` on the selected objects in
// both clusters; applied = Route 53 serves the new weights (when the records are named).
// Two clusters cannot be patched in one call: green's share goes up only after blue's went
// down (and the reverse), so Route 53 never gives green more than asked in between.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Weights } from '../workflows/model.js';
import type { AwsClients } from './aws.js';
import type { ExternalDnsTarget } from './contract.js';
import { invalidSpec, notFound } from './errors.js';
import { kubeFailure, readObject, requireCluster, type ClusterAccess, type KubeCluster } from './kubernetes.js';
import { readRoute53Weights } from './route53.js';

export const AWS_WEIGHT = 'external-dns.alpha.kubernetes.io/aws-weight';
export const SET_IDENTIFIER = 'external-dns.alpha.kubernetes.io/set-identifier';
const API_VERSION: Record<string, string> = { Ingress: 'networking.k8s.io/v1', Service: 'v1' };
const MAX_WEIGHT = 255;

type Side = 'blue' | 'green';

async function objectsOf(cluster: KubeCluster, target: ExternalDnsTarget): Promise<KubernetesObject[]> {
  const found: KubernetesObject[] = [];
  for (const ref of target.objects) {
    const apiVersion = API_VERSION[ref.kind];
    if (!apiVersion) throw invalidSpec(`external-dns driver: kind ${ref.kind} is not supported (Ingress or Service)`);
    const obj = await readObject(cluster, { apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name });
    if (!obj) throw notFound(`external-dns driver: ${ref.kind} ${ref.namespace}/${ref.name} not found in ${cluster.name}`);
    found.push(obj);
  }
  return found;
}

const weightOf = (obj: KubernetesObject): number | undefined => {
  const raw = obj.metadata?.annotations?.[AWS_WEIGHT];
  return raw === undefined || raw === '' ? undefined : Number(raw);
};

export function createExternalDnsDriver(aws: AwsClients, access: ClusterAccess | undefined) {
  const clusters = async (region: string, target: ExternalDnsTarget): Promise<Record<Side, KubeCluster>> => {
    const [blue, green] = await Promise.all([requireCluster(access, target.blueCluster, region), requireCluster(access, target.greenCluster, region)]);
    return { blue, green };
  };

  /** Sets one side's annotation on every selected object that does not have it yet; true when any changed. */
  async function setSide(cluster: KubeCluster, target: ExternalDnsTarget, weight: number): Promise<boolean> {
    let changed = false;
    for (const obj of await objectsOf(cluster, target)) {
      if (weightOf(obj) === weight) continue;
      const patch = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace, annotations: { [AWS_WEIGHT]: String(weight) } } };
      await cluster.objects.patch(patch, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
        throw kubeFailure(err, `setting ${AWS_WEIGHT} on ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name} in ${cluster.name}`);
      });
      changed = true;
    }
    return changed;
  }

  /** Weights the annotations ask for, one entry per selected object pair. */
  async function annotatedWeights(region: string, target: ExternalDnsTarget): Promise<Weights[]> {
    const c = await clusters(region, target);
    const [blue, green] = await Promise.all([objectsOf(c.blue, target), objectsOf(c.green, target)]);
    return blue.map((b, i) => ({ blue: weightOf(b) ?? 0, green: weightOf(green[i]) ?? 0 }));
  }

  return {
    async setWeights(region: string, target: ExternalDnsTarget, weights: Weights): Promise<boolean> {
      if (weights.blue < 0 || weights.green < 0 || weights.blue > MAX_WEIGHT || weights.green > MAX_WEIGHT) {
        throw invalidSpec(`Route 53 weights must be 0–${MAX_WEIGHT}, got blue ${weights.blue} green ${weights.green}`);
      }
      if (!target.objects.length) throw invalidSpec('external-dns driver: no Ingress or Service selected');
      const c = await clusters(region, target);
      const current = await annotatedWeights(region, target);
      // Lower first, raise second: in between, the side being drained never carries more than asked.
      const greenRises = current.some((w) => weights.green > w.green);
      const order: Side[] = greenRises ? ['blue', 'green'] : ['green', 'blue'];
      let changed = false;
      for (const side of order) changed = (await setSide(c[side], target, weights[side])) || changed;
      return changed;
    },

    /** What Route 53 serves when the records are named; otherwise what the annotations ask for. */
    async readWeights(region: string, target: ExternalDnsTarget): Promise<Weights[]> {
      if (target.route53) return readRoute53Weights(aws.route53(), target.route53);
      return annotatedWeights(region, target);
    },
  };
}
