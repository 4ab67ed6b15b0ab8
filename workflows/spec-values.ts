// The spec's plain values that workflow code reads: the bounds of every duration, the
// placeholder of a cluster's name in PromQL, the weekdays (the phases a metric check runs in
// are the watched phases of model.ts). Free of TypeBox, so the workflow bundle does not carry it:
// a bundle's modules are evaluated again for every workflow a worker caches, and TypeBox cost
// about 0.5 MB of memory for each parked migration.

export interface DurationLimit {
  /** The least value and why; `exclusive` when a value must be more than it. */
  least: { value: string; exclusive?: boolean; why?: string };
  /** The most, and why: past it a value is a typo, or a wait nobody would watch. */
  most: { value: string; why: string };
}

/**
 * Bounds of every duration a spec can set, by field. The least keeps a loop from spinning; the
 * most keeps every wait one a person would watch and every timer's end a date Temporal and
 * JavaScript can hold ("300000 years" would break the workflow once its timer starts).
 */
export const DURATION_LIMITS = {
  'traffic.observe': {
    least: { value: '0s' },
    most: { value: '7 days', why: 'each step holds traffic split between the clusters this long; hold a step longer with stepApproval manual' },
  },
  bake: {
    least: { value: '0s' },
    most: { value: '365 days', why: 'green carries all traffic under the health watcher this long before the freeze; longer than a year is a typo' },
  },
  freeze: {
    least: { value: '0s' },
    most: { value: '365 days', why: 'blue is kept idle this long before the decommission gate; longer than a year is a typo' },
  },
  'route53.aliasTtl': {
    least: { value: '0s' },
    most: { value: '1h', why: "each step waits this long after Route 53 is INSYNC; an alias record answers with its target's TTL (60 s for a load balancer), and an hour per step is a typo" },
  },
  'health.interval': {
    least: { value: '1s', why: 'the health watcher checks green once per interval, and 0 would check in a tight loop' },
    most: { value: '1h', why: 'a breach must be seen in time to roll back, and checks further apart leave green unwatched' },
  },
  'health.smoke[].timeout': {
    least: { value: '0s', exclusive: true, why: 'the HTTP client reads 0 as no time limit, and a check that hangs stalls validation and the health watcher' },
    most: { value: '5m', why: 'a check that takes longer holds validation and the health watcher; a healthy endpoint answers in seconds' },
  },
  'health.metrics[].window': {
    least: { value: '10s', why: 'a metric check reads its query over this window, and a shorter one holds too few samples (scrapes, CloudWatch periods) to judge green by' },
    most: { value: '1 day', why: 'a metric check judges what green does now; a window further back still shows what it did long ago' },
  },
  'decommission.drain.window': {
    least: { value: '10s', why: "the drain check reads blue's traffic over this window, and a shorter one holds too few samples (scrapes, CloudWatch periods) to tell idle from quiet" },
    most: { value: '1 day', why: 'blue must stay under the threshold this long before it is deleted; longer is a typo' },
  },
  'decommission.drain.within': {
    least: { value: '1m', why: "blue's traffic is waited for this long before the migration is held; less gives clients no time to leave blue" },
    most: { value: '1 day', why: "a blue still busy after a day needs a person, not a longer wait" },
  },
  'decommission.lastDelay': {
    least: { value: '0s' },
    most: { value: '7 days', why: 'blue waits this long, announced and cancellable, after the decommission gate before anything of it is deleted; a longer delay is a typo' },
  },
  'traffic.observedShare.window': {
    least: { value: '10s', why: "the share of traffic is read over this window, and a shorter one holds too few samples (scrapes, CloudWatch periods) to tell one cluster's share" },
    most: { value: '1 day', why: 'the share must show what the routing does now; a longer window still shows the split before the step' },
  },
  'traffic.observedShare.within': {
    least: { value: '1m', why: 'each step waits this long for the share to follow the weights before the migration is held; less gives clients no time to move' },
    most: { value: '1 day', why: 'a share still off after a day needs a person, not a longer wait' },
  },
  'approvals.reminderInterval': {
    least: { value: '1m', why: 'a pending gate notifies its approvers again every interval, and 0 would notify in a loop' },
    most: { value: '1 day', why: 'a pending gate nobody hears about for longer is forgotten' },
  },
  'approvals.expiresAfter': {
    least: { value: '1m', why: 'a gate that expires sooner gives nobody time to read what it asks' },
    most: { value: '30 days', why: 'a gate left pending longer is forgotten; expire it sooner and escalate' },
  },
  'approvals.escalate.after': {
    least: { value: '1m', why: 'the escalation channel needs time to answer before the gate acts' },
    most: { value: '30 days', why: 'an escalation nobody answers for longer is forgotten' },
  },
  'gitops.syncTimeout': {
    least: { value: '1m', why: 'bootstrapping waits that long for GitOps to sync green, and less sends every migration to gate bootstrap-override' },
    most: { value: '1 day', why: 'bootstrapping waits that long before a person is asked (gate bootstrap-override); a sync that takes longer needs one' },
  },
} as const satisfies Record<string, DurationLimit>;

/** One duration a spec sets: where, how a message names it, and which of DURATION_LIMITS bounds it. */
export interface DurationField {
  path: string;
  /** How a message names it, e.g. health.smoke[1].timeout. */
  field: string;
  limit: keyof typeof DURATION_LIMITS;
  value: string | undefined;
}

/** A placeholder in a PromQL query that each side's cluster name replaces. */
export const CLUSTER_PLACEHOLDER = '{{cluster}}';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * The kinds of gate an approval policy is set for: `cutover`, every manual step's gate (`step`),
 * a promote to 100 % (`promote`), `decommission`, and the overrides of a blocking preflight or
 * bootstrap (`override`), and the confirmation that writes to blue's carried volumes stopped (`stateful`).
 */
export const GATE_KINDS = ['cutover', 'step', 'promote', 'decommission', 'override', 'stateful'] as const;
export type GateKind = (typeof GATE_KINDS)[number];
/** What a gate does when its policy's time runs out (`escalate` tells a channel, then does its `then`). */
export const EXPIRY_ACTIONS = ['reject', 'hold', 'escalate'] as const;
export type ExpiryAction = (typeof EXPIRY_ACTIONS)[number];
/** A named approval policy (service settings), a group, a team: the names a spec may use. */
export const POLICY_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
/** A team's name, in a spec (`team`), in the API's CUTOVER_TEAMS and in the CutoverTeam search attribute (quoted in list queries, so no quote can be in it). */
export const TEAM_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

/** The kinds of workload `stateful.quiesce.workloads` may scale to zero in blue. */
export const QUIESCE_KINDS = ['StatefulSet', 'Deployment'] as const;
/** How blue's writes stop before its volumes are copied: a person confirms it (gate `stateful`), or the named workloads scale to zero. */
export const QUIESCE_MODES = ['gate', 'scale-to-zero'] as const;
