// The external-dns driver (the EKS Blueprints blue/green pattern): each cluster runs its own
// external-dns, which writes that cluster's weighted Route 53 record from annotations on its
// Ingresses/Services. Shifting traffic = setting `aws-weight` on the selected objects in
// both clusters; applied = Route 53 serves the new weights (when the records are named).
// Two clusters cannot be patched in one call: green's share goes up only after blue's went
// down (and the reverse), so Route 53 never gives green more than asked in between.
// With the records named, a shift then sits out Route 53's propagation and the records' TTL.
// Before a shift, green's side must be publishable: its objects exist with a set identifier
// and a load balancer address, and (when the records are named) its record is in Route 53.
// The settings (traffic.externalDns, defaults filled in by resolveSpec) name the
// Ingresses/Services; the same kind/namespace/name exists in blue and in green.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { Finding, Weights } from '../../workflows/model.js';
import { ROUTE53_PROPAGATION_SECONDS, type ResolvedExternalDns } from '../../workflows/drivers/external-dns.js';
import { FAILURE, invalidSpec, notFound } from '../errors.js';
import { kubeFailure, readObject, requireCluster, type KubeCluster } from '../kubernetes.js';
import { checkRoute53Weights, readRoute53Settle, readRoute53Weights } from '../route53.js';
import { ALL_GREEN, changeResult, GREEN_TARGETS, untilReadBack, type DriverClients, type TrafficDriver } from './driver.js';

export const AWS_WEIGHT = 'external-dns.alpha.kubernetes.io/aws-weight';
export const SET_IDENTIFIER = 'external-dns.alpha.kubernetes.io/set-identifier';
const API_VERSION: Record<string, string> = { Ingress: 'networking.k8s.io/v1', Service: 'v1' };

function apiVersionOf(kind: string): string {
  const apiVersion = API_VERSION[kind];
  if (!apiVersion) throw invalidSpec(`external-dns driver: kind ${kind} is not supported (Ingress or Service)`);
  return apiVersion;
}

type Side = 'blue' | 'green';

async function objectsOf(cluster: KubeCluster, target: ResolvedExternalDns): Promise<KubernetesObject[]> {
  const found: KubernetesObject[] = [];
  for (const ref of target.objects) {
    const apiVersion = apiVersionOf(ref.kind);
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

export function createExternalDnsDriver({ aws, clusters: access }: DriverClients): TrafficDriver<ResolvedExternalDns> {
  const clusters = async (region: string, target: ResolvedExternalDns): Promise<Record<Side, KubeCluster>> => {
    const [blue, green] = await Promise.all([requireCluster(access, target.blueCluster, region), requireCluster(access, target.greenCluster, region)]);
    return { blue, green };
  };

  /** Sets one side's annotation on every selected object that does not have it yet; true when any changed. */
  async function setSide(cluster: KubeCluster, target: ResolvedExternalDns, weight: number): Promise<boolean> {
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
  async function annotatedWeights(region: string, target: ResolvedExternalDns): Promise<Weights[]> {
    const c = await clusters(region, target);
    const [blue, green] = await Promise.all([objectsOf(c.blue, target), objectsOf(c.green, target)]);
    return blue.map((b, i) => ({ blue: weightOf(b) ?? 0, green: weightOf(green[i]) ?? 0 }));
  }

  const driver: TrafficDriver<ResolvedExternalDns> = {
    /** What Route 53 serves when the records are named; otherwise what the annotations ask for. */
    async readWeights({ region, settings }) {
      if (settings.route53) return readRoute53Weights(aws.route53(region), settings.route53);
      return annotatedWeights(region, settings);
    },

    async setWeights({ region, settings }, weights) {
      checkRoute53Weights(weights);
      if (!settings.objects.length) throw invalidSpec('external-dns driver: no Ingress or Service selected');
      const c = await clusters(region, settings);
      const current = await annotatedWeights(region, settings);
      // Lower first, raise second: in between, the side being drained never carries more than asked.
      const greenRises = current.some((w) => weights.green > w.green);
      const order: Side[] = greenRises ? ['blue', 'green'] : ['green', 'blue'];
      // Once Route 53 holds the weights (waitApplied), its name servers still need to get them,
      // and resolvers may keep the old answer for the records' TTL: both are sat out. Read
      // before anything is written, so a failed read leaves the annotations as they were; not
      // for all traffic on blue (a rollback or cancel): the workflow sits out only forward
      // changes, and a rollback must not hang on reading Route 53.
      const ttl = settings.route53 && weights.green > 0 ? await readRoute53Settle(aws.route53(region), settings.route53) : undefined;
      let changed = false;
      for (const side of order) changed = (await setSide(c[side], settings, weights[side])) || changed;
      if (!ttl) return changeResult(changed);
      const propagation = `Route 53 propagation ${ROUTE53_PROPAGATION_SECONDS} s (external-dns's change cannot be asked for INSYNC)`;
      return { ...changeResult(changed), settleSeconds: ROUTE53_PROPAGATION_SECONDS + ttl.seconds, settleReason: ttl.reason ? `${propagation}, then ${ttl.reason}` : propagation };
    },

    /** Applied once Route 53 serves the weights (external-dns has caught up) when the records are named; otherwise once annotated. */
    waitApplied: (at, { weights }) => untilReadBack(driver, at, weights),

    /** Green's objects (and, when named, its record in Route 53): blocking for each that cannot carry traffic yet. */
    async checkGreen({ region, settings }) {
      const source = GREEN_TARGETS;
      const green = await requireCluster(access, settings.greenCluster, region);
      const findings: Finding[] = [];
      for (const ref of settings.objects) {
        const apiVersion = apiVersionOf(ref.kind);
        const obj = await readObject<Published>(green, { apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name });
        const problem = obj ? unpublishable(obj) : `does not exist`;
        if (problem) findings.push({ severity: 'blocking', source, message: `${ref.kind} ${ref.namespace}/${ref.name} in green ${settings.greenCluster} ${problem}` });
      }
      if (settings.route53) {
        try {
          await readRoute53Weights(aws.route53(region), settings.route53);
        } catch (err) {
          if (!(err instanceof ApplicationFailure) || err.type !== FAILURE.notFound) throw err;
          findings.push({ severity: 'blocking', source, message: `Route 53 cannot weigh green yet: ${err.message} (external-dns in green publishes green's record once its objects are ready)` });
        }
      }
      if (!findings.length) {
        findings.push({ severity: 'info', source, message: `green ${settings.greenCluster}: ${settings.objects.length} object(s) ready for external-dns${settings.route53 ? ', weighted records in Route 53' : ''}` });
      }
      return findings;
    },

    greenSubject: (settings) => `green ${settings.greenCluster}'s external-dns objects`,

    // Blue's external-dns owns blue's record and would re-create it while blue's objects
    // exist: the record stays at weight 0 until decommissioning deletes those objects (blue's
    // Ingresses and LoadBalancer Services), upon which blue's external-dns deletes it.
    async removeBlueRouting(at, comment) {
      const { changed } = await driver.setWeights(at, ALL_GREEN, comment);
      return {
        removed: changed ? [`blue's ${AWS_WEIGHT} set to 0`] : [],
        left: `blue's weighted record stays at weight 0 until blue's external-dns deletes it with blue's Ingresses and LoadBalancer Services (its --policy sync, the default; with upsert-only, delete the record by hand)`,
      };
    },
  };
  return driver;
}
