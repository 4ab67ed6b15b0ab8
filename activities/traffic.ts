// The traffic activities the workflow calls, dispatched to the driver the spec names.
import { heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Finding, Weights } from '../workflows/model.js';
import type { AwsClients } from './aws.js';
import type { ExternalDnsTarget, GreenTargetsResult, ServiceSelectorTarget, SetWeightsInput, SetWeightsResult, TrafficInput, WaitAppliedInput } from './contract.js';
import { FAILURE, invalidSpec } from './errors.js';
import { readAlbWeights, setAlbWeights, targetGroupFindings, type AlbTarget } from './elbv2.js';
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

/** Source of every finding checkGreenTargets returns. */
export const GREEN_TARGETS = 'green-targets';

/** Failures that mean "green cannot be asked or is not there": an answer, not a reason to retry. */
const ANSWERS: ReadonlySet<string> = new Set([FAILURE.notFound, FAILURE.accessDenied, FAILURE.invalidSpec, FAILURE.unsupported]);

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
        return { changeIds: r.changeIds, settleSeconds: r.settleSeconds, changed: r.changed, ...(r.inSync ? { applied: true } : {}) };
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

  /** See GreenTargetsResult in contract.ts for the contract. */
  async function checkGreenTargets(input: TrafficInput): Promise<GreenTargetsResult> {
    const traffic = input.traffic;
    let findings: Finding[];
    switch (traffic.driver) {
      case 'route53':
        // A weighted record has no targets of its own to ask about: green's record points at
        // green's load balancer, which validateGreen's smoke tests already reached, and
        // setWeights fails naming the record when green's is missing. (A Route 53 health
        // check attached to the record is Route 53's own routing input, not a gate of ours.)
        findings = [];
        break;
      case 'alb': {
        const alb = albTarget(input);
        findings = await orBlocking(`green target group ${alb.greenTargetGroupArn}`, () => targetGroupFindings(aws.elbv2(input.region), alb.greenTargetGroupArn, GREEN_TARGETS));
        break;
      }
      case 'external-dns': {
        const target = externalDnsTarget(input);
        findings = await orBlocking(`green ${target.greenCluster}'s external-dns objects`, () => externalDns.greenFindings(input.region, target, GREEN_TARGETS));
        break;
      }
      case 'service-selector': {
        const target = serviceSelectorTarget(input);
        findings = await orBlocking(`green pods behind Service ${target.namespace}/${target.service} in ${target.cluster}`, () =>
          serviceSelector.greenFindings(input.region, target, GREEN_TARGETS),
        );
        break;
      }
      default:
        return unsupportedDriver(traffic.driver);
    }
    return { findings };
  }

  return {
    readWeights,

    checkGreenTargets,

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
