// DESIGN §1's safety rules as pure functions: the workflow consults them before acting,
// and the property tests check them after every step.
import { durationMs } from './duration.js';
import type { Weights } from './model.js';

export function weightsValid(w: Weights): boolean {
  return Number.isInteger(w.blue) && Number.isInteger(w.green) && w.blue >= 0 && w.green >= 0 && w.blue + w.green === 100;
}

export interface BlueDeletionFacts {
  greenFullSince?: string;
  now: string;
  bake: string;
  freeze: string;
  decommissionApproved: boolean;
}

/** Blue may go only after green carried all traffic for bake+freeze, and a person approved. */
export function blueDeletionAllowed(f: BlueDeletionFacts): { allowed: boolean; reason: string } {
  if (!f.decommissionApproved) return { allowed: false, reason: 'decommission was not approved' };
  if (!f.greenFullSince) return { allowed: false, reason: 'green has not carried all traffic' };
  const carriedMs = Date.parse(f.now) - Date.parse(f.greenFullSince);
  const neededMs = durationMs(f.bake) + durationMs(f.freeze);
  if (carriedMs < neededMs) {
    return { allowed: false, reason: `green carried traffic for ${carriedMs} ms, less than bake+freeze (${neededMs} ms)` };
  }
  return { allowed: true, reason: 'bake and freeze elapsed, decommission approved' };
}
