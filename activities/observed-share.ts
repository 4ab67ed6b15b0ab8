// The observed-share check after each step: the share of traffic green really carries, read
// through the metric signals, must come within a tolerance of the weight the step set. Polled
// with heartbeats until it does, or answered with the last reading at the workflow's deadline
// (the workflow holds the run then).
import { durationMs } from '../workflows/duration.js';
import type { ObservedShareInput, ObservedShareResult } from './contract.js';
import { pollUntil } from './poll.js';
import { forCluster, type Signals } from './signals/index.js';

/** Readings per window: a share that settles is seen soon, a slow source is not hammered. */
const READINGS_PER_WINDOW = 10;
const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 30_000;

type Side = 'green' | 'blue';

export function createObservedShareActivities(signals: Signals) {
  /** One side's traffic over the window that ends now; undefined with no data. */
  function read({ check, region, ...clusters }: ObservedShareInput, side: Side): Promise<number | undefined> {
    const source = check[side];
    if (source.prometheus) return signals.measure({ kind: 'prometheus', server: source.prometheus.server }, forCluster(source.prometheus.query, clusters[side]), check.window);
    return signals.measure({ kind: 'cloudwatch', region }, { metric: source.cloudwatch!.metric, dividedBy: source.cloudwatch!.dividedBy }, check.window);
  }

  /** Green's share in percent, or why there is none: no data, no traffic at all, or a read's error. */
  async function share(input: ObservedShareInput): Promise<{ observed?: number; reason?: string }> {
    let green: number | undefined;
    let blue: number | undefined;
    try {
      [green, blue] = await Promise.all([read(input, 'green'), read(input, 'blue')]);
    } catch (err) {
      return { reason: `not read: ${(err as Error).message}` };
    }
    if (green === undefined || blue === undefined) return { reason: `no data from ${[green === undefined && 'green', blue === undefined && 'blue'].filter(Boolean).join(' and ')}` };
    if (green + blue <= 0) return { reason: 'no traffic on either cluster over the window' };
    return { observed: Math.round((green / (green + blue)) * 1000) / 10 };
  }

  return {
    /**
     * Waits until green's share of traffic, green / (green + blue) over the window, is within
     * the tolerance of the step's weight. Readings only: a retry reads again.
     */
    async waitObservedShare(input: ObservedShareInput): Promise<ObservedShareResult> {
      const { check, intended } = input;
      const interval = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.round(durationMs(check.window) / READINGS_PER_WINDOW)));
      return pollUntil(
        async (round): Promise<ObservedShareResult | undefined> => {
          const at = new Date().toISOString();
          const { observed, reason: unread } = await share(input);
          const off = observed === undefined ? undefined : Math.abs(observed - intended);
          const reason = unread ?? (off! > check.tolerance ? `green carries ${observed} %, ${Math.round(off! * 10) / 10} points off ${intended} % (tolerance ${check.tolerance})` : undefined);
          round.progress = { intended, ...(observed !== undefined && { observed }), tolerance: check.tolerance, ...(reason && { reason }), at };
          const reading = { ...(observed !== undefined && { observed }), at };
          if (reason === undefined) return { within: true, ...reading };
          if (!round.last) return undefined;
          return { within: false, ...reading, reason };
        },
        { describe: `green's share of traffic within ${check.tolerance} points of ${intended} %`, interval: `${interval}ms`, deadline: input.deadline },
      );
    },
  };
}
