// Driver route53, workflow side: weighted record pairs in one hosted zone (traffic.route53).
// Its resolved settings are also what external-dns's records resolve to.
import { durationMs } from '../duration.js';
import type { Traffic, DriverEntry } from './driver.js';
import type { SpecIssue } from '../spec.js';

const DEFAULTS = {
  blueSetIdentifier: 'blue',
  greenSetIdentifier: 'green',
  /** What EKS Blueprints sets for alias records: Route 53 answers them with the load balancer's 60 s. */
  aliasTtl: '60s',
};

export interface ResolvedRecord {
  name: string;
  type: string;
  blueSetIdentifier: string;
  greenSetIdentifier: string;
}

/** Weighted record pairs in one hosted zone (driver route53, and external-dns's records). */
export interface ResolvedRoute53 {
  hostedZoneId?: string;
  hostedZoneName?: string;
  records: ResolvedRecord[];
  /** How long an alias record (no TTL of its own) is waited for after a change; default 60s. */
  aliasTtl: string;
}

export type Route53Settings = NonNullable<Traffic['route53']>;

export function resolveRoute53(route53: Route53Settings): ResolvedRoute53 {
  return {
    ...route53,
    aliasTtl: route53.aliasTtl ?? DEFAULTS.aliasTtl,
    records: route53.records.map((r) => ({
      name: r.name,
      type: r.type ?? 'CNAME',
      blueSetIdentifier: r.blueSetIdentifier ?? DEFAULTS.blueSetIdentifier,
      greenSetIdentifier: r.greenSetIdentifier ?? DEFAULTS.greenSetIdentifier,
    })),
  };
}

export function zoneIssue(path: string, zone: Route53Settings): SpecIssue[] {
  return zone.hostedZoneId || zone.hostedZoneName ? [] : [{ path, message: 'needs hostedZoneId or hostedZoneName' }];
}

const seconds = (duration: string) => `${durationMs(duration) / 1000} s`;

/** What the alias TTL of `route53` is and where it comes from, for the plan. */
export function aliasTtlNote(route53: ResolvedRoute53, field: string): string {
  return `alias records (no TTL of their own): TTL ${seconds(route53.aliasTtl)} (${field}${route53.aliasTtl === DEFAULTS.aliasTtl ? ', the default' : ''})`;
}

/** What a shift waits for once Route 53 has the new weights. */
export const RECORDS_TTL = "then the records' TTL as Route 53 holds it, read at each change";

const APPLIED_WHEN = 'Route 53 reports the change INSYNC';

export const route53Driver: DriverEntry<'route53', ResolvedRoute53> = {
  field: 'route53',
  resolve: resolveRoute53,
  issues: (settings) => (settings ? zoneIssue('/traffic/route53', settings) : []),
  durations: (settings) => [{ path: '/traffic/route53/aliasTtl', field: 'traffic.route53.aliasTtl', limit: 'route53.aliasTtl', value: settings?.aliasTtl }],
  appliedWhen: () => APPLIED_WHEN,
  appliedWait: (settings) => `${APPLIED_WHEN}, ${RECORDS_TTL}; ${aliasTtlNote(settings, 'traffic.route53.aliasTtl')}`,
};
