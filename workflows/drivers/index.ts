// The table from a spec's traffic driver to what the workflow side knows of it, beside the
// activity side's table (activities/drivers/index.ts). Adding a driver: its entry in this
// folder and here, its activity file and entry there, its settings in workflows/spec.ts.
import type { TrafficDriver } from '../spec.js';
import { albDriver } from './alb.js';
import type { AnyDriverEntry, DriverEntry, Traffic } from './driver.js';
import { externalDnsDriver } from './external-dns.js';
import { route53Driver } from './route53.js';
import { serviceSelectorDriver } from './service-selector.js';

export const DRIVERS = {
  route53: route53Driver,
  alb: albDriver,
  'external-dns': externalDnsDriver,
  'service-selector': serviceSelectorDriver,
} as const satisfies { [D in TrafficDriver]: DriverEntry<keyof Traffic, unknown> };

type Drivers = typeof DRIVERS;
/** The traffic field that holds driver D's settings. */
export type DriverField<D extends TrafficDriver = TrafficDriver> = Drivers[D]['field'];
/** Every driver's settings with their defaults, each in its field (a spec has one). */
export type ResolvedDriverSettings = { [D in TrafficDriver as DriverField<D>]?: ReturnType<Drivers[D]['resolve']> };

export const driverEntry = (driver: TrafficDriver): AnyDriverEntry => DRIVERS[driver];

/** The fields of every driver, in the table's order. */
export const DRIVER_FIELDS: readonly DriverField[] = Object.values(DRIVERS).map((d) => d.field);

/** What tells a shift applied for the spec's driver: what the status names while a shift waits for it. */
export function appliedWhen(traffic: { driver: TrafficDriver } & ResolvedDriverSettings): string {
  const entry = driverEntry(traffic.driver);
  return entry.appliedWhen(traffic[entry.field as DriverField]);
}

/** What a shift through the spec's driver waits for before its observe window, and why. */
export function appliedWait(traffic: { driver: TrafficDriver } & ResolvedDriverSettings): string {
  const entry = driverEntry(traffic.driver);
  return entry.appliedWait(traffic[entry.field as DriverField]);
}
