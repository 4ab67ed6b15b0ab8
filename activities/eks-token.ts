// An EKS bearer token, the way `aws eks get-token` and aws-iam-authenticator make it: a
// presigned STS GetCallerIdentity URL, bound to the cluster by the signed `x-k8s-aws-id`
// header, base64url-encoded behind the `k8s-aws-v1.` prefix. The API server's authenticator
// calls that URL to learn who we are; the secret key itself never leaves this process.
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** STS accepts a presigned URL this long after signing; EKS caps tokens at 15 minutes anyway. */
const EXPIRES_SECONDS = 60;
const CLUSTER_HEADER = 'x-k8s-aws-id';

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
// RFC 3986 encoding as SigV4 wants it: encodeURIComponent leaves !'()* alone.
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The presigned GetCallerIdentity URL (exported for tests; the token is what callers want). */
export function presignGetCallerIdentity(cluster: string, region: string, credentials: AwsCredentials, now = new Date()): string {
  const host = `sts.${region}.amazonaws.com`;
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, ''); // 20260101T120000Z
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/sts/aws4_request`;
  const query: Record<string, string> = {
    Action: 'GetCallerIdentity',
    Version: '2011-06-15',
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(EXPIRES_SECONDS),
    'X-Amz-SignedHeaders': `host;${CLUSTER_HEADER}`,
  };
  if (credentials.sessionToken) query['X-Amz-Security-Token'] = credentials.sessionToken;
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(query[k])}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, `${CLUSTER_HEADER}:${cluster}`, '', `host;${CLUSTER_HEADER}`, sha256Hex('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 'sts'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return `https://${host}/?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

export function eksToken(cluster: string, region: string, credentials: AwsCredentials, now = new Date()): string {
  return EKS_TOKEN_PREFIX + Buffer.from(presignGetCallerIdentity(cluster, region, credentials, now), 'utf8').toString('base64url');
}
