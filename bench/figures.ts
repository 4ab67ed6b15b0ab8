// What every benchmark reports, and how: its figures, each with the goal it is held to. A
// benchmark prints them for people and, on one last line, as JSON for bench/run.ts, which
// judges the goals (not in smoke mode) and appends them to bench/RESULTS.md.

export interface Figure {
  /** What was measured: "rollback p99". */
  name: string;
  value: number;
  unit: string;
  /** The goal in words ("≤ 2× the script"); absent for a figure that is only reported. */
  goal?: string;
  /** Whether this run met the goal; absent when there is none. */
  met?: boolean;
}

/** Marks the machine-readable line bench/run.ts reads. */
export const FIGURES_PREFIX = 'BENCH-FIGURES ';

/** `--smoke`: tiny counts, seconds not minutes; the figures are printed but prove nothing. */
export const smoke = process.argv.includes('--smoke');

/** The n-th positional argument as a number, else the full or the smoke default. */
export function countArg(n: number, full: number, smokeCount: number): number {
  const given = process.argv.slice(2).filter((a) => !a.startsWith('--'))[n];
  return given !== undefined ? Number(given) : smoke ? smokeCount : full;
}

/** `--name=value` → "value", `--name` → "", absent → undefined. */
export function optionArg(name: string): string | undefined {
  for (const a of process.argv.slice(2)) {
    if (a === `--${name}`) return '';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export function report(figures: Figure[]): void {
  for (const f of figures) {
    const goal = f.goal === undefined ? '' : ` (goal ${f.goal}: ${smoke ? 'not judged in smoke mode' : f.met ? 'met' : 'NOT MET'})`;
    console.log(`» ${f.name}: ${round(f.value)} ${f.unit}${goal}`);
  }
  console.log(FIGURES_PREFIX + JSON.stringify(figures));
}

export const round = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
