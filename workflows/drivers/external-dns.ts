// Driver external-dns, workflow side: objects in both clusters whose aws-weight annotation
// external-dns turns into weighted records (traffic.externalDns).
import type { ExternalDnsObject } from '../spec.js';
import type { SpecIssue } from '../spec.js';
import { clusterName } from '../migration-id.js';
import type { DriverEntry } from './driver.js';
import { aliasTtlNote, RECORDS_TTL, resolveRoute53, zoneIssue, type ResolvedRoute53 } from './route53.js';

/**
 * Route 53 propagates a change to all its name servers "generally within 60 seconds" (AWS).
 * external-dns makes its own changes, whose IDs Cutover cannot ask GetChange about, so a
 * shift through external-dns waits this long once Route 53 holds the new weights.
 */
export const ROUTE53_PROPAGATION_SECONDS = 60;

/** traffic.externalDns with its defaults: the activities' ExternalDnsTarget. */
export interface ResolvedExternalDns {
  /** Default: the spec's blue.cluster. */
  blueCluster: string;
  /** Default: the spec's green.cluster. */
  greenCluster: string;
  objects: ExternalDnsObject[];
  /** The weighted records external-dns writes; when given, "applied" means Route 53 serves the weights. */
  route53?: ResolvedRoute53;
}

const appliedWhen = (settings: ResolvedExternalDns | undefined) =>
  settings?.route53 ? 'Route 53 holds the weights external-dns writes' : 'the aws-weight annotations read back in both clusters';

export const externalDnsDriver: DriverEntry<'externalDns', ResolvedExternalDns> = {
  field: 'externalDns',
  resolve: (externalDns, spec) => ({
    blueCluster: externalDns.blueCluster ?? clusterName(spec.blue),
    greenCluster: externalDns.greenCluster ?? clusterName(spec.green),
    objects: externalDns.objects.map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name })),
    ...(externalDns.route53 && { route53: resolveRoute53(externalDns.route53) }),
  }),

  issues(x, spec) {
    if (!x) return [];
    const issues: SpecIssue[] = [];
    if (x.route53) issues.push(...zoneIssue('/traffic/externalDns/route53', x.route53));
    const blue = x.blueCluster ?? clusterName(spec.blue);
    const green = x.greenCluster ?? clusterName(spec.green);
    if (blue === green) {
      issues.push({
        path: x.greenCluster !== undefined ? '/traffic/externalDns/greenCluster' : '/traffic/externalDns/blueCluster',
        message: `blue and green objects must live in different clusters (both are ${blue}); for one cluster use driver service-selector`,
      });
    }
    const seen = new Map<string, number>();
    x.objects.forEach((o, i) => {
      const key = `${o.kind}/${o.namespace}/${o.name}`;
      const first = seen.get(key);
      if (first !== undefined) issues.push({ path: `/traffic/externalDns/objects/${i}`, message: `same object as /traffic/externalDns/objects/${first}` });
      else seen.set(key, i);
    });
    return issues;
  },

  durations: (settings) => [
    { path: '/traffic/externalDns/route53/aliasTtl', field: 'traffic.externalDns.route53.aliasTtl', limit: 'route53.aliasTtl', value: settings?.route53?.aliasTtl },
  ],
  misplaced: { route53: 'the records external-dns writes go in /traffic/externalDns/route53' },

  appliedWhen,
  appliedWait(settings) {
    const r53 = settings?.route53;
    if (!r53) return `${appliedWhen(settings)}; no DNS wait: no Route 53 records named (traffic.externalDns.route53)`;
    const propagation = `${ROUTE53_PROPAGATION_SECONDS} s for Route 53 to propagate them (INSYNC: external-dns's own change cannot be asked about)`;
    return `${appliedWhen(settings)}, then ${propagation}, ${RECORDS_TTL}; ${aliasTtlNote(r53, 'traffic.externalDns.route53.aliasTtl')}`;
  },
};
