// Stateful workloads carried over (spec.stateful), the pure part: the spec's references read,
// the checks its schema cannot say, and the zone mapping. The API, the plan and the workflow
// share it; the activities (activities/stateful.ts) do the work.
import type { SpecIssue, StatefulSettings } from './spec.js';

/** A workload of blue scaled to zero while its volumes are copied: "namespace/Kind/name". */
export interface WorkloadRef {
  namespace: string;
  kind: 'StatefulSet' | 'Deployment';
  name: string;
}

export function workloadRef(ref: string): WorkloadRef {
  const [namespace, kind, name] = ref.split('/');
  return { namespace, kind: kind as WorkloadRef['kind'], name };
}

/** One requirement of a label selector: `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a, b)`, `key notin (a, b)`. */
const LABEL_KEY = '([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_VALUE = '([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?';
const REQUIREMENT = new RegExp(
  `^\\s*(!?\\s*${LABEL_KEY}|${LABEL_KEY}\\s*(=|==|!=)\\s*${LABEL_VALUE}|${LABEL_KEY}\\s+(in|notin)\\s*\\(\\s*${LABEL_VALUE}(\\s*,\\s*${LABEL_VALUE})*\\s*\\))\\s*$`,
);

/** Splits a selector at the commas outside parentheses. */
function requirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of selector) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** True when Kubernetes would read `selector` as a label selector. */
export function isLabelSelector(selector: string): boolean {
  return requirements(selector).every((r) => REQUIREMENT.test(r));
}

/** What `stateful` says that cannot work, each at its field. */
export function statefulIssues(stateful: StatefulSettings, region: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const seen = new Map<string, number>();
  (stateful.claims ?? []).forEach((claim, i) => {
    if (typeof claim === 'string') {
      const first = seen.get(claim);
      if (first !== undefined) issues.push({ path: `/stateful/claims/${i}`, message: `"${claim}" is also /stateful/claims/${first}: each claim once` });
      else seen.set(claim, i);
    } else if (!isLabelSelector(claim.selector)) {
      issues.push({ path: `/stateful/claims/${i}/selector`, message: `"${claim.selector}" is not a label selector (key, !key, key=value, key!=value, key in (a,b), key notin (a,b), comma-separated)` });
    }
  });
  for (const [blueZone, greenZone] of Object.entries(stateful.zones ?? {})) {
    for (const [zone, side] of [[blueZone, "blue's"], [greenZone, "green's"]] as const) {
      if (!zone.startsWith(`${region}`)) {
        issues.push({ path: `/stateful/zones/${blueZone.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `${side} zone ${zone} is not in region ${region}: EBS snapshots and volumes stay in the migration's region` });
      }
    }
  }
  return issues;
}

/** Green's zone for a copy of a volume in blue's `zone`: the spec's mapping, else the same zone. */
export function greenZoneFor(stateful: Pick<StatefulSettings, 'zones'>, zone: string): string {
  return stateful.zones?.[zone] ?? zone;
}

/** What the carry-over does, in words, for the plan. */
export function describeCarryOver(stateful: StatefulSettings): string[] {
  const claims = stateful.claims
    ? stateful.claims.map((c) => (typeof c === 'string' ? c : `${c.namespace}: ${c.selector}`)).join(', ')
    : 'every PersistentVolumeClaim in blue bound to an EBS volume';
  const quiesce =
    stateful.quiesce.mode === 'gate'
      ? "gate stateful: a person confirms that writes to blue's carried volumes have stopped"
      : `scale ${stateful.quiesce.workloads.join(', ')} in blue to 0 and wait until their pods are gone (replicas restored on rollback or cancel)`;
  return [
    `claims: ${claims}`,
    `quiesce: ${quiesce}`,
    'snapshot each EBS volume (tagged with the migration; progress in the status)',
    "create a volume from each snapshot in green's zone (encryption and KMS key kept), tagged with the migration",
    'create the PersistentVolume (ebs.csi.aws.com) and the claim in green, pre-bound to each other, and wait until Bound',
  ];
}
