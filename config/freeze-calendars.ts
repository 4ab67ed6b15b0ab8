// CUTOVER_FREEZE_CALENDARS (or the JSON file CUTOVER_FREEZE_CALENDARS_FILE): the service's named
// change-freeze calendars, read by the API (a spec's calendar names must exist; plans) and the
// worker (the freeze activity; company-wide calendars apply to every migration, also to one
// started before the calendar was added). A wrong entry is a problem naming the variable, the
// calendar and the field, so the process refuses to start.
import { freezeIssues, type FreezeCalendar, type FreezeCalendars } from './freeze-windows.js';
import type { FreezeWindow } from '../workflows/spec.js';
import { jsonObjectSetting } from './settings.js';

export type { FreezeCalendar, FreezeCalendars } from './freeze-windows.js';

export const FREEZE_CALENDARS_VARIABLE = 'CUTOVER_FREEZE_CALENDARS';
const CALENDAR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const WINDOW_FIELDS = ['name', 'reason', 'timeZone', 'cron', 'rrule', 'start', 'duration', 'until', 'from', 'to'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The calendars, or {} when the variable is unset; every problem pushed to `problems`. */
export function readFreezeCalendars(env: NodeJS.ProcessEnv, problems: string[]): FreezeCalendars {
  const shape = '(expected {"<calendar>": {"companyWide": true, "windows": [{"cron": "0 18 * * 5", "duration": "62h", "timeZone": "Europe/Berlin", "reason": "…"}]}})';
  const setting = jsonObjectSetting(env, FREEZE_CALENDARS_VARIABLE, shape, problems);
  if (!setting) return {};
  const calendars: Record<string, FreezeCalendar> = {};
  for (const [name, raw] of Object.entries(setting.value)) {
    const where = `${setting.source}: calendar "${name}"`;
    const before = problems.length;
    if (!CALENDAR_NAME.test(name)) problems.push(`${where}: not a calendar name (letters, digits, . _ -; at most 100)`);
    if (!isObject(raw)) {
      problems.push(`${where}: must be an object {companyWide?, windows}`);
      continue;
    }
    for (const key of Object.keys(raw)) if (key !== 'companyWide' && key !== 'windows') problems.push(`${where}: unknown field ${key} (companyWide, windows)`);
    if (raw.companyWide !== undefined && typeof raw.companyWide !== 'boolean') problems.push(`${where}: companyWide must be true or false`);
    if (!Array.isArray(raw.windows) || raw.windows.length === 0) {
      problems.push(`${where}: windows must be a list of at least one window`);
      continue;
    }
    raw.windows.forEach((w, i) => {
      if (!isObject(w)) return problems.push(`${where}: /windows/${i} must be an object`);
      for (const key of Object.keys(w)) if (!WINDOW_FIELDS.includes(key)) problems.push(`${where}: /windows/${i}/${key} is not a window field (${WINDOW_FIELDS.join(', ')})`);
      for (const key of WINDOW_FIELDS) if (w[key] !== undefined && typeof w[key] !== 'string') problems.push(`${where}: /windows/${i}/${key} must be a string`);
      for (const key of ['reason', 'timeZone']) if (typeof w[key] !== 'string' || !w[key]) problems.push(`${where}: /windows/${i}/${key} is required`);
      if (typeof w.until === 'string' && !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(w.until)) problems.push(`${where}: /windows/${i}/until must be a local time HH:MM`);
    });
    if (problems.length > before) continue;
    const windows = raw.windows as FreezeWindow[];
    for (const issue of freezeIssues({ windows }, {})) problems.push(`${where}: ${issue.path.replace('/freezes', '')}: ${issue.message}`);
    if (problems.length > before) continue;
    calendars[name] = { ...(raw.companyWide === true && { companyWide: true }), windows };
  }
  return calendars;
}
