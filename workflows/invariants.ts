// The migration's safety rules that need a decision at run time, as pure functions the
// workflow consults before acting (the property test checks every rule against what the
// simulated cloud saw: test/workflow/check-invariants.ts).
import { durationMs } from './duration.js';

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
