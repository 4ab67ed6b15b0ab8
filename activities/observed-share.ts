// The observed-share check after each step: the share of traffic green really carries, read
// through the metric signals, must come within a tolerance of the weight the step set: polled
// until it does, or answered with the last reading at the workflow's deadline (poll.ts
// pollUntilWithin; the workflow holds the run then).
import type { ObservedShareInput, ObservedShareResult } from './contract.js';
import { pollUntilWithin } from './poll.js';
import { NOT_READ, readingInterval, type Signals } from './signals/index.js';

type Side = 'green' | 'blue';

export function createObservedShareActivities(signals: Signals) {
  /** One side's traffic over the window that ends now; undefined with no data. */
  const read = ({ check, region, ...clusters }: ObservedShareInput, side: Side) => signals.measureSource(check[side], clusters[side], region, check.window);

  /** Green's share in percent, or why there is none: no data, no traffic at all, or a read's error. */
  async function share(input: ObservedShareInput): Promise<{ observed?: number; reason?: string }> {
    let green: number | undefined;
    let blue: number | undefined;
    try {
      [green, blue] = await Promise.all([read(input, 'green'), read(input, 'blue')]);
    } catch (err) {
      return { reason: `${NOT_READ}${(err as Error).message}` };
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
      return pollUntilWithin(
        async () => {
          const { observed, reason: unread } = await share(input);
          const off = observed === undefined ? undefined : Math.abs(observed - intended);
          const reason = unread ?? (off! > check.tolerance ? `green carries ${observed} %, ${Math.round(off! * 10) / 10} points off ${intended} % (tolerance ${check.tolerance})` : undefined);
          return { reading: { ...(observed !== undefined && { observed }) }, reason };
        },
        {
          describe: `green's share of traffic within ${check.tolerance} points of ${intended} %`,
          interval: readingInterval(check.window),
          deadline: input.deadline,
          progress: ({ reading, reason }, _since, at) => ({ intended, ...reading, tolerance: check.tolerance, ...(reason && { reason }), at }),
        },
      );
    },
  };
}
