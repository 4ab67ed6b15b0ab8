// A spec's parts in words, for the plan, the status and the activities' readings: when a
// metric check fails (where it reads: metric-source.ts), the drain and observed-share checks, peak windows.
import { metricSource } from './metric-source.js';
import { WEEKDAYS } from './spec-values.js';
import type { MetricRule, ResolvedDrain, ResolvedObservedShare } from './spec-defaults.js';
import type { PeakWindow } from './spec.js';

/** The observed-share check of a step in words: "green's share 45–55 % (…), waited for at most 30m". */
export function describeObservedShare(check: ResolvedObservedShare, green: number): string {
  const low = Math.max(0, green - check.tolerance);
  const high = Math.min(100, green + check.tolerance);
  return `green's share of traffic within ${low}–${high} % over ${check.window} (green: ${metricSource(check.green)}; blue: ${metricSource(check.blue)}), waited for at most ${check.within}`;
}

/** The drain check in words: "Prometheus main: … below 1 for 5m, waited for at most 1h (no data: not drained)". */
export function describeDrain(drain: ResolvedDrain): string {
  return `${metricSource(drain)} below ${drain.below} for ${drain.window}, waited for at most ${drain.within} (no data: ${drain.noData === 'pass' ? 'drained' : 'not drained'})`;
}

/** When a rule fails, in words: "value > 0.01", "green > blue + 20 % + 0.5". */
export function describeRule(rule: Omit<MetricRule, 'failureThreshold' | 'noData'>, alarm = false): string {
  if (alarm) return 'alarm in ALARM';
  const c = rule.compareToBlue;
  if (c) {
    const tolerance = [c.relative !== undefined && `${round(c.relative * 100)} %`, c.absolute !== undefined && `${c.absolute}`].filter(Boolean).join(' + ');
    return c.worseWhen === 'higher' ? `green > blue + ${tolerance}` : `green < blue - ${tolerance}`;
  }
  return [rule.above !== undefined && `value > ${rule.above}`, rule.below !== undefined && `value < ${rule.below}`].filter(Boolean).join(' or ');
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** "mon–fri 09:00–11:00 Europe/Berlin": a peak window as a person reads it. */
export function peakLabel(peak: PeakWindow): string {
  const days = WEEKDAYS.filter((d) => peak.days.includes(d));
  // Runs of consecutive days read as ranges (mon–fri), the rest one by one.
  const runs: (typeof days)[] = [];
  for (const day of days) {
    const last = runs[runs.length - 1];
    if (last && WEEKDAYS.indexOf(day) === WEEKDAYS.indexOf(last[last.length - 1]) + 1) last.push(day);
    else runs.push([day]);
  }
  const named = runs.map((r) => (r.length > 2 ? `${r[0]}–${r[r.length - 1]}` : r.join(', '))).join(', ');
  return `${named} ${peak.from}–${peak.to} ${peak.timeZone}`;
}
