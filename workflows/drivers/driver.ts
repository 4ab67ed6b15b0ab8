// A traffic driver as the workflow side knows it: where its settings are, their defaults and
// checks, the steps it takes by default, and what a shift through it waits for. The activity
// side (activities/drivers/) moves the traffic; this side plans and checks.
import type { DurationField } from '../spec-values.js';
import type { MigrationSpec, SpecIssue } from '../spec.js';

export type Traffic = MigrationSpec['traffic'];

export interface DriverEntry<Field extends keyof Traffic, Resolved> {
  /** The traffic field that holds its settings (named after the driver). */
  field: Field;
  /** Steps when the spec gives none; without it, DEFAULTS.steps. */
  defaultSteps?: readonly number[];
  /** Its settings with their defaults: what the activities get. */
  resolve(settings: NonNullable<Traffic[Field]>, spec: MigrationSpec): Resolved;
  /** What the schema cannot say about a spec of this driver; `settings` may be missing (checkSpec says so). */
  issues(settings: Traffic[Field], spec: MigrationSpec): SpecIssue[];
  /** Its durations, checked against DURATION_LIMITS in any spec that sets them. */
  durations?(settings: Traffic[Field]): DurationField[];
  /** Why another driver's field in a spec of this driver may be a mistake of place, by that field. */
  misplaced?: Partial<Record<keyof Traffic, string>>;
  /** What tells a shift applied: what the status names while a shift waits for it. */
  appliedWhen(settings: Resolved): string;
  /** What a shift waits for before its observe window, and why: the plan shows it for every step. */
  appliedWait(settings: Resolved): string;
}

/** An entry of any driver, for code that dispatches on the spec's driver. */
export type AnyDriverEntry = DriverEntry<keyof Traffic, unknown>;
