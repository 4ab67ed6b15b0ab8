// The alb driver: one listener (or rule) forwards to blue's and green's target groups with
// weights; one ModifyListener/ModifyRule call sets both at once, and the change is applied
// as soon as the listener describes it (no DNS in between). Before a shift,
// DescribeTargetHealth of green's target group tells whether green can take its share.
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Finding, Weights } from '../../workflows/model.js';
import type { ResolvedSpec } from '../../workflows/spec-defaults.js';
import { awsFailure, invalidSpec } from '../errors.js';
import { changeResult, GREEN_TARGETS, listSome, routingNotRemovable, untilReadBack, type DriverClients, type TrafficDriver } from './driver.js';

type AlbSettings = NonNullable<ResolvedSpec['traffic']['alb']>;

async function currentActions(client: ElasticLoadBalancingV2Client, target: AlbSettings): Promise<Action[]> {
  if (target.ruleArn) {
    const out = await client.send(new DescribeRulesCommand({ RuleArns: [target.ruleArn] })).catch((err) => {
      throw awsFailure(err, `ALB rule ${target.ruleArn}`);
    });
    return out.Rules?.[0]?.Actions ?? [];
  }
  const out = await client.send(new DescribeListenersCommand({ ListenerArns: [target.listenerArn] })).catch((err) => {
    throw awsFailure(err, `ALB listener ${target.listenerArn}`);
  });
  return out.Listeners?.[0]?.DefaultActions ?? [];
}

async function readAlbWeights(client: ElasticLoadBalancingV2Client, target: AlbSettings): Promise<Weights> {
  const forward = (await currentActions(client, target)).find((a) => a.Type === 'forward');
  const groups = forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
  const blue = weightOf(target.blueTargetGroupArn);
  const green = weightOf(target.greenTargetGroupArn);
  const total = blue + green;
  // ALB weights are relative (0–999); we write percentages, but report any as percent.
  return total === 0 ? { blue: 0, green: 0 } : { blue: Math.round((blue * 100) / total), green: 100 - Math.round((blue * 100) / total) };
}

async function setAlbWeights(client: ElasticLoadBalancingV2Client, target: AlbSettings, weights: Weights): Promise<boolean> {
  if (weights.blue + weights.green !== 100) throw invalidSpec(`weights must sum to 100, got ${weights.blue}+${weights.green}`);
  const current = await readAlbWeights(client, target);
  if (current.blue === weights.blue && current.green === weights.green) return false;
  const actions: Action[] = [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: target.blueTargetGroupArn, Weight: weights.blue },
          { TargetGroupArn: target.greenTargetGroupArn, Weight: weights.green },
        ],
      },
    },
  ];
  const request = target.ruleArn
    ? client.send(new ModifyRuleCommand({ RuleArn: target.ruleArn, Actions: actions }))
    : client.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: actions }));
  await request.catch((err) => {
    throw awsFailure(err, `setting weights on ${target.ruleArn ?? target.listenerArn}`);
  });
  return true;
}

/**
 * Rewrites the forward action without blue's target group (other actions, green's weight and
 * stickiness stay). Refused while blue's group has weight or green's is not forwarded to;
 * an action without blue's group is done already.
 */
async function removeBlueTargetGroup(client: ElasticLoadBalancingV2Client, target: AlbSettings): Promise<string[]> {
  const where = target.ruleArn ?? target.listenerArn;
  const actions = await currentActions(client, target);
  const forward = actions.find((a) => a.Type === 'forward');
  const groups = forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const blue = groups.find((g) => g.TargetGroupArn === target.blueTargetGroupArn);
  if (!forward || !blue) return [];
  const green = groups.find((g) => g.TargetGroupArn === target.greenTargetGroupArn);
  if (!green?.Weight) throw routingNotRemovable(`${where}: green's target group ${target.greenTargetGroupArn} is ${green ? 'at weight 0' : 'not forwarded to'}; taking blue's out would leave no traffic for green`);
  if (blue.Weight) throw routingNotRemovable(`${where}: blue's target group ${target.blueTargetGroupArn} still has weight ${blue.Weight}; taking it out would move traffic`);
  const withoutBlue: Action = {
    Type: 'forward',
    ...(forward.Order !== undefined && { Order: forward.Order }),
    ForwardConfig: { ...forward.ForwardConfig, TargetGroups: groups.filter((g) => g !== blue) },
  };
  const next = actions.map((a) => (a === forward ? withoutBlue : a));
  const request = target.ruleArn
    ? client.send(new ModifyRuleCommand({ RuleArn: target.ruleArn, Actions: next }))
    : client.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: next }));
  await request.catch((err) => {
    throw awsFailure(err, `removing blue's target group from ${where}`);
  });
  return [`target group ${target.blueTargetGroupArn} from ${where}`];
}

const DRAINING = new Set(['draining', 'unhealthy.draining']);
const greenGroup = (arn: string) => `green target group ${arn}`;

function describeTarget(d: TargetHealthDescription): string {
  const t = d.Target;
  const h = d.TargetHealth;
  const why = h?.Reason ? ` (${h.Reason}${h.Description ? `: ${h.Description}` : ''})` : '';
  return `${t?.Id ?? '?'}${t?.Port ? `:${t.Port}` : ''} ${h?.State ?? 'unknown'}${why}`;
}

const listed = (targets: TargetHealthDescription[]) => listSome(targets, describeTarget, ', ');

/**
 * Whether the target group can take traffic, as findings: blocking when it has no registered
 * target, no healthy one, or any registered target that is neither healthy nor draining
 * (initial, unhealthy, unused, unavailable), each named with its state and reason; otherwise
 * one info finding with the count. Draining targets are on their way out and neither count
 * nor block.
 */
async function targetGroupFindings(client: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<Finding[]> {
  const source = GREEN_TARGETS;
  const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })).catch((err) => {
    throw awsFailure(err, `target health of ${targetGroupArn}`);
  });
  const targets = out.TargetHealthDescriptions ?? [];
  const healthy = targets.filter((d) => d.TargetHealth?.State === 'healthy');
  const notHealthy = targets.filter((d) => d.TargetHealth?.State !== 'healthy' && !DRAINING.has(d.TargetHealth?.State ?? ''));
  const group = greenGroup(targetGroupArn);
  if (targets.length === 0) {
    return [{ severity: 'blocking', source, message: `${group} has no registered targets: green's share of the traffic would have nowhere to go` }];
  }
  if (healthy.length === 0) {
    return [{ severity: 'blocking', source, message: `${group} has no healthy target (${targets.length} registered: ${listed(targets)})` }];
  }
  if (notHealthy.length > 0) {
    return [{ severity: 'blocking', source, message: `${group}: ${notHealthy.length} of ${targets.length} targets not healthy: ${listed(notHealthy)}` }];
  }
  return [{ severity: 'info', source, message: `${group}: ${healthy.length}/${targets.length} targets healthy` }];
}

export function createAlbDriver({ aws }: DriverClients): TrafficDriver<AlbSettings> {
  const driver: TrafficDriver<AlbSettings> = {
    readWeights: async ({ region, settings }) => [await readAlbWeights(aws.elbv2(region), settings)],
    setWeights: async ({ region, settings }, weights) => changeResult(await setAlbWeights(aws.elbv2(region), settings, weights)),
    waitApplied: (at, { weights }) => untilReadBack(driver, at, weights),
    checkGreen: ({ region, settings }) => targetGroupFindings(aws.elbv2(region), settings.greenTargetGroupArn),
    greenSubject: (settings) => greenGroup(settings.greenTargetGroupArn),
    // Blue's target group is taken out of the forward action; the group itself is left: it is
    // usually blue's AWS Load Balancer Controller's (a TargetGroupBinding) or infrastructure
    // code's, and whoever made it deletes it (the `left` note says so).
    removeBlueRouting: async ({ region, settings }) => {
      const removed = await removeBlueTargetGroup(aws.elbv2(region), settings);
      return {
        removed,
        left: `blue's target group ${settings.blueTargetGroupArn} is no longer forwarded to and is left in place: delete it where it was made (its TargetGroupBinding goes with blue; one from Terraform or CloudFormation, there)`,
      };
    },
  };
  return driver;
}
