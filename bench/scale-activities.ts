// The scale benchmark's cloud, in memory: every activity answers at once, and two of them
// report what the benchmark times: a migration parked at its cutover gate (the gate's
// notification) and the first activity after the gate (the check that green can take traffic).
import type { Activities } from '../activities/index.js';

export interface ScaleEvents {
  parked(name: string): void;
  /** `at`: epoch ms, comparable between the processes of one machine. */
  moved(name: string, at: number): void;
}

export function scaleActivities(events: ScaleEvents, now: () => number): Partial<Activities> {
  return {
    async preflight() {
      return { blueVersion: '1.33', findings: [] };
    },
    async checkRouting() {
      return { findings: [], weights: [{ blue: 100, green: 0 }] };
    },
    async provisionGreen() {
      return { created: true, status: 'ACTIVE' };
    },
    async validateGreen() {
      return { findings: [] };
    },
    async checkGreenTargets(input) {
      events.moved(input.traffic.route53!.records[0].name, now());
      return { findings: [] };
    },
    // No change freeze in this world: each step asks, and nothing holds it.
    async freezeWindowAt() {
      return null;
    },
    async setWeights() {
      return { changeIds: [], settleSeconds: 0, changed: true };
    },
    async waitWeightsApplied() {},
    async notify(input) {
      if (input.event === 'gate-pending' && input.text.includes('gate cutover')) events.parked(input.migrationId);
    },
  };
}
