// GitOps around the cutover. Argo CD: register green as a cluster (a labelled Secret in the
// management cluster), wait until the Applications that target green are Synced and Healthy,
// pause blue's auto-sync during the freeze and restore it exactly as it was. Flux: wait until
// green's Kustomizations and HelmReleases are Ready; suspend blue's during the freeze.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { durationMs } from '../workflows/duration.js';
import type { Finding } from '../workflows/model.js';
import { DEFAULTS } from '../workflows/spec-defaults.js';
import type { AutoSyncInput, AutoSyncResult, BootstrapGitopsInput, BootstrapGitopsResult, GitopsObjectStatus, RegisterClusterInput, RegisterClusterResult } from './contract.js';
import { invalidSpec } from './errors.js';
import { describeObject, kubeFailure, listAll, requireCluster, statusOf, type ClusterAccess, type Condition, type KubeCluster } from './kubernetes.js';
import { activityContext, POLL_INTERVAL, pollUntil } from './poll.js';

export const ARGO_CLUSTER_LABEL = 'argocd.argoproj.io/secret-type';
export const ARGO_APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' };
export const FLUX_KINDS = [
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' },
];
/** Blue's original `spec.syncPolicy.automated`, kept while cutover has auto-sync paused. */
export const PAUSED_AUTOMATED = 'cutover.io/paused-automated';
/** Marks a Flux object cutover suspended (and so must resume). */
export const SUSPENDED_BY_CUTOVER = 'cutover.io/suspended';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cutover' };
const RECONNECT_MS = 10 * 60_000;

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> };

const dnsName = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
export const clusterSecretName = (cluster: string) => dnsName(`cluster-${cluster}`);
const sameServer = (a?: string, b?: string) => !!a && !!b && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
const decode = (v?: string) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));
const ref = (o: Obj) => describeObject({ kind: o.kind, ...o.metadata });

/** How Argo CD authenticates to `target`: EKS via its own IAM identity, otherwise the worker's credential for it. */
function argoClusterConfig(target: KubeCluster): string {
  const tls = { insecure: false, ...(target.ca ? { caData: Buffer.from(target.ca).toString('base64') } : {}) };
  if (target.eks) return JSON.stringify({ awsAuthConfig: { clusterName: target.name }, tlsClientConfig: tls });
  const user = target.kc.getCurrentUser();
  if (user?.token) return JSON.stringify({ bearerToken: user.token, tlsClientConfig: tls });
  if (user?.certData && user.keyData) return JSON.stringify({ tlsClientConfig: { ...tls, certData: user.certData, keyData: user.keyData } });
  throw invalidSpec(`cannot register ${target.name} in Argo CD: its access gives neither a token nor a client certificate`);
}

async function argoClusterSecrets(mgmt: KubeCluster, namespace: string): Promise<Obj[]> {
  return listAll<Obj>(mgmt, 'v1', 'Secret', { namespace, labelSelector: `${ARGO_CLUSTER_LABEL}=cluster` });
}

/** Registers `cluster` with Argo CD; a Secret already describing it (ours or anyone's) is left alone. */
async function registerCluster(access: ClusterAccess | undefined, input: RegisterClusterInput): Promise<RegisterClusterResult> {
  const namespace = input.argocd.namespace ?? DEFAULTS.argocdNamespace;
  const [mgmt, target] = await Promise.all([
    requireCluster(access, input.argocd.managementContext, input.region),
    requireCluster(access, input.cluster, input.region),
  ]);
  const desired = { name: input.cluster, server: target.server, config: argoClusterConfig(target) };
  const secrets = await argoClusterSecrets(mgmt, namespace);
  const secretName = clusterSecretName(input.cluster);
  const ours = secrets.find((s) => s.metadata?.name === secretName);
  const other = secrets.find((s) => s !== ours && sameServer(decode(s.data?.server), target.server));
  if (!ours && other) return { secretName: other.metadata!.name!, changed: false };
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace, labels: { [ARGO_CLUSTER_LABEL]: 'cluster', ...MANAGED_BY } },
    type: 'Opaque',
    stringData: desired,
  };
  if (!ours) {
    await mgmt.objects.create(body).catch((err) => {
      // A concurrent attempt created it first: compare on the next retry.
      throw kubeFailure(err, `registering ${input.cluster} in Argo CD (${namespace}/${secretName})`);
    });
    return { secretName, changed: true };
  }
  const current = { name: decode(ours.data?.name), server: decode(ours.data?.server), config: decode(ours.data?.config) };
  if (current.name === desired.name && sameServer(current.server, desired.server) && current.config === desired.config) return { secretName, changed: false };
  await mgmt.objects.patch(body, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
    throw kubeFailure(err, `updating ${namespace}/${secretName} in ${input.argocd.managementContext}`);
  });
  return { secretName, changed: true };
}

/** Applications whose destination is `target` (by server URL or by registered name). */
async function applicationsTargeting(mgmt: KubeCluster, namespace: string, target: { name: string; server: string }): Promise<Obj[]> {
  if (!(await mgmt.objects.served(ARGO_APPLICATION.apiVersion, ARGO_APPLICATION.kind))) {
    throw invalidSpec(`${mgmt.name} does not serve Argo CD Applications (${ARGO_APPLICATION.apiVersion}); is Argo CD installed there?`);
  }
  const apps = await listAll<Obj>(mgmt, ARGO_APPLICATION.apiVersion, ARGO_APPLICATION.kind, { namespace });
  return apps.filter((app) => {
    const dest = (app.spec?.destination ?? {}) as { server?: string; name?: string };
    return sameServer(dest.server, target.server) || dest.name === target.name;
  });
}

export function applicationStatus(app: Obj): GitopsObjectStatus {
  const sync = (app.status?.sync as { status?: string } | undefined)?.status ?? 'Unknown';
  const health = (app.status?.health as { status?: string } | undefined)?.status ?? 'Unknown';
  return { kind: 'Application', namespace: app.metadata?.namespace, name: app.metadata?.name ?? '', ready: sync === 'Synced' && health === 'Healthy', detail: `${sync}/${health}` };
}

export function fluxStatus(obj: Obj): GitopsObjectStatus {
  const conditions = (obj.status?.conditions as Condition[] | undefined) ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const observed = (obj.status?.observedGeneration as number | undefined) ?? 0;
  const current = observed >= (obj.metadata?.generation ?? 0);
  return {
    kind: obj.kind ?? '',
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? '',
    ready: ready?.status === 'True' && current,
    detail: !current ? 'not yet reconciled' : ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : 'no Ready condition yet',
  };
}

/** The cluster's Flux objects: in every namespace, or in `namespaces` only. */
async function fluxObjects(cluster: KubeCluster, namespaces?: string[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const { apiVersion, kind } of FLUX_KINDS) {
    if (!(await cluster.objects.served(apiVersion, kind))) continue;
    for (const namespace of namespaces ?? [undefined]) out.push(...(await listAll<Obj>(cluster, apiVersion, kind, { namespace })));
  }
  return out;
}

export interface GitopsOptions {
  /** Tests narrow the Flux objects to their namespaces (they share one API server); production: every namespace. */
  namespaces?: string[];
}

export function createGitopsActivities(access: ClusterAccess | undefined, opts: GitopsOptions = {}) {
  const fluxOf = (cluster: KubeCluster) => fluxObjects(cluster, opts.namespaces);
  return {
    /** Registers a cluster with Argo CD (idempotent: an unchanged registration is not rewritten). */
    async registerArgoCluster(input: RegisterClusterInput): Promise<RegisterClusterResult> {
      return registerCluster(access, input);
    },

    /**
     * Removes `cluster` from Argo CD before it is deleted: cutover's Secret for it and any other
     * cluster Secret pointing at its server (a registration of a deleted cluster is dead).
     * Already gone counts as done.
     */
    async deregisterArgoCluster(input: RegisterClusterInput): Promise<{ removed: boolean; secrets: string[] }> {
      const mgmt = await requireCluster(access, input.argocd.managementContext, input.region);
      const namespace = input.argocd.namespace ?? DEFAULTS.argocdNamespace;
      const ours = clusterSecretName(input.cluster);
      // A cluster the worker cannot reach any more still loses the Secret cutover made for it.
      const server = await requireCluster(access, input.cluster, input.region).then((c) => c.server, () => undefined);
      const doomed = (await argoClusterSecrets(mgmt, namespace))
        .filter((s) => s.metadata?.name === ours || sameServer(decode(s.data?.server), server))
        .map((s) => s.metadata!.name!);
      const secrets: string[] = [];
      for (const name of doomed) {
        try {
          await mgmt.objects.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } });
          secrets.push(name);
        } catch (err) {
          if (statusOf(err) !== 404) throw kubeFailure(err, `deleting ${namespace}/${name} in ${mgmt.name}`);
        }
      }
      return { removed: secrets.length > 0, secrets };
    },

    /**
     * Registers green (when asked) and waits, heartbeating, until every Argo CD Application
     * targeting green is Synced+Healthy and green's Flux objects are Ready. On timeout it
     * returns `ready: false` with a blocking finding per object still waiting.
     */
    async bootstrapGitops(input: BootstrapGitopsInput): Promise<BootstrapGitopsResult> {
      const findings: Finding[] = [];
      let registered = false;
      if (input.argocd?.registerCluster) {
        const r = await registerCluster(access, { region: input.region, cluster: input.green, argocd: input.argocd });
        registered = r.changed;
        findings.push({ severity: 'info', source: 'argocd', message: `${input.green} ${r.changed ? 'registered' : 'already registered'} in Argo CD as ${r.secretName}` });
      }
      const connect = async () => ({
        at: Date.now(),
        green: await requireCluster(access, input.green, input.region),
        mgmt: input.argocd ? await requireCluster(access, input.argocd.managementContext, input.region) : undefined,
      });
      let clusters = await connect();
      const namespace = input.argocd?.namespace ?? DEFAULTS.argocdNamespace;
      // A retried attempt keeps the deadline the first one set, so a crash does not extend the wait.
      const resumed = (activityContext()?.info.heartbeatDetails as { deadline?: number } | undefined)?.deadline;
      const deadline = resumed ?? Date.now() + durationMs(input.timeout ?? DEFAULTS.gitopsSyncTimeout);

      return pollUntil(
        async (round) => {
          // EKS tokens live 15 minutes; a long wait reconnects before they run out.
          if (Date.now() - clusters.at > RECONNECT_MS) clusters = await connect();
          const { green, mgmt } = clusters;
          const objects: GitopsObjectStatus[] = [];
          if (mgmt) objects.push(...(await applicationsTargeting(mgmt, namespace, { name: input.green, server: green.server })).map(applicationStatus));
          const argoWaiting = !!mgmt && !objects.some((o) => o.kind === 'Application');
          if (input.flux !== false) objects.push(...(await fluxOf(green)).filter((o) => !o.spec?.suspend).map(fluxStatus));
          const waiting = objects.filter((o) => !o.ready);
          if (!waiting.length && !argoWaiting) {
            findings.push({ severity: 'info', source: 'gitops', message: objects.length ? `${objects.length} GitOps objects for ${input.green} are synced and healthy` : `no GitOps objects manage ${input.green}` });
            return { registered, ready: true, objects, findings };
          }
          if (round.last) {
            if (argoWaiting) findings.push({ severity: 'blocking', source: 'argocd', message: `no Argo CD Application in ${namespace} targets ${input.green} (${green.server})` });
            for (const o of waiting) findings.push({ severity: 'blocking', source: o.kind === 'Application' ? 'argocd' : 'flux', message: `${o.kind} ${o.namespace}/${o.name} is ${o.detail}, not ready for ${input.green}` });
            return { registered, ready: false, objects, findings };
          }
          round.progress = { waiting: waiting.length };
          return undefined;
        },
        { describe: `GitOps synced and healthy on ${input.green}`, interval: input.pollInterval ?? POLL_INTERVAL.gitops, deadline },
      );
    },

    /**
     * Freeze: stops blue from being re-synced. Argo CD Applications targeting it lose
     * `spec.syncPolicy.automated` (the original is kept in an annotation, in the same patch);
     * its Flux objects get `spec.suspend: true`. Objects already paused are left alone.
     */
    async pauseBlueAutoSync(input: AutoSyncInput): Promise<AutoSyncResult> {
      const changed: string[] = [];
      if (input.argocd) {
        const [mgmt, blue] = await Promise.all([requireCluster(access, input.argocd.managementContext, input.region), requireCluster(access, input.cluster, input.region)]);
        for (const app of await applicationsTargeting(mgmt, input.argocd.namespace ?? DEFAULTS.argocdNamespace, { name: input.cluster, server: blue.server })) {
          const automated = (app.spec?.syncPolicy as { automated?: unknown } | undefined)?.automated;
          if (!automated || app.metadata?.annotations?.[PAUSED_AUTOMATED]) continue;
          await patch(mgmt, app, { metadata: { annotations: { [PAUSED_AUTOMATED]: JSON.stringify(automated) } }, spec: { syncPolicy: { automated: null } } });
          changed.push(ref(app));
        }
      }
      if (input.flux !== false) {
        const blue = await requireCluster(access, input.cluster, input.region);
        for (const obj of await fluxOf(blue)) {
          if (obj.spec?.suspend) continue;
          await patch(blue, obj, { metadata: { annotations: { [SUSPENDED_BY_CUTOVER]: 'true' } }, spec: { suspend: true } });
          changed.push(ref(obj));
        }
      }
      return { changed };
    },

    /** Undoes pauseBlueAutoSync: restores each original `automated` and un-suspends what cutover suspended. */
    async resumeBlueAutoSync(input: AutoSyncInput): Promise<AutoSyncResult> {
      const changed: string[] = [];
      if (input.argocd) {
        const [mgmt, blue] = await Promise.all([requireCluster(access, input.argocd.managementContext, input.region), requireCluster(access, input.cluster, input.region)]);
        for (const app of await applicationsTargeting(mgmt, input.argocd.namespace ?? DEFAULTS.argocdNamespace, { name: input.cluster, server: blue.server })) {
          const saved = app.metadata?.annotations?.[PAUSED_AUTOMATED];
          if (!saved) continue;
          await patch(mgmt, app, { metadata: { annotations: { [PAUSED_AUTOMATED]: null } }, spec: { syncPolicy: { automated: JSON.parse(saved) } } });
          changed.push(ref(app));
        }
      }
      if (input.flux !== false) {
        const blue = await requireCluster(access, input.cluster, input.region);
        for (const obj of await fluxOf(blue)) {
          if (obj.metadata?.annotations?.[SUSPENDED_BY_CUTOVER] !== 'true') continue;
          await patch(blue, obj, { metadata: { annotations: { [SUSPENDED_BY_CUTOVER]: null } }, spec: { suspend: false } });
          changed.push(ref(obj));
        }
      }
      return { changed };
    },
  };
}

/** One JSON merge patch: the annotation and the spec change land together or not at all. */
async function patch(cluster: KubeCluster, obj: Obj, change: Record<string, unknown>): Promise<void> {
  const body = { apiVersion: obj.apiVersion, kind: obj.kind, ...change, metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace, ...(change.metadata as object) } };
  await cluster.objects.patch(body as KubernetesObject, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
    throw kubeFailure(err, `patching ${ref(obj)} in ${cluster.name}`);
  });
}
