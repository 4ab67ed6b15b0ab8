// Looks up blue's Kubernetes version so a spec whose target is not newer fails at once with
// a 400, instead of minutes later in preflight. Best effort: an unknown cluster, missing
// credentials or a slow endpoint mean "unknown", and preflight checks again anyway.
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';

export type ClusterVersionLookup = (region: string, cluster: string) => Promise<string | undefined>;

const LOOKUP_TIMEOUT_MS = 2_000;

/** `endpoint` points at moto in the sandbox; undefined means AWS with the default credential chain. */
export function eksClusterVersions(endpoint: string | undefined): ClusterVersionLookup {
  const common = endpoint ? { endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } } : {};
  return async (region, cluster) => {
    // A client per lookup: regions come from requests, so a cache of them would grow without bound.
    const eks = new EKSClient({ ...common, region, maxAttempts: 1 });
    try {
      const described = await eks.send(new DescribeClusterCommand({ name: cluster }), { abortSignal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
      return described.cluster?.version;
    } catch {
      return undefined;
    } finally {
      eks.destroy();
    }
  };
}
