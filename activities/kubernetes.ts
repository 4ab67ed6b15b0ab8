// How an activity reaches a cluster's API server: one seam, `ClusterAccess`, whatever the
// cluster is. In AWS it describes the EKS cluster and mints a token from the worker's own credentials;
// in the sandbox and tests it maps the cluster name to a local kube-apiserver; for any cluster
// (EKS Anywhere, kind, an EKS cluster with a kubeconfig) it uses a context of the worker's
// kubeconfig, whose files are merged as kubectl merges them.
// Tokens live only inside this process: never in activity inputs, results or history.
import { existsSync, readFileSync } from 'node:fs';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { ApiException, ApisApi, CoreApi, KubeConfig, KubernetesObjectApi, VersionApi, type Cluster, type Context, type KubernetesObject, type User, type V1APIResource } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { KubeContextRef } from '../workflows/spec-defaults.js';
import type { AwsClients } from './aws.js';
import { eksToken } from './eks-token.js';
import { awsFailure, FAILURE, notFound } from './errors.js';
import { pulse } from './poll.js';

/** The local form of a cluster's endpoint (what the sandbox writes to CUTOVER_KUBE_CLUSTERS). */
export interface ClusterEndpoint {
  server: string;
  /** PEM of the CA that signed the server's certificate, or a file holding it. */
  ca?: string;
  caFile?: string;
  token: string;
}

/** An API object client with discovery, bound to one cluster. */
export class ObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  /** The resource serving `kind` at `apiVersion`, or undefined when this cluster does not serve it. */
  async served(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    try {
      return await this.resource(apiVersion, kind);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw kubeFailure(err, `discovery of ${kind} (${apiVersion})`);
    }
  }
}

export interface KubeCluster {
  /** The cluster's name as the migration spec gives it. */
  name: string;
  server: string;
  /** PEM, for whoever must hand it on (an Argo CD cluster secret). */
  ca?: string;
  /** True when the server authenticates callers by EKS token (Argo CD then uses awsAuthConfig). */
  eks: boolean;
  kc: KubeConfig;
  objects: ObjectApi;
}

export interface ClusterAccess {
  /**
   * The cluster's API, or undefined when this worker has no way to reach it. `ref` is the
   * kubeconfig context the spec names for it (looked up instead of the name); with `eks`
   * false, EKS is never asked.
   */
  connect(cluster: string, region: string, ref?: KubeContextRef): Promise<KubeCluster | undefined>;
}

function clusterFrom(name: string, endpoint: { server: string; ca?: string; token: string }, eks: boolean): KubeCluster {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: endpoint.server, caData: endpoint.ca ? Buffer.from(endpoint.ca).toString('base64') : undefined, skipTLSVerify: false }],
    users: [{ name: `${name}-cutover`, token: endpoint.token }],
    contexts: [{ name, cluster: name, user: `${name}-cutover` }],
    currentContext: name,
  });
  return { name, server: endpoint.server, ca: endpoint.ca, eks, kc, objects: ObjectApi.forConfig(kc) };
}

/** Sandbox and tests: cluster name → local API server. */
export function localClusterAccess(endpoints: Record<string, ClusterEndpoint>): ClusterAccess {
  return {
    async connect(cluster, _region, ref) {
      const e = endpoints[ref?.context ?? cluster] ?? endpoints[cluster];
      if (!e) return undefined;
      const ca = e.ca ?? (e.caFile ? readFileSync(e.caFile, 'utf8') : undefined);
      return clusterFrom(cluster, { server: e.server, ca, token: e.token }, false);
    },
  };
}

/** Reads the JSON map (cluster name → {server, caFile, token}) that CUTOVER_KUBE_CLUSTERS names. */
export function loadClusterMap(file: string): Record<string, ClusterEndpoint> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, ClusterEndpoint>;
  for (const [name, e] of Object.entries(parsed)) {
    if (!e?.server || !e.token) throw new Error(`${file}: cluster ${name} needs server and token`);
  }
  return parsed;
}

/**
 * The kubeconfig files of a KUBECONFIG list (colon-separated, as kubectl reads it) merged as
 * kubectl merges them: the first file that names a cluster, user or context wins, and the
 * first current-context set wins. Files that do not exist are skipped.
 */
export function loadKubeconfigs(paths: string[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of paths) {
    if (!file || !existsSync(file)) continue;
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    currentContext ||= kc.getCurrentContext() ?? '';
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return merged;
}

/** Is `arn` the ARN of the EKS cluster `name` (arn:<partition>:eks:<region>:<account>:cluster/<name>)? */
const isEksArnOf = (arn: string, name: string) => /^arn:[^:]+:eks:[^:]*:[^:]*:cluster\/[^/]+$/.test(arn) && arn.endsWith(`:cluster/${name}`);

/**
 * The context for `name`: the context of that name; else, for an EKS cluster, the context
 * named by its ARN (as `aws eks update-kubeconfig` names them) or whose cluster entry has the
 * name or the ARN (a context renamed with --alias).
 */
export function findContext(kc: KubeConfig, name: string): Context | undefined {
  const contexts = kc.getContexts();
  return (
    contexts.find((c) => c.name === name) ??
    contexts.find((c) => isEksArnOf(c.name, name)) ??
    contexts.find((c) => c.cluster === name || isEksArnOf(c.cluster, name))
  );
}

function caOf(cluster: Cluster | null): string | undefined {
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (cluster?.caFile && existsSync(cluster.caFile)) return readFileSync(cluster.caFile, 'utf8');
  return undefined;
}

/** Any cluster the worker's kubeconfig has a context for (by the spec's context, or the cluster's name or ARN). */
export function kubeconfigClusterAccess(kc: KubeConfig): ClusterAccess {
  return {
    async connect(cluster, _region, ref) {
      const context = findContext(kc, ref?.context ?? cluster);
      if (!context) return undefined;
      const own = new KubeConfig();
      own.loadFromString(kc.exportConfig());
      own.setCurrentContext(context.name);
      const entry = own.getCurrentCluster();
      return { name: cluster, server: entry?.server ?? '', ca: caOf(entry), eks: false, kc: own, objects: ObjectApi.forConfig(own) };
    },
  };
}

/** AWS: DescribeCluster for endpoint and CA, and a fresh EKS token from the worker's credentials. */
export function eksClusterAccess(aws: AwsClients): ClusterAccess {
  return {
    async connect(cluster, region, ref) {
      // A cluster the spec names by context alone is not in EKS: asking would only say NotFound.
      if (ref && !ref.eks) return undefined;
      const client = aws.eks(region);
      const described = await client.send(new DescribeClusterCommand({ name: cluster })).catch((err) => {
        throw awsFailure(err, `cluster ${cluster}`);
      });
      const c = described.cluster;
      if (!c?.endpoint) throw notFound(`cluster ${cluster} in ${region} has no API endpoint (status ${c?.status ?? 'unknown'})`);
      const credentials = await client.config.credentials();
      const ca = c.certificateAuthority?.data ? Buffer.from(c.certificateAuthority.data, 'base64').toString('utf8') : undefined;
      return clusterFrom(cluster, { server: c.endpoint, ca, token: await eksToken(cluster, region, credentials) }, true);
    },
  };
}

/** The first source that knows the cluster wins. */
export function chainClusterAccess(...sources: ClusterAccess[]): ClusterAccess {
  return {
    async connect(cluster, region, ref) {
      for (const source of sources) {
        const found = await source.connect(cluster, region, ref);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/**
 * The worker's seam, from its environment. First match wins: the CUTOVER_KUBE_CLUSTERS map
 * (the sandbox's local apiservers), then a context of the KUBECONFIG files (merged as kubectl
 * does), then, in aws mode, the EKS cluster with a token minted from the worker's own credentials.
 */
export function clusterAccessFromEnv(aws: AwsClients, env: NodeJS.ProcessEnv = process.env): ClusterAccess {
  const sources: ClusterAccess[] = [];
  if (env.CUTOVER_KUBE_CLUSTERS) sources.push(localClusterAccess(loadClusterMap(env.CUTOVER_KUBE_CLUSTERS)));
  const kubeconfigs = (env.KUBECONFIG ?? '').split(':').filter((p) => p && existsSync(p));
  if (kubeconfigs.length) sources.push(kubeconfigClusterAccess(loadKubeconfigs(kubeconfigs)));
  if ((env.CUTOVER_MODE ?? 'sandbox') === 'aws') sources.push(eksClusterAccess(aws));
  return chainClusterAccess(...sources);
}

// --- calls -------------------------------------------------------------------------------

/** Failure type of a retryable API-server problem (5xx, 429, network). */
export const KUBE_UNAVAILABLE = 'KubernetesUnavailable';

export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own message (a Status object's), which the client hands over parsed or as JSON text. */
function apiMessage(err: unknown): string | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  if (typeof body !== 'string') return (body as { message?: string } | undefined)?.message;
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body || undefined;
  }
}

/** Maps a Kubernetes API error to a typed failure naming `what`; 5xx, 429 and network errors stay retryable. */
export function kubeFailure(err: unknown, what: string): Error {
  if (err instanceof ApplicationFailure) return err;
  const status = statusOf(err);
  const detail = apiMessage(err) || (err as Error)?.message || String(err);
  // A refusal says where to grant what is missing.
  const hint = status === 403 ? " (the worker's identity on this cluster lacks the permission: see deploy/rbac)" : '';
  const message = `${what}: ${status ? `HTTP ${status}: ` : ''}${detail}${hint}`.slice(0, 1_000);
  const failure = (type: string, nonRetryable: boolean) => ApplicationFailure.create({ type, message, nonRetryable });
  if (status === 401 || status === 403) return failure(FAILURE.accessDenied, true);
  if (status === 404) return failure(FAILURE.notFound, true);
  if (status === 400 || status === 422) return failure(FAILURE.invalidSpec, true);
  return failure(KUBE_UNAVAILABLE, false);
}

/** "Kind namespace/name" (or "Kind name" when cluster-scoped): how findings and failures name an object. */
export const describeObject = (o: { kind?: string; namespace?: string; name?: string }) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** A status condition, as Pods and Flux objects report them. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  /** Page size; every list is paginated with `continue`. */
  limit?: number;
}

/** Every object of a kind, page by page, so a large cluster never arrives in one response. */
export async function* listPages<T extends KubernetesObject = KubernetesObject>(cluster: KubeCluster, apiVersion: string, kind: string, opts: ListOptions = {}): AsyncGenerator<T[]> {
  let continueToken: string | undefined;
  do {
    const page = await cluster.objects
      .list<T>(apiVersion, kind, opts.namespace, undefined, undefined, undefined, undefined, opts.labelSelector, opts.limit ?? 250, continueToken)
      .catch((err) => {
        throw kubeFailure(err, `listing ${kind} (${apiVersion}) in ${cluster.name}`);
      });
    // Long audits of big clusters show progress (and a lost worker is noticed).
    pulse({ listing: kind, cluster: cluster.name });
    yield page.items;
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken);
}

export async function listAll<T extends KubernetesObject = KubernetesObject>(cluster: KubeCluster, apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
  const all: T[] = [];
  for await (const page of listPages<T>(cluster, apiVersion, kind, opts)) all.push(...page);
  return all;
}

/** Every group/version the API server serves ("v1", "apps/v1", …), from discovery. */
export async function servedGroupVersions(cluster: KubeCluster): Promise<Set<string>> {
  try {
    const [core, groups] = await Promise.all([cluster.kc.makeApiClient(CoreApi).getAPIVersions(), cluster.kc.makeApiClient(ApisApi).getAPIVersions()]);
    const served = new Set<string>(core.versions);
    for (const g of groups.groups) for (const v of g.versions) served.add(v.groupVersion);
    return served;
  } catch (err) {
    throw kubeFailure(err, `API discovery of ${cluster.name}`);
  }
}

/** Reads one object, or undefined when it does not exist. */
export async function readObject<T extends KubernetesObject>(cluster: KubeCluster, ref: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<T | undefined> {
  try {
    return (await cluster.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })) as T;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw kubeFailure(err, `reading ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} in ${cluster.name}`);
  }
}

/** The server's Kubernetes minor ("1.34"), from the kube-apiserver's /version ("34+" on some distributions reads 34). */
export async function serverMinor(cluster: KubeCluster): Promise<string> {
  try {
    const v = await cluster.kc.makeApiClient(VersionApi).getCode();
    return `${v.major.replace(/\D+$/, '')}.${v.minor.replace(/\D+$/, '')}`;
  } catch (err) {
    throw kubeFailure(err, `version of ${cluster.name}`);
  }
}

/** Connects or fails with a clear NotFound when the worker has no way to reach the cluster. */
export async function requireCluster(access: ClusterAccess | undefined, cluster: string, region: string, ref?: KubeContextRef): Promise<KubeCluster> {
  const found = await access?.connect(cluster, region, ref);
  if (!found) {
    const how = ref ? `kubeconfig context ${ref.context}` : 'CUTOVER_KUBE_CLUSTERS, a kubeconfig context named like it or by its EKS ARN, or EKS in aws mode';
    throw notFound(`no access to cluster ${cluster}'s API server is configured on this worker (${how})`);
  }
  return found;
}
