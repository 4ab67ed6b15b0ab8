// The traffic activities the workflow calls, dispatched to the driver the spec names.
import { heartbeat, sleep } from '@temporalio/activity';
import type { Weights } from '../workflows/model.js';
import type { AwsClients } from './aws.js';
import type { ExternalDnsTarget, ServiceSelectorTarget, SetWeightsInput, SetWeightsResult, TrafficInput, WaitAppliedInput } from './contract.js';
import { invalidSpec } from './errors.js';
import { readAlbWeights, setAlbWeights, type AlbTarget } from './elbv2.js';
import { createExternalDnsDriver } from './external-dns.js';
import type { ClusterAccess } from './kubernetes.js';
import { changesInSync, readRoute53Weights, removeBlueRecords, setRoute53Weights, type Route53Target } from './route53.js';
import { createServiceSelectorDriver } from './service-selector.js';

const POLL_MS = 500;

function route53Target(input: TrafficInput): Route53Target {
  if (!input.traffic.route53) throw invalidSpec('traffic.route53 is required for the route53 driver');
  return input.traffic.route53;
}
function albTarget(input: TrafficInput): AlbTarget {
  if (!input.traffic.alb) throw invalidSpec('traffic.alb is required for the alb driver');
  return input.traffic.alb;
}
function externalDnsTarget(input: TrafficInput): ExternalDnsTarget {
  const target = input.traffic.externalDns;
  if (!target) throw invalidSpec('traffic.externalDns is required for the external-dns driver');
  return target;
}
function serviceSelectorTarget(input: TrafficInput): ServiceSelectorTarget {
  const target = input.traffic.serviceSelector;
  if (!target) throw invalidSpec('traffic.serviceSelector is required for the service-selector driver');
  return target;
}
function unsupportedDriver(driver: string): never {
  throw invalidSpec(`traffic driver ${driver} is not available`);
}

export function createTrafficActivities(aws: AwsClients, clusters?: ClusterAccess) {
  const externalDns = createExternalDnsDriver(aws, clusters);
  const serviceSelector = createServiceSelectorDriver(clusters);

  async function readWeights(input: TrafficInput): Promise<Weights[]> {
    switch (input.traffic.driver) {
      case 'route53':
        return readRoute53Weights(aws.route53(), route53Target(input));
      case 'alb':
        return [await readAlbWeights(aws.elbv2(input.region), albTarget(input))];
      case 'external-dns':
        return externalDns.readWeights(input.region, externalDnsTarget(input));
      case 'service-selector':
        return serviceSelector.readWeights(input.region, serviceSelectorTarget(input));
      default:
        return unsupportedDriver(input.traffic.driver);
    }
  }

  async function setWeights(input: SetWeightsInput): Promise<SetWeightsResult> {
    const comment = `cutover: ${input.reason} (by ${input.actor})`;
    switch (input.traffic.driver) {
      case 'route53': {
        const r = await setRoute53Weights(aws.route53(), route53Target(input), input.weights, comment);
        return { changeIds: r.changeIds, settleSeconds: r.settleSeconds, changed: r.changed };
      }
      case 'alb': {
        const changed = await setAlbWeights(aws.elbv2(input.region), albTarget(input), input.weights);
        return { changeIds: [], settleSeconds: 0, changed };
      }
      case 'external-dns': {
        const changed = await externalDns.setWeights(input.region, externalDnsTarget(input), input.weights);
        return { changeIds: [], settleSeconds: 0, changed };
      }
      case 'service-selector': {
        const changed = await serviceSelector.setWeights(input.region, serviceSelectorTarget(input), input.weights);
        return { changeIds: [], settleSeconds: 0, changed };
      }
      default:
        return unsupportedDriver(input.traffic.driver);
    }
  }

  return {
    readWeights,

    /** One atomic change of both weights; a retry after success changes nothing. */
    setWeights,

    /** Returns once the new weights are what the routing layer serves. */
    async waitWeightsApplied(input: WaitAppliedInput): Promise<void> {
      for (let polls = 0; ; polls++) {
        const applied =
          input.traffic.driver === 'route53'
            ? await changesInSync(aws.route53(), input.changeIds)
            : (await readWeights(input)).every((w) => w.blue === input.weights.blue && w.green === input.weights.green);
        if (applied) return;
        heartbeat({ polls });
        await sleep(POLL_MS);
      }
    },

    async removeBlueRouting(input: TrafficInput & { actor: string; reason: string }): Promise<void> {
      switch (input.traffic.driver) {
        case 'route53':
          await removeBlueRecords(aws.route53(), route53Target(input), `cutover: ${input.reason} (by ${input.actor})`);
          return;
        case 'alb':
        case 'service-selector':
          // Green already carries 100 %; blue's target group / pods simply stop being selected.
          await setWeights({ ...input, weights: { blue: 0, green: 100 } });
          return;
        case 'external-dns':
          // Blue's external-dns owns blue's record and would re-create it while blue lives;
          // weight 0 keeps it unused until blue (and its external-dns) is deleted.
          await setWeights({ ...input, weights: { blue: 0, green: 100 } });
          return;
        default:
          return unsupportedDriver(input.traffic.driver);
      }
    },
  };
}
