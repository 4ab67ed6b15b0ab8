// AWS SDK clients, one per service and region, built from config. In the sandbox and tests
// the endpoint points at moto; with CUTOVER_MODE=aws the default credential chain applies.
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';

export interface AwsConfig {
  /** Override for every service (moto); undefined means real AWS. */
  endpoint?: string;
}

export interface AwsClients {
  eks(region: string): EKSClient;
  route53(): Route53Client;
  elbv2(region: string): ElasticLoadBalancingV2Client;
}

export function createAwsClients(config: AwsConfig): AwsClients {
  const cache = new Map<string, unknown>();
  const common = config.endpoint
    ? { endpoint: config.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }
    : {};
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  return {
    eks: (region) => memo(`eks:${region}`, () => new EKSClient({ ...common, region })),
    // Route 53 is global; its API lives in us-east-1.
    route53: () => memo('route53', () => new Route53Client({ ...common, region: 'us-east-1' })),
    elbv2: (region) => memo(`elbv2:${region}`, () => new ElasticLoadBalancingV2Client({ ...common, region })),
  };
}
