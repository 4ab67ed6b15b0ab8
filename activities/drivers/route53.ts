// The route53 driver: weighted record pairs (same name and type, one SetIdentifier for blue,
// one for green) in one hosted zone. Both weights of every pair change in one batch; applied
// means Route 53 reports the change INSYNC, after which resolvers may keep the old answer for
// the records' TTL (settleSeconds; an alias record, which has no TTL, for traffic.route53.aliasTtl).
import type { ResolvedRoute53 } from '../../workflows/drivers/route53.js';
import { readRoute53Weights, removeBlueRecords, setRoute53Weights, waitInSync } from '../route53.js';
import type { DriverClients, TrafficDriver } from './driver.js';

export function createRoute53Driver({ aws }: DriverClients): TrafficDriver<ResolvedRoute53> {
  return {
    readWeights: ({ region, settings }) => readRoute53Weights(aws.route53(region), settings),
    setWeights: ({ region, settings }, weights, comment) => setRoute53Weights(aws.route53(region), settings, weights, comment),
    waitApplied: ({ region }, { changeIds }) => waitInSync(aws.route53(region), changeIds),

    // A weighted record has no targets of its own to ask about: green's record points at
    // green's load balancer, which validateGreen's smoke tests already reached, and
    // setWeights fails naming the record when green's is missing. (A Route 53 health check
    // attached to the record is Route 53's own routing input, not a gate of ours.)
    checkGreen: async () => [],
    greenSubject: (settings) => `green's weighted records in ${settings.hostedZoneId ?? settings.hostedZoneName}`,

    async removeBlueRouting({ region, settings }, comment) {
      return { removed: await removeBlueRecords(aws.route53(region), settings, comment) };
    },
  };
}
