// The table from a spec's traffic driver name to its driver. Adding a driver: its file in
// this folder and its entry here, its workflow-side entry (workflows/drivers/), and its
// settings in the spec schema (workflows/spec.ts).
import { driverEntry, type DriverField } from '../../workflows/drivers/index.js';
import type { TrafficDriver as DriverName } from '../../workflows/spec.js';
import type { TrafficInput } from '../contract.js';
import { invalidSpec } from '../errors.js';
import { createAlbDriver } from './alb.js';
import type { DriverClients, Routing, TrafficDriver } from './driver.js';
import { createExternalDnsDriver } from './external-dns.js';
import { createRoute53Driver } from './route53.js';
import { createServiceSelectorDriver } from './service-selector.js';

type Traffic = TrafficInput['traffic'];
/** A driver's settings: the traffic field named after it, with resolveSpec's defaults. */
type SettingsOf<D extends DriverName> = NonNullable<Traffic[DriverField<D>]>;

const DRIVERS: { [D in DriverName]: (clients: DriverClients) => TrafficDriver<SettingsOf<D>> } = {
  route53: createRoute53Driver,
  alb: createAlbDriver,
  'external-dns': createExternalDnsDriver,
  'service-selector': createServiceSelectorDriver,
};

/** A driver with the routing it acts on: what each traffic activity call needs. */
export interface DriverCall {
  driver: TrafficDriver<unknown>;
  at: Routing<unknown>;
}

/** Builds every driver from the clients; the lookup then picks the one a call's spec names. */
export function createDriverTable(clients: DriverClients): (input: TrafficInput) => DriverCall {
  const built = new Map(Object.entries(DRIVERS).map(([name, create]) => [name, create(clients)]));
  return (input) => {
    const name = input.traffic.driver;
    const driver = built.get(name);
    if (!driver) throw invalidSpec(`traffic driver ${name} is not available`);
    const field = driverEntry(name).field as DriverField;
    const settings = input.traffic[field];
    if (!settings) throw invalidSpec(`traffic.${field} is required for the ${name} driver`);
    return { driver, at: { region: input.region, settings } };
  };
}
