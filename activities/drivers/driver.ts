// What every traffic driver does, whatever layer it routes with (DNS records, a load
// balancer listener, annotations, a Service selector): the traffic activities speak only
// this interface, and drivers/index.ts maps the spec's driver name to its implementation.
import { ApplicationFailure } from '@temporalio/common';
import { INVARIANT_VIOLATION } from '../../workflows/failures.js';
import type { Finding, Weights } from '../../workflows/model.js';
import type { AwsClients } from '../aws.js';
import type { SetWeightsResult } from '../contract.js';
import type { ClusterAccess } from '../kubernetes.js';
import { POLL_INTERVAL, pollUntil } from '../poll.js';

/** What drivers are built from; tests point them at moto and local API servers. */
export interface DriverClients {
  aws: AwsClients;
  /** How to reach clusters' API servers (drivers that live in Kubernetes need it). */
  clusters?: ClusterAccess;
}

/** Where a call routes: the region, and the driver's own settings from the resolved spec. */
export interface Routing<Settings> {
  region: string;
  settings: Settings;
}

/** Source of every finding `checkGreen` returns. */
export const GREEN_TARGETS = 'green-targets';

export interface TrafficDriver<Settings> {
  /** What the routing layer serves now, one entry per routed object (record pair, listener, object pair, Service). */
  readWeights(at: Routing<Settings>): Promise<Weights[]>;

  /** Moves every routed object to `weights`, both sides in one change where the layer allows; objects already there are left alone. */
  setWeights(at: Routing<Settings>, weights: Weights, comment: string): Promise<SetWeightsResult>;

  /** Returns once the routing layer serves what `setWeights` asked for (heartbeating meanwhile). */
  waitApplied(at: Routing<Settings>, change: { weights: Weights; changeIds: string[] }): Promise<void>;

  /**
   * Can green take more traffic now? Findings with source GREEN_TARGETS: blocking ones mean
   * "do not shift now", one info finding sums up a clean check. Throws when green cannot be asked.
   */
  checkGreen(at: Routing<Settings>): Promise<Finding[]>;

  /** What checkGreen looks at, to name it when it cannot be checked: "green target group arn:…". */
  greenSubject(settings: Settings): string;

  /**
   * Decommission: blue is no longer routed to (green carries 100 % already): its record or
   * target group is taken out, not left at weight 0, where the layer allows it. Refuses
   * (InvariantViolation) while blue still has weight or green is not routed. A retry finds
   * it done and changes nothing.
   */
  removeBlueRouting(at: Routing<Settings>, comment: string): Promise<BlueRoutingRemoved>;
}

/** What removing blue's routing did, for the audit, and what it left for a person. */
export interface BlueRoutingRemoved {
  /** What was taken out (empty when a retry found it done). */
  removed: string[];
  /** What stays, and who removes it, when not Cutover. */
  left?: string;
}

/** Removing blue's routing would move traffic or leave none: refused, naming why. */
export function routingNotRemovable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INVARIANT_VIOLATION, message, nonRetryable: true });
}

export const ALL_GREEN: Weights = { blue: 0, green: 100 };

/** The result of a change with no change ID to wait on and no TTL to sit out (every driver but route53's). */
export const changeResult = (changed: boolean): SetWeightsResult => ({ changeIds: [], settleSeconds: 0, changed });

/** waitApplied of a driver whose change is applied once reading the weights back shows it everywhere. */
export async function untilReadBack<Settings>(driver: Pick<TrafficDriver<Settings>, 'readWeights'>, at: Routing<Settings>, weights: Weights): Promise<void> {
  const served = (w: Weights) => w.blue === weights.blue && w.green === weights.green;
  await pollUntil(async () => (await driver.readWeights(at)).every(served), {
    describe: `weights blue ${weights.blue} green ${weights.green} served`,
    interval: POLL_INTERVAL.traffic,
  });
}

/** Items named one by one in a finding before the rest is counted. */
const LISTED = 10;

/** The first few items, described and joined by `separator`, then how many more there are. */
export function listSome<T>(items: T[], describe: (item: T) => string, separator: string): string {
  const named = items.slice(0, LISTED).map(describe).join(separator);
  return items.length > LISTED ? `${named}${separator}and ${items.length - LISTED} more` : named;
}
