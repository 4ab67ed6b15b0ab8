// Driver alb, workflow side: one listener (or rule) forwarding to both target groups (traffic.alb).
import type { DriverEntry, Traffic } from './driver.js';

export type AlbSettings = NonNullable<Traffic['alb']>;

const APPLIED_WHEN = 'the listener describes both weights';

export const albDriver: DriverEntry<'alb', AlbSettings> = {
  field: 'alb',
  resolve: (settings) => settings,
  issues: () => [],
  appliedWhen: () => APPLIED_WHEN,
  appliedWait: () => `${APPLIED_WHEN}; no DNS wait`,
};
