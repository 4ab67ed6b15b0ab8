// The CLI's only colours: a phase, a finding's severity and a pending gate, in status, list and
// plan. Colour only when stdout is a terminal and neither NO_COLOR (https://no-color.org, any
// non-empty value) nor --no-color says otherwise, so a pipe or a file never gets escape codes.
import type { Phase } from '../workflows/model.js';

export interface Paint {
  phase(phase: string): string;
  severity(severity: string, text?: string): string;
  gate(text: string): string;
}

const sgr = (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const red = sgr('31');
const green = sgr('32');
const yellow = sgr('33');
const cyan = sgr('36');
const dim = sgr('2');
const boldMagenta = sgr('1;35');

/** Off the lifecycle in red or yellow (a person is needed, or it ended short), done in green, the rest cyan. */
const PHASE_COLOUR: Partial<Record<Phase, (t: string) => string>> = {
  'needs-attention': red,
  failed: red,
  'rolled-back': yellow,
  aborted: yellow,
  cancelled: yellow,
  completed: green,
};

export const PLAIN: Paint = { phase: (p) => p, severity: (s, text = s) => text, gate: (t) => t };

export const COLOUR: Paint = {
  phase: (p) => (PHASE_COLOUR[p as Phase] ?? cyan)(p),
  severity: (s, text = s) => (s === 'blocking' ? red : s === 'warning' ? yellow : dim)(text),
  gate: boldMagenta,
};

export function wantsColour(stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColorFlag = false): boolean {
  return !!stdout.isTTY && !env.NO_COLOR && !noColorFlag;
}

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[[0-9;]*m/g;
/** The width a person sees: escape codes take none. */
export const visibleLength = (text: string) => text.replace(ESCAPE, '').length;
