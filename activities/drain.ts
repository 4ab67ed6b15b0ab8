// The drain check before blue is deleted: blue's traffic, read through the metric signals,
// must stay under a threshold for a whole window: polled until it holds, or answered with the
// last reading at the workflow's deadline (poll.ts pollUntilWithin; the workflow holds the run then).
import type { Finding } from '../workflows/model.js';
import type { DrainInput, DrainResult } from './contract.js';
import { pollUntilWithin } from './poll.js';
import { NOT_READ, readingInterval, type Signals } from './signals/index.js';

export function createDrainActivities(signals: Signals) {
  /** Blue's traffic over the window that ends now; undefined with no data. */
  const read = ({ drain, region, blue }: Omit<DrainInput, 'deadline'>) => signals.measureSource(drain, blue, region, drain.window);

  return {
    /**
     * The drain check's source read once, at validation: one that cannot be read (an unknown
     * server, a query Prometheus refuses) blocks now rather than at decommissioning, weeks later.
     */
    async drainFinding(input: Omit<DrainInput, 'deadline'>): Promise<Finding> {
      const source = 'decommission';
      try {
        const value = await read(input);
        const what = value === undefined ? 'has no data now' : `reads ${value} now`;
        return { severity: 'info', source, message: `decommission.drain: blue ${input.blue}'s traffic ${what} (drained below ${input.drain.below})` };
      } catch (err) {
        return { severity: 'blocking', source, message: `decommission.drain cannot be read: ${(err as Error).message}` };
      }
    },

    /**
     * Waits until blue's traffic has read under `below` at every reading for a whole window
     * (a reading at or above it, or no data under noData fail, starts the window over). A source
     * that cannot be read is not drained: at the deadline its error is the reason.
     */
    async waitBlueDrained(input: DrainInput): Promise<DrainResult> {
      const { drain } = input;
      const { within, ...result } = await pollUntilWithin(
        async () => {
          let value: number | undefined;
          let reason: string | undefined;
          try {
            value = await read(input);
            if (value === undefined) reason = drain.noData === 'pass' ? undefined : 'no data (noData fail: a query that finds nothing is not taken for an idle blue)';
            else if (value >= drain.below) reason = `${value} is not below ${drain.below}`;
          } catch (err) {
            reason = `${NOT_READ}${(err as Error).message}`;
          }
          return { reading: { ...(value !== undefined && { value }) }, reason };
        },
        {
          describe: `blue ${input.blue}'s traffic below ${drain.below} for ${drain.window}`,
          interval: readingInterval(drain.window),
          deadline: input.deadline,
          holdFor: drain.window,
          heldTooShort: (since) => `under ${drain.below} since ${since}, less than a whole window (${drain.window})`,
          progress: ({ reading, reason }, since) => ({ ...reading, below: drain.below, ...(since !== undefined && { underSince: since }), ...(reason && { reason }) }),
        },
      );
      return { drained: within, ...result };
    },
  };
}
