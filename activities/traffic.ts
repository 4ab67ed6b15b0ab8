// The traffic activities the workflow calls, each handed to the driver the spec names.
import { ApplicationFailure } from '@temporalio/common';
import type { Finding, Weights } from '../workflows/model.js';
import type { GreenTargetsResult, RoutingCheckResult, SetWeightsInput, SetWeightsResult, TrafficInput, WaitAppliedInput } from './contract.js';
import { NON_RETRYABLE_FAILURES } from '../workflows/failures.js';
import { GREEN_TARGETS, type BlueRoutingRemoved, type DriverClients } from './drivers/driver.js';
import { createDriverTable } from './drivers/index.js';
import { recordWeights } from './metrics.js';
import { activityContext } from './poll.js';

/** Failures that mean "green cannot be asked or is not there": an answer, not a reason to retry. */
const ANSWERS: ReadonlySet<string> = new Set(NON_RETRYABLE_FAILURES);

/** Runs a check; a failure a retry cannot fix becomes a blocking finding naming what was checked. Others stay thrown (retryable). */
async function orBlocking(what: string, check: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type && ANSWERS.has(err.type)) {
      return [{ severity: 'blocking', source: GREEN_TARGETS, message: `${what} could not be checked: ${err.message}` }];
    }
    throw err;
  }
}

/** Source of the findings of the preflight routing check. */
const ROUTING = 'routing';

/** What the routing layer records with a change (Route 53's change comment), so its own history says who and why. */
const changeComment = (input: { actor: string; reason: string }) => `cutover: ${input.reason} (by ${input.actor})`;

export function createTrafficActivities(clients: DriverClients) {
  const driverFor = createDriverTable(clients);

  return {
    /** The weights the routing layer serves now, one entry per routed object. */
    async readWeights(input: TrafficInput): Promise<Weights[]> {
      const { driver, at } = driverFor(input);
      return driver.readWeights(at);
    },

    /**
     * Preflight, before anyone approves: every routed object exists and is readable (the
     * driver reads each one), and all of them serve blue only. Read-only.
     */
    async checkRouting(input: TrafficInput): Promise<RoutingCheckResult> {
      const { driver, at } = driverFor(input);
      let weights: Weights[];
      try {
        weights = await driver.readWeights(at);
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type && ANSWERS.has(err.type)) {
          return { findings: [{ severity: 'blocking', source: ROUTING, message: `${input.traffic.driver} routing cannot be read: ${err.message}` }] };
        }
        throw err;
      }
      const notBlue = weights.filter((w) => w.blue !== 100 || w.green !== 0);
      if (notBlue.length === 0) return { weights, findings: [] };
      const served = notBlue.map((w) => `blue ${w.blue} green ${w.green}`).join(', ');
      return { weights, findings: [{ severity: 'blocking', source: ROUTING, message: `routing does not send all traffic to blue: ${notBlue.length} of ${weights.length} routed objects serve ${served}` }] };
    },

    /** See GreenTargetsResult in contract.ts for the contract. */
    async checkGreenTargets(input: TrafficInput): Promise<GreenTargetsResult> {
      const { driver, at } = driverFor(input);
      return { findings: await orBlocking(driver.greenSubject(at.settings), () => driver.checkGreen(at)) };
    },

    /** One atomic change of both weights; a retry after success changes nothing. */
    async setWeights(input: SetWeightsInput): Promise<SetWeightsResult> {
      const { driver, at } = driverFor(input);
      const result = await driver.setWeights(at, input.weights, changeComment(input));
      recordWeights(input.weights);
      activityContext()?.log.info('weights set', { blue: input.weights.blue, green: input.weights.green, actor: input.actor, reason: input.reason, changed: result.changed });
      return result;
    },

    /** Returns once the new weights are what the routing layer serves. */
    async waitWeightsApplied(input: WaitAppliedInput): Promise<void> {
      const { driver, at } = driverFor(input);
      await driver.waitApplied(at, { weights: input.weights, changeIds: input.changeIds });
    },

    /** Decommission: blue taken out of the routing (see TrafficDriver.removeBlueRouting); a retry finds it done. */
    async removeBlueRouting(input: TrafficInput & { actor: string; reason: string }): Promise<BlueRoutingRemoved> {
      const { driver, at } = driverFor(input);
      return driver.removeBlueRouting(at, changeComment(input));
    },
  };
}
