// Decommission inside blue's cluster, before the cluster goes: blue's Ingresses and
// LoadBalancer Services are deleted so that the controller that made their load balancers
// (AWS Load Balancer Controller, the in-tree cloud provider) deletes those too, and the wait
// for them to be gone (their finalizers are removed by that controller once the load balancer
// is deleted); and the retained volumes that outlive the cluster, as findings. A cluster's
// node groups and the cluster itself are deleted only after the wait (activities/eks.ts).
import { DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Finding } from '../workflows/model.js';
import type { AwsClients } from './aws.js';
import { awsFailure } from './errors.js';
import type { BlueCluster, BlueLoadBalancers, LoadBalancersGone } from './contract.js';
import { gibibytes, statefulInventory } from './kube-audit.js';
import { describeObject, kubeFailure, listAll, statusOf, type ClusterAccess, type KubeCluster } from './kubernetes.js';
import { POLL_INTERVAL, pollUntil } from './poll.js';

/**
 * The label that keeps an object (and its load balancer) out of the decommission: for a load
 * balancer that is not blue's alone (an ALB that also forwards to green, one another team
 * uses). Kept objects are named in the result; their load balancers outlive blue unmanaged.
 */
export const KEEP_LABEL = 'cutover.io/decommission';
export const KEEP_VALUE = 'keep';

/** The kinds whose objects own a cloud load balancer. */
const LOAD_BALANCER_KINDS = [
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', ownsLoadBalancer: () => true },
  { apiVersion: 'v1', kind: 'Service', ownsLoadBalancer: (o: LbObject) => o.spec?.type === 'LoadBalancer' },
] as const;

type LbObject = KubernetesObject & { spec?: { type?: string }; status?: { loadBalancer?: { ingress?: { hostname?: string }[] } } };

/** Findings named one by one before the rest is counted. */
const LISTED = 25;

export interface TeardownOptions {
  /** Tests narrow the teardown to their own namespaces; production covers every namespace. */
  namespaces?: string[];
}

const named = (o: KubernetesObject) => describeObject({ kind: o.kind, namespace: o.metadata?.namespace, name: o.metadata?.name });

/** Why an object stays: the keep label, or its load balancer is the one the alb driver routes green through. */
function keptBecause(o: LbObject, shared: string | undefined): string | undefined {
  if (o.metadata?.labels?.[KEEP_LABEL] === KEEP_VALUE) return `labelled ${KEEP_LABEL}: ${KEEP_VALUE}`;
  const hostnames = (o.status?.loadBalancer?.ingress ?? []).map((i) => i.hostname?.toLowerCase());
  if (shared && hostnames.includes(shared)) return `its load balancer ${shared} holds the alb driver's listener, which forwards to green`;
  return undefined;
}

export function createBlueTeardown(access: ClusterAccess | undefined, aws: AwsClients, opts: TeardownOptions = {}) {
  /** The DNS name of the load balancer of the alb driver's listener, when the input names one. */
  async function sharedLoadBalancer(input: BlueCluster): Promise<string | undefined> {
    if (!input.albListenerArn) return undefined;
    const elb = aws.elbv2(input.region);
    const listener = await elb.send(new DescribeListenersCommand({ ListenerArns: [input.albListenerArn] })).catch((err) => {
      throw awsFailure(err, `ALB listener ${input.albListenerArn}`);
    });
    const arn = listener.Listeners?.[0]?.LoadBalancerArn;
    if (!arn) return undefined;
    const lb = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })).catch((err) => {
      throw awsFailure(err, `load balancer ${arn}`);
    });
    return lb.LoadBalancers?.[0]?.DNSName?.toLowerCase();
  }

  const connect = (input: BlueCluster): Promise<KubeCluster | undefined> => access?.connect(input.cluster, input.region, input.blueContext) ?? Promise.resolve(undefined);
  const noAccess = (input: BlueCluster) => `no API access to ${input.cluster} configured on this worker`;

  /** Blue's Ingresses and LoadBalancer Services, in every namespace (or the test's). */
  async function loadBalancerObjects(cluster: KubeCluster): Promise<LbObject[]> {
    const found: LbObject[] = [];
    for (const { apiVersion, kind, ownsLoadBalancer } of LOAD_BALANCER_KINDS) {
      for (const namespace of opts.namespaces ?? [undefined]) {
        const items = await listAll<LbObject>(cluster, apiVersion, kind, { namespace });
        // A list's items carry no kind: set it, so every message names the object in full.
        found.push(...items.map((o) => ({ ...o, apiVersion, kind })).filter(ownsLoadBalancer));
      }
    }
    return found;
  }

  return {
    /**
     * Deletes blue's Ingresses and LoadBalancer Services but those labelled
     * `cutover.io/decommission: keep` and those whose load balancer holds the alb driver's
     * listener (`albListenerArn`): deleting them would delete green's way in. Objects already being deleted are not asked again,
     * and one gone meanwhile counts as deleted: a retry changes nothing.
     */
    async deleteBlueLoadBalancers(input: BlueCluster): Promise<BlueLoadBalancers> {
      const cluster = await connect(input);
      if (!cluster) return { deleted: [], deleting: [], kept: [], skipped: `${noAccess(input)}: its Ingresses and LoadBalancer Services were not deleted` };
      const shared = await sharedLoadBalancer(input);
      const result: BlueLoadBalancers = { deleted: [], deleting: [], kept: [] };
      for (const obj of await loadBalancerObjects(cluster)) {
        const why = keptBecause(obj, shared);
        if (why) {
          result.kept.push(`${named(obj)} (${why})`);
          continue;
        }
        if (obj.metadata?.deletionTimestamp) {
          result.deleting.push(named(obj));
          continue;
        }
        try {
          await cluster.objects.delete({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace } });
        } catch (err) {
          if (statusOf(err) !== 404) throw kubeFailure(err, `deleting ${named(obj)} in ${cluster.name}`);
        }
        result.deleted.push(named(obj));
      }
      return result;
    },

    /**
     * Waits until none of blue's Ingresses and LoadBalancer Services is left (but the kept
     * ones), heartbeating; at `deadline` (epoch ms, the workflow's) it answers with those
     * still there, each with its finalizers (what still holds it), instead of failing.
     */
    async waitBlueLoadBalancersGone(input: BlueCluster & { deadline: number }): Promise<LoadBalancersGone> {
      const cluster = await connect(input);
      if (!cluster) return { gone: true, remaining: [] };
      const shared = await sharedLoadBalancer(input);
      return pollUntil(
        async (round) => {
          const left = (await loadBalancerObjects(cluster)).filter((o) => !keptBecause(o, shared));
          if (left.length === 0) return { gone: true, remaining: [] };
          const remaining = left.map((o) => {
            const finalizers = o.metadata?.finalizers ?? [];
            if (!o.metadata?.deletionTimestamp) return `${named(o)} (not being deleted: made again after the deletion?)`;
            return finalizers.length ? `${named(o)} (finalizers ${finalizers.join(', ')})` : named(o);
          });
          round.progress = { remaining: remaining.slice(0, LISTED) };
          return round.last ? { gone: false, remaining } : undefined;
        },
        { describe: `blue ${input.cluster}'s Ingresses and LoadBalancer Services gone`, interval: POLL_INTERVAL.eks, deadline: input.deadline },
      );
    },

    /**
     * Blue's retained PersistentVolumes (reclaimPolicy Retain, bound to a claim or Released):
     * their disks outlive the cluster and are billed until someone deletes them. Warnings
     * that say what a person must do. Read-only.
     */
    async retainedVolumeFindings(input: BlueCluster): Promise<Finding[]> {
      const source = 'decommission';
      const cluster = await connect(input);
      if (!cluster) return [{ severity: 'info', source, message: `${noAccess(input)}: its retained PersistentVolumes were not looked for` }];
      const volumes = (await statefulInventory(cluster, { namespaces: opts.namespaces })).retainedVolumes.filter((v) => v.claim || v.phase === 'Released');
      const findings = volumes.slice(0, LISTED).map(
        (v): Finding => ({
          severity: 'warning',
          source,
          message:
            `PersistentVolume ${v.name} of blue ${input.cluster} (reclaimPolicy Retain, ${v.storageClasses.join(', ')}, ${gibibytes(v.bytes)}` +
            `${v.phase === 'Released' ? `, Released${v.claim ? ` by ${v.claim}` : ''}` : `, bound to ${v.claim}`}${v.volumeHandle ? `, volume ${v.volumeHandle}` : ''}) outlives blue's deletion and stays billed: ` +
            `keep a snapshot if its data may be needed, then delete the volume${v.volumeHandle ? ` (${v.volumeHandle})` : ''} in the cloud account`,
        }),
      );
      if (volumes.length > LISTED) findings.push({ severity: 'warning', source, message: `…and ${volumes.length - LISTED} more retained PersistentVolumes of blue ${input.cluster}` });
      return findings;
    },
  };
}
