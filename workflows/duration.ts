// Durations as a spec writes them: Temporal duration strings ("10m", "7 days", "0s") or
// milliseconds. One parser for the workflow, the activities and the API, so they can never
// disagree about what a spec means. Pure: safe in workflow code.
import ms from 'ms';

export type Duration = string | number;

/** Milliseconds in `duration`; throws a TypeError naming the value when it does not parse to a finite number. */
export function durationMs(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const millis = ms(duration);
  // "1e400 days" parses to Infinity: no timer can wait that long.
  if (millis == null || !Number.isFinite(millis)) throw new TypeError(`Invalid duration string: '${duration}'`);
  return millis;
}
