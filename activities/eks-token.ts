// An EKS bearer token, the way `aws eks get-token` and aws-iam-authenticator make it: a
// presigned STS GetCallerIdentity URL, bound to the cluster by the signed `x-k8s-aws-id`
// header, base64url-encoded behind the `k8s-aws-v1.` prefix. The API server's authenticator
// calls that URL to learn who we are; the secret key itself never leaves this process.
// The SDK does the work: STS's endpoint for the region (any partition) from its endpoint
// rules, the signature from its SigV4 signer.
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** STS accepts a presigned URL this long after signing; EKS caps tokens at 15 minutes anyway. */
const EXPIRES_SECONDS = 60;
const CLUSTER_HEADER = 'x-k8s-aws-id';

/** STS's regional endpoint for `region`, as the SDK resolves it (sts.cn-north-1.amazonaws.com.cn in aws-cn). */
function stsEndpoint(sts: STSClient, region: string): URL {
  const { url } = sts.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false, UseGlobalEndpoint: false });
  return new URL(url.href);
}

/** The presigned GetCallerIdentity URL (exported for tests; the token is what callers want). */
export async function presignGetCallerIdentity(cluster: string, region: string, credentials: AwsCredentialIdentity, now = new Date()): Promise<string> {
  const sts = new STSClient({ region, credentials });
  try {
    const endpoint = stsEndpoint(sts, region);
    const request = {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      path: endpoint.pathname,
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.hostname, [CLUSTER_HEADER]: cluster },
    };
    const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: sts.config.sha256 });
    const signed = await signer.presign(request, { expiresIn: EXPIRES_SECONDS, signingDate: now });
    const url = new URL(`${signed.protocol}//${signed.hostname}${signed.path}`);
    for (const [key, value] of Object.entries(signed.query ?? {})) url.searchParams.set(key, String(value));
    return url.toString();
  } finally {
    sts.destroy();
  }
}

export async function eksToken(cluster: string, region: string, credentials: AwsCredentialIdentity, now = new Date()): Promise<string> {
  return EKS_TOKEN_PREFIX + Buffer.from(await presignGetCallerIdentity(cluster, region, credentials, now), 'utf8').toString('base64url');
}
