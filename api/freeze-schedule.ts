// The earliest time each step of a plan could run given the change-freeze calendars, for
// POST /v1/plans. Not part of the plan the workflow carries (that is fixed and pure): an
// estimate from now, computed with the same calendar module the worker's activity uses.
import { applicableWindows, firstFreeInstant, type FreezeCalendars, type OpenFreeze } from '../config/freeze-windows.js';
import { durationMs } from '../workflows/duration.js';
import type { Plan } from '../workflows/plan.js';
import type { ResolvedSpec } from '../workflows/spec-defaults.js';
import type { FreezeScheduleBody } from './schemas.js';

export const SCHEDULE_ASSUMES =
  'the migration starts now, the cutover and every gate are approved at once, each step takes its observe window (no DNS or observed-share wait), the bake takes its minimum (peaks not counted) and the freeze its duration; a freeze window holds a step until it ends';

const held = (windows: OpenFreeze[]) => windows.map((w) => ({ window: w.window, ...(w.calendar && { calendar: w.calendar }), reason: w.reason, from: w.from, until: w.until, timeZone: w.timeZone }));

/** The schedule under the freezes that apply to `spec`, or undefined when none does. */
export function freezeSchedule(plan: Plan, spec: ResolvedSpec, calendars: FreezeCalendars, now: number): FreezeScheduleBody | undefined {
  const windows = applicableWindows(calendars, spec.freezes?.calendars ?? [], spec.freezes?.windows ?? []);
  if (windows.length === 0) return undefined;
  let t = now;
  const unknown = (what: string) => ({ assumes: SCHEDULE_ASSUMES, steps: [], note: `${what}: freeze windows follow one another without end in sight` });
  const steps: FreezeScheduleBody['steps'] = [];
  for (const step of plan.steps) {
    const free = firstFreeInstant(windows, t);
    if (!free) return unknown(`step ${step.index}`);
    steps.push({ index: step.index, earliest: new Date(free.at).toISOString(), ...(free.heldBy.length && { heldBy: held(free.heldBy) }) });
    t = free.at + durationMs(step.observe as never);
  }
  const free = firstFreeInstant(windows, t + durationMs(spec.bake as never) + durationMs(spec.freeze as never));
  if (!free) return unknown('decommission');
  return {
    assumes: SCHEDULE_ASSUMES,
    steps,
    decommission: { earliest: new Date(free.at).toISOString(), ...(free.heldBy.length && { heldBy: held(free.heldBy) }) },
  };
}
