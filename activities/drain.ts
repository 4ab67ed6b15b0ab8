// The drain check before blue is deleted: blue's traffic, read through the metric signals,
// must stay under a threshold for a whole window. Polled with heartbeats until it holds, or
// answered with the last reading at the workflow's deadline (the workflow holds the run then).
import { durationMs } from '../workflows/duration.js';
import type { Finding } from '../workflows/model.js';
import type { DrainInput, DrainResult } from './contract.js';
import { pollUntil } from './poll.js';
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
     * that cannot be read is not drained: at the deadline its error is the reason. A retry
     * starts the window over, which only waits longer.
     */
    async waitBlueDrained(input: DrainInput): Promise<DrainResult> {
      const { drain } = input;
      const windowMs = durationMs(drain.window);
      let underSince: number | undefined;
      return pollUntil(
        async (round): Promise<DrainResult | undefined> => {
          const at = Date.now();
          let value: number | undefined;
          let reason: string | undefined;
          try {
            value = await read(input);
            if (value === undefined) reason = drain.noData === 'pass' ? undefined : 'no data (noData fail: a query that finds nothing is not taken for an idle blue)';
            else if (value >= drain.below) reason = `${value} is not below ${drain.below}`;
          } catch (err) {
            reason = `${NOT_READ}${(err as Error).message}`;
          }
          underSince = reason === undefined ? (underSince ?? at) : undefined;
          round.progress = { ...(value !== undefined && { value }), below: drain.below, ...(underSince !== undefined && { underSince: new Date(underSince).toISOString() }), ...(reason && { reason }) };
          const reading = { ...(value !== undefined && { value }), at: new Date(at).toISOString() };
          if (underSince !== undefined && at - underSince >= windowMs) return { drained: true, ...reading };
          if (!round.last) return undefined;
          return { drained: false, ...reading, reason: reason ?? `under ${drain.below} since ${new Date(underSince!).toISOString()}, less than a whole window (${drain.window})` };
        },
        { describe: `blue ${input.blue}'s traffic below ${drain.below} for ${drain.window}`, interval: readingInterval(drain.window), deadline: input.deadline },
      );
    },
  };
}
