// `cutover wait ID --for phase=P|gate=G|green=N`: what a condition is, and whether a status
// meets it. Pure, so the command line's checks and the stream's decisions are tested alone.
import type { StatusBody } from '../api/schemas.js';
import { FIXED_GATES, GATE_NAME_PATTERN, PHASES, TERMINAL_PHASES, type Phase } from '../workflows/model.js';

export type Condition = { kind: 'phase'; phase: Phase } | { kind: 'gate'; gate: string } | { kind: 'green'; atLeast: number };

export const CONDITION_KEYS = ['phase', 'gate', 'green'] as const;

/** Exit codes of `wait` (2 is also a usage error's: stderr says which). */
export const WAIT_EXIT = { reached: 0, endedElsewhere: 1, timedOut: 2 } as const;

/** A --for value, or the reason it is not one (naming it and what is accepted). */
export function parseCondition(text: string): Condition | { error: string } {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (key === 'phase') {
    if ((PHASES as readonly string[]).includes(value)) return { kind: 'phase', phase: value as Phase };
    return { error: `--for ${text}: "${value}" is not a phase; one of ${PHASES.join(', ')}` };
  }
  if (key === 'gate') {
    if (new RegExp(GATE_NAME_PATTERN).test(value)) return { kind: 'gate', gate: value };
    return { error: `--for ${text}: "${value}" is not a gate; one of ${FIXED_GATES.join(', ')} or step-N` };
  }
  if (key === 'green') {
    const n = Number(value);
    if (value !== '' && Number.isInteger(n) && n >= 0 && n <= 100) return { kind: 'green', atLeast: n };
    return { error: `--for ${text}: green's weight is an integer from 0 to 100, got "${value}"` };
  }
  return { error: `--for "${text}" is not a condition; one of phase=PHASE, gate=GATE, green=WEIGHT` };
}

/** phase: that phase now; gate: that gate pending now; green: green's weight at least N (so green=50 is met at 70 too). */
export function conditionMet(c: Condition, s: Pick<StatusBody, 'phase' | 'pendingGate' | 'weights'>): boolean {
  if (c.kind === 'phase') return s.phase === c.phase;
  if (c.kind === 'gate') return s.pendingGate?.gate === c.gate;
  return s.weights.green >= c.atLeast;
}

/** The migration will not get there: its workflow closed or it sits in a phase it never leaves. */
export function endedWithout(s: Pick<StatusBody, 'phase' | 'workflowStatus'>): boolean {
  return s.workflowStatus !== 'RUNNING' || TERMINAL_PHASES.includes(s.phase as Phase);
}

export function describeCondition(c: Condition): string {
  if (c.kind === 'phase') return `phase ${c.phase}`;
  if (c.kind === 'gate') return `gate ${c.gate} pending`;
  return `green at ${c.atLeast} % or more`;
}

/** "30m", "90s", "2h", "500ms", "1d": a --timeout, in milliseconds; undefined if it is not one. */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
