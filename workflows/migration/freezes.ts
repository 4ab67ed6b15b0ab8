// Change freezes: windows in which nothing moves forward (docs/policies.md, "Change freezes").
// Before every forward move — the cutover's first shift, each further step, the start of
// decommissioning (and promote) — `forwardAllowed` asks the calendar local activity whether a
// window is open now (the spec's own, the calendars it names, the worker's company-wide ones:
// time zones and recurrences are computed there, never here). Inside one the move waits, the
// status shows the window, the channel is told once per window, and the run goes on by itself
// at its end, after asking again (windows can chain). A rollback or cancel ends the wait at once;
// a pause asked meanwhile holds the move once the window is over.
import { SYSTEM_ACTOR } from '../model.js';
import { calendar, notify } from './activities.js';
import { audit, now } from './state.js';
import { tell } from './story.js';
import type { Run } from './types.js';
import { boundary, sittingOut, throwIfInterrupted, waitFor } from './waits.js';

/** Returns once no freeze window holds `what` (the move about to be made, in words); runs started before freezes return at once. */
export async function forwardAllowed(run: Run, what: string): Promise<void> {
  const { spec, state } = run;
  if (!state.freezeChecks) return;
  let held = false;
  for (;;) {
    throwIfInterrupted(state);
    const open = await calendar.freezeWindowAt({ at: now(), windows: spec.freezes?.windows ?? [], calendars: spec.freezes?.calendars ?? [] });
    if (!open) break;
    if (Date.parse(open.until) <= Date.now()) continue; // the answer took longer than the window had left: ask again
    held = true;
    state.freeze = { ...open, holds: what };
    const told = `${open.window}@${open.from}`;
    if (state.freezeTold !== told) {
      state.freezeTold = told;
      const where = `${open.calendar ? `calendar ${open.calendar}, ` : ''}${open.timeZone}`;
      audit(run, SYSTEM_ACTOR, 'freeze-hold', `change freeze ${open.window} (${where}) holds ${what} until ${open.until}: ${open.reason}`, { ...open, holds: what });
      await notify(
        run,
        'freeze',
        `${run.id}: change freeze ${open.window} (${where}: ${open.reason}) holds ${what} until ${open.until}; the migration goes on by itself then. Rollback, pause and cancel stay open.`,
      );
    }
    const label = `change freeze ${open.window} until ${open.until}`;
    const remaining = Math.max(0, Date.parse(open.until) - Date.now()); // the notification took a moment
    try {
      await sittingOut(run, { what: `${label} (${open.reason}) before ${what}`, seconds: remaining / 1000 }, () => waitFor(run, () => false, remaining, label));
    } finally {
      state.freeze = undefined;
      tell(run);
    }
    // A pause asked during the freeze holds the move now; the windows are asked again after it.
    await boundary(run);
  }
  if (held) audit(run, SYSTEM_ACTOR, 'freeze-release', `no change freeze holds ${what} any more: it goes on`);
}
