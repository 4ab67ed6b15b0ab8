// The external-dns driver (the EKS Blueprints blue/green pattern): each cluster runs its own
// external-dns, which writes that cluster's weighted Route 53 record from annotations on its
// Ingresses/Services. Shifting traffic = setting `aws-weight` on the selected objects in
// both clusters; applied = Route 53 serves the new weights (when the records are named).
// Two clusters cannot be patched in one call: green's share goes up only after blue's went
// down (and the reverse), so Route 53 never gives green more than asked in between.
// Before a shift, green's side must be publishable: its objects exist with a set identifier
// and a load balancer address, and (when the records are named) its record is in Route 53.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { Finding, Weights } from '../workflows/model.js';
import type { AwsClients } from './aws.js';
import type { ExternalDnsTarget } from './contract.js';
import { FAILURE, invalidSpec, notFound } from './errors.js';
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

type Published = KubernetesObject & { spec?: { type?: string }; status?: { loadBalancer?: { ingress?: unknown[] } } };

/** What keeps external-dns in green from publishing green's weighted record for `obj`, if anything. */
function unpublishable(obj: Published): string | undefined {
  if (!obj.metadata?.annotations?.[SET_IDENTIFIER]) return `has no ${SET_IDENTIFIER} annotation, so external-dns writes no weighted record for it`;
  // external-dns points the record at the load balancer the status names; ClusterIP/NodePort Services have none to wait for.
  const hasLoadBalancer = obj.kind === 'Ingress' || obj.spec?.type === 'LoadBalancer';
  if (hasLoadBalancer && !obj.status?.loadBalancer?.ingress?.length) return 'has no load balancer address yet (status.loadBalancer.ingress is empty), so external-dns has nothing to publish';
  return undefined;
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

    /** Green's objects (and, when named, its record in Route 53) as findings: blocking for each that cannot carry traffic yet. */
    async greenFindings(region: string, target: ExternalDnsTarget, source: string): Promise<Finding[]> {
      const green = await requireCluster(access, target.greenCluster, region);
      const findings: Finding[] = [];
      for (const ref of target.objects) {
        const apiVersion = API_VERSION[ref.kind];
        if (!apiVersion) throw invalidSpec(`external-dns driver: kind ${ref.kind} is not supported (Ingress or Service)`);
        const obj = await readObject<Published>(green, { apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name });
        const problem = obj ? unpublishable(obj) : `does not exist`;
        if (problem) findings.push({ severity: 'blocking', source, message: `${ref.kind} ${ref.namespace}/${ref.name} in green ${target.greenCluster} ${problem}` });
      }
      if (target.route53) {
        try {
          await readRoute53Weights(aws.route53(), target.route53);
        } catch (err) {
          if (!(err instanceof ApplicationFailure) || err.type !== FAILURE.notFound) throw err;
          findings.push({ severity: 'blocking', source, message: `Route 53 cannot weigh green yet: ${err.message} (external-dns in green publishes green's record once its objects are ready)` });
        }
      }
      if (!findings.length) {
        findings.push({ severity: 'info', source, message: `green ${target.greenCluster}: ${target.objects.length} object(s) ready for external-dns${target.route53 ? ', weighted records in Route 53' : ''}` });
      }
      return findings;
    },
  };
}
