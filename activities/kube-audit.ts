// What the migration needs to know about the clusters' contents: objects in blue that use an
// API the target version no longer serves (or deprecates), the data blue keeps in its volumes,
// what exists only in blue (drift a cutover would
// lose) or differs from green, and whether green's workloads are ready.
import { gunzipSync } from 'node:zlib';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { describeObject, listPages, servedGroupVersions, type KubeCluster } from './kubernetes.js';
import { affectedAt, statusAt, withUserRows, type ApiLifecycle, type ApiStatus } from './removed-apis.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

type Obj = KubernetesObject & Record<string, unknown>;

// --- removed APIs ------------------------------------------------------------------------

export interface ApiUsage extends ObjectKey {
  /**
   * What revealed the old apiVersion: "last-applied", "managedFields <manager>" (server-side
   * apply, Flux, Argo CD, any client) or "helm release <ns>/<name> v<rev>".
   */
  sources: string[];
  /** Removed at or before the target (blocking), else deprecated there (warning). */
  removed: boolean;
  deprecatedIn?: string;
  removedIn?: string;
  replacement?: string;
}

export interface RemovedApiScan {
  targetVersion: string;
  usages: ApiUsage[];
  /** Removed APIs the cluster still serves today (a client may be using them). */
  servedRemoved: ApiLifecycle[];
}

export interface HelmRelease {
  name: string;
  namespace: string;
  version: number;
  manifest: string;
}

/** Helm 3 release secret payload: base64 (Secret data) of base64 of gzip of JSON. */
export function decodeHelmRelease(secretData: string): HelmRelease {
  const inner = Buffer.from(Buffer.from(secretData, 'base64').toString('utf8'), 'base64');
  const json = inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner).toString('utf8') : inner.toString('utf8');
  const release = JSON.parse(json) as { name: string; namespace: string; version: number; manifest?: string };
  return { name: release.name, namespace: release.namespace, version: release.version, manifest: release.manifest ?? '' };
}

/** The objects a rendered Helm manifest declares (documents that are not objects are skipped). */
export function manifestObjects(manifest: string): ObjectKey[] {
  const keys: ObjectKey[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    if (doc.errors.length) continue;
    const o = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (o?.apiVersion && o.kind && o.metadata?.name) keys.push({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace });
  }
  return keys;
}

function lastApplied(obj: Obj): { apiVersion?: string; kind?: string } | undefined {
  const raw = obj.metadata?.annotations?.[LAST_APPLIED];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as { apiVersion?: string; kind?: string };
  } catch {
    return undefined;
  }
}

/** Every apiVersion an object was written with, and what says so. */
function writtenWith(obj: Obj, kind: string): { apiVersion: string; kind: string; source: string }[] {
  const out: { apiVersion: string; kind: string; source: string }[] = [];
  const applied = lastApplied(obj);
  if (applied?.apiVersion) out.push({ apiVersion: applied.apiVersion, kind: applied.kind ?? kind, source: 'last-applied' });
  for (const entry of obj.metadata?.managedFields ?? []) {
    if (entry.apiVersion) out.push({ apiVersion: entry.apiVersion, kind, source: `managedFields ${entry.manager ?? '(no manager)'}` });
  }
  return out;
}

/**
 * Scans a cluster for objects that use an API removed (or deprecated) at `targetVersion`:
 * the apiVersion they were last applied with (kubectl annotation), the apiVersion each
 * writer used (managedFields: server-side apply, Flux, Argo CD, controllers) and the
 * manifests of deployed Helm releases. Objects are listed through the API that serves them
 * today (the row's `replacement`, else the old version while still served), so one list
 * covers every old version of a kind. `table` is the built-in table plus the user's rows.
 */
export async function scanRemovedApis(cluster: KubeCluster, targetVersion: string, opts: { namespaces?: string[]; table?: readonly ApiLifecycle[] } = {}): Promise<RemovedApiScan> {
  const table = opts.table ?? withUserRows();
  const affected = affectedAt(table, targetVersion);
  const served = await servedGroupVersions(cluster);
  const usages = new Map<string, ApiUsage>();
  const add = (key: ObjectKey, status: ApiStatus, source: string) => {
    const id = `${key.apiVersion}|${describeObject(key)}`;
    const known = usages.get(id);
    if (known) {
      if (!known.sources.includes(source)) known.sources.push(source);
      return;
    }
    const { apiVersion, kind, deprecatedIn, removedIn, replacement, removed } = status;
    usages.set(id, { apiVersion, kind, namespace: key.namespace, name: key.name, deprecatedIn, removedIn, replacement, removed, sources: [source] });
  };

  const listed = new Set<string>();
  for (const row of affected) {
    const through = [row.replacement, row.apiVersion].find((v) => v && served.has(v));
    if (!through || listed.has(`${through}|${row.kind}`)) continue;
    listed.add(`${through}|${row.kind}`);
    // Reviews (TokenReview, SubjectAccessReview) are requests, never stored: nothing to list.
    if (!(await cluster.objects.served(through, row.kind))?.verbs.includes('list')) continue;
    for (const namespace of opts.namespaces ?? [undefined]) {
      for await (const page of listPages<Obj>(cluster, through, row.kind, { namespace })) {
        for (const obj of page) {
          for (const w of writtenWith(obj, row.kind)) {
            const status = statusAt(table, w.apiVersion, w.kind, targetVersion);
            if (status) add({ apiVersion: w.apiVersion, kind: w.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' }, status, w.source);
          }
        }
      }
    }
  }

  for (const namespace of opts.namespaces ?? [undefined]) {
    for await (const page of listPages<Obj>(cluster, 'v1', 'Secret', { namespace, labelSelector: 'owner=helm,status=deployed' })) {
      for (const secret of page) {
        const data = (secret.data as Record<string, string> | undefined)?.release;
        if (!data) continue;
        let release: HelmRelease;
        try {
          release = decodeHelmRelease(data);
        } catch {
          continue; // not a Helm 3 payload; nothing we can read
        }
        for (const key of manifestObjects(release.manifest)) {
          const status = statusAt(table, key.apiVersion, key.kind, targetVersion);
          if (status) add({ ...key, namespace: key.namespace ?? release.namespace }, status, `helm release ${release.namespace}/${release.name} v${release.version}`);
        }
      }
    }
  }

  return { targetVersion, usages: [...usages.values()], servedRemoved: affected.filter((r) => r.removed && served.has(r.apiVersion)) };
}

// --- inventory and drift -----------------------------------------------------------------

export interface InventoryKind {
  apiVersion: string;
  kind: string;
}

/** What the drift audit compares while validating green. Custom resources are added per CRD. */
export const INVENTORY_KINDS: readonly InventoryKind[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
];

/** Annotations that differ between clusters by nature, not by anyone's hand. */
const VOLATILE_ANNOTATIONS = [LAST_APPLIED, 'deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/restartedAt', 'argocd.argoproj.io/tracking-id'];

/** Objects the platform makes itself in every cluster; they are nobody's drift. */
export function isSystemObject(kind: string, obj: Obj): boolean {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  if (ns && /^kube-/.test(ns)) return true;
  if (/^(system:|eks:)/.test(name) || obj.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults') return true;
  if (kind === 'ConfigMap' && name === 'kube-root-ca.crt') return true;
  if (kind === 'ServiceAccount' && name === 'default') return true;
  if (kind === 'Service' && ns === 'default' && name === 'kubernetes') return true;
  if (kind === 'Secret' && ['kubernetes.io/service-account-token', 'helm.sh/release.v1'].includes(obj.type as string)) return true;
  return false;
}

const omitKeys = (o: Record<string, unknown> | undefined, keys: string[]) => {
  if (!o) return undefined;
  const kept = Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  return Object.keys(kept).length ? kept : undefined;
};

/** The part of an object a person wrote: no status, no server-assigned metadata or addresses. */
export function normalize(kind: string, obj: Obj): Record<string, unknown> {
  // Secrets are compared by name only: their content never leaves the cluster.
  if (kind === 'Secret') return { type: obj.type };
  const body: Record<string, unknown> = JSON.parse(JSON.stringify(obj));
  delete body.apiVersion;
  delete body.kind;
  delete body.status;
  body.metadata = { labels: obj.metadata?.labels, annotations: omitKeys(obj.metadata?.annotations, VOLATILE_ANNOTATIONS) };
  const spec = body.spec as Record<string, unknown> | undefined;
  if (kind === 'Service' && spec) {
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort']) delete spec[k];
    for (const port of (spec.ports as Record<string, unknown>[] | undefined) ?? []) delete port.nodePort;
  }
  if (kind === 'ServiceAccount') delete body.secrets;
  if (kind === 'CustomResourceDefinition') {
    const webhook = (spec?.conversion as { webhook?: { clientConfig?: Record<string, unknown> } } | undefined)?.webhook;
    if (webhook?.clientConfig) delete webhook.clientConfig.caBundle;
  }
  const template = (spec?.template as { metadata?: { annotations?: Record<string, string> } } | undefined)?.metadata;
  if (template?.annotations) template.annotations = omitKeys(template.annotations, VOLATILE_ANNOTATIONS) as Record<string, string>;
  return body;
}

export interface InventoryItem extends ObjectKey {
  body: Record<string, unknown>;
}
export type Inventory = Map<string, InventoryItem>;

const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
/** Identity across clusters: group, kind, namespace, name (not version: a CR may be stored at another one). */
export const inventoryId = (k: ObjectKey) => `${group(k.apiVersion)}|${k.kind}|${k.namespace ?? ''}|${k.name}`;

interface CrdSpec {
  group: string;
  names: { kind: string };
  scope: string;
  versions: { name: string; served: boolean; storage: boolean }[];
}

/** The custom resource kinds a cluster defines, each at its storage version. */
async function customKinds(cluster: KubeCluster): Promise<InventoryKind[]> {
  const kinds: InventoryKind[] = [];
  for await (const page of listPages<Obj>(cluster, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')) {
    for (const crd of page) {
      const spec = crd.spec as CrdSpec;
      const version = spec.versions.find((v) => v.storage && v.served) ?? spec.versions.find((v) => v.served);
      if (version) kinds.push({ apiVersion: `${spec.group}/${version.name}`, kind: spec.names.kind });
    }
  }
  return kinds;
}

export interface InventoryOptions {
  /** Only these namespaces (cluster-scoped objects are still listed unless `clusterScoped` is false). */
  namespaces?: string[];
  clusterScoped?: boolean;
  /** Extra kinds to list (custom resources of CRDs the other cluster defines). */
  extraKinds?: InventoryKind[];
}

/** Lists every inventoried kind (plus the cluster's custom resources), paginated. */
export async function inventory(cluster: KubeCluster, opts: InventoryOptions = {}): Promise<Inventory> {
  const items: Inventory = new Map();
  const kinds = [...INVENTORY_KINDS, ...(await customKinds(cluster)), ...(opts.extraKinds ?? [])];
  const seen = new Set<string>();
  for (const { apiVersion, kind } of kinds) {
    if (seen.has(`${apiVersion}|${kind}`)) continue;
    seen.add(`${apiVersion}|${kind}`);
    const resource = await cluster.objects.served(apiVersion, kind);
    if (!resource) continue;
    if (!resource.namespaced && opts.clusterScoped === false) continue;
    const scopes = resource.namespaced && opts.namespaces ? opts.namespaces : [undefined];
    for (const namespace of scopes) {
      for await (const page of listPages<Obj>(cluster, apiVersion, kind, { namespace })) {
        for (const obj of page) {
          if (isSystemObject(kind, obj)) continue;
          const key: ObjectKey = { apiVersion, kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
          items.set(inventoryId(key), { ...key, body: normalize(kind, obj) });
        }
      }
    }
  }
  return items;
}

/** Where two values part, as dotted paths (at most `max`, no deeper than `depth`). */
export function diffPaths(a: unknown, b: unknown, prefix = '', depth = 4, max = 5): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (depth === 0 || !isObj(a) || !isObj(b)) return [prefix || '(whole object)'];
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (out.length >= max) break;
    out.push(...diffPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k, depth - 1, max - out.length));
  }
  return out;
}

export interface DriftReport {
  /** In blue, not in green: made by hand or by a pipeline green does not run; lost at cutover. */
  blueOnly: ObjectKey[];
  /** In both, with different content. */
  differs: { key: ObjectKey; paths: string[] }[];
  greenOnly: number;
  compared: number;
}

export function compareInventories(blue: Inventory, green: Inventory): DriftReport {
  const report: DriftReport = { blueOnly: [], differs: [], greenOnly: 0, compared: 0 };
  for (const [id, item] of blue) {
    const other = green.get(id);
    const key: ObjectKey = { apiVersion: item.apiVersion, kind: item.kind, namespace: item.namespace, name: item.name };
    if (!other) {
      report.blueOnly.push(key);
      continue;
    }
    report.compared++;
    const paths = diffPaths(item.body, other.body);
    if (paths.length) report.differs.push({ key, paths });
  }
  for (const id of green.keys()) if (!blue.has(id)) report.greenOnly++;
  return report;
}

/** Inventories both clusters (custom resources of either side's CRDs) and compares them. */
export async function auditDrift(blue: KubeCluster, green: KubeCluster, opts: InventoryOptions = {}): Promise<DriftReport> {
  const [blueKinds, greenKinds] = await Promise.all([customKinds(blue), customKinds(green)]);
  const [b, g] = await Promise.all([inventory(blue, { ...opts, extraKinds: greenKinds }), inventory(green, { ...opts, extraKinds: blueKinds })]);
  return compareInventories(b, g);
}

// --- readiness ---------------------------------------------------------------------------

export interface WorkloadReadiness extends ObjectKey {
  ready: boolean;
  detail: string;
}

type Status = Record<string, number | undefined>;

/** Whether a workload's controller has rolled out its current spec and every replica is available. */
export function readinessOf(kind: string, obj: Obj): { ready: boolean; detail: string } {
  const status = (obj.status ?? {}) as Status;
  const generation = obj.metadata?.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  if (observed < generation) return { ready: false, detail: `generation ${generation} not yet observed by its controller` };
  if (kind === 'DaemonSet') {
    const desired = status.desiredNumberScheduled ?? 0;
    const ready = status.numberReady ?? 0;
    const updated = status.updatedNumberScheduled ?? 0;
    return { ready: ready >= desired && updated >= desired, detail: `${ready}/${desired} ready, ${updated} updated` };
  }
  const want = ((obj.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
  const ready = (kind === 'Deployment' ? status.availableReplicas : status.readyReplicas) ?? 0;
  const updated = status.updatedReplicas ?? (kind === 'StatefulSet' ? ready : 0);
  return { ready: want === 0 || (ready >= want && updated >= want), detail: `${ready}/${want} ${kind === 'Deployment' ? 'available' : 'ready'}, ${updated} updated` };
}

export async function workloadReadiness(cluster: KubeCluster, opts: { namespaces?: string[] } = {}): Promise<WorkloadReadiness[]> {
  const out: WorkloadReadiness[] = [];
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
    for (const namespace of opts.namespaces ?? [undefined]) {
      for await (const page of listPages<Obj>(cluster, 'apps/v1', kind, { namespace })) {
        for (const obj of page) {
          if (isSystemObject(kind, obj)) continue;
          out.push({ apiVersion: 'apps/v1', kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '', ...readinessOf(kind, obj) });
        }
      }
    }
  }
  return out;
}

// --- stateful workloads ------------------------------------------------------------------

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, '': 1 };

/** Bytes of a Kubernetes quantity ("30Gi", "500M", "1e9"); 0 when it cannot be read. */
export function quantityBytes(q: string | undefined): number {
  const m = /^([0-9.]+(?:e[0-9]+)?)([KMGTP]i|[kMGTP])?$/.exec(q?.trim() ?? '');
  return m ? Number(m[1]) * UNITS[m[2] ?? ''] : 0;
}

/** "30 Gi", the way a person reads volume sizes. */
export const gibibytes = (bytes: number) => `${Number((bytes / 2 ** 30).toFixed(1))} Gi`;

export interface StatefulItem extends ObjectKey {
  /** StatefulSet: its claims (found, else those its templates will make); PVC: 1; PV: 1. */
  volumes: number;
  bytes: number;
  storageClasses: string[];
  /** A PersistentVolume's claim ("ns/name"), when bound. */
  claim?: string;
  /** A StatefulSet's claims found ("ns/name"). */
  claimNames?: string[];
  /** A PersistentVolume's phase (Bound, Released, Available). */
  phase?: string;
  /** A PersistentVolume's disk in the cloud (the CSI volume handle or in-tree EBS volume ID), when it names one. */
  volumeHandle?: string;
}

export interface StatefulInventory {
  statefulSets: StatefulItem[];
  /** Claims no StatefulSet of the scan owns. */
  claims: StatefulItem[];
  /** Volumes with reclaimPolicy Retain: their disks outlive blue. */
  retainedVolumes: StatefulItem[];
}

interface ClaimSpec {
  storageClassName?: string;
  resources?: { requests?: { storage?: string } };
}

/**
 * What data lives in a cluster's volumes: StatefulSets with their claims, other
 * PersistentVolumeClaims, and retained PersistentVolumes (only those claimed from
 * `namespaces` when given). A cutover moves traffic, not this data.
 */
export async function statefulInventory(cluster: KubeCluster, opts: { namespaces?: string[] } = {}): Promise<StatefulInventory> {
  const claims: Obj[] = [];
  const sets: Obj[] = [];
  for (const namespace of opts.namespaces ?? [undefined]) {
    for await (const page of listPages<Obj>(cluster, 'v1', 'PersistentVolumeClaim', { namespace })) claims.push(...page.filter((o) => !isSystemObject('PersistentVolumeClaim', o)));
    for await (const page of listPages<Obj>(cluster, 'apps/v1', 'StatefulSet', { namespace })) sets.push(...page.filter((o) => !isSystemObject('StatefulSet', o)));
  }
  const owned = new Set<Obj>();
  const statefulSets = sets.map((set): StatefulItem => {
    const ns = set.metadata?.namespace;
    const name = set.metadata?.name ?? '';
    const spec = set.spec as { replicas?: number; volumeClaimTemplates?: { metadata?: { name?: string }; spec?: ClaimSpec }[] };
    const templates = spec.volumeClaimTemplates ?? [];
    // The controller names each claim <template>-<set>-<ordinal>.
    const mine = claims.filter((c) => c.metadata?.namespace === ns && templates.some((t) => new RegExp(`^${t.metadata?.name}-${name}-\\d+$`).test(c.metadata?.name ?? '')));
    mine.forEach((c) => owned.add(c));
    const specs: ClaimSpec[] = mine.length ? mine.map((c) => c.spec as ClaimSpec) : templates.flatMap((t) => Array.from({ length: spec.replicas ?? 1 }, () => t.spec ?? {}));
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: ns,
      name,
      volumes: specs.length,
      claimNames: mine.map((c) => `${ns}/${c.metadata?.name}`),
      bytes: specs.reduce((sum, s) => sum + quantityBytes(s.resources?.requests?.storage), 0),
      storageClasses: [...new Set(specs.map((s) => s.storageClassName ?? 'default'))],
    };
  });
  const standalone = claims
    .filter((c) => !owned.has(c))
    .map((c): StatefulItem => {
      const spec = c.spec as ClaimSpec;
      return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: c.metadata?.namespace, name: c.metadata?.name ?? '', volumes: 1, bytes: quantityBytes(spec.resources?.requests?.storage), storageClasses: [spec.storageClassName ?? 'default'] };
    });
  const retainedVolumes: StatefulItem[] = [];
  for await (const page of listPages<Obj>(cluster, 'v1', 'PersistentVolume')) {
    for (const pv of page) {
      const spec = pv.spec as {
        persistentVolumeReclaimPolicy?: string;
        storageClassName?: string;
        capacity?: { storage?: string };
        claimRef?: { namespace?: string; name?: string };
        csi?: { volumeHandle?: string };
        awsElasticBlockStore?: { volumeID?: string };
      };
      if (spec.persistentVolumeReclaimPolicy !== 'Retain') continue;
      if (opts.namespaces && !opts.namespaces.includes(spec.claimRef?.namespace ?? '')) continue;
      retainedVolumes.push({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        name: pv.metadata?.name ?? '',
        volumes: 1,
        bytes: quantityBytes(spec.capacity?.storage),
        storageClasses: [spec.storageClassName || 'no class'],
        claim: spec.claimRef?.name ? `${spec.claimRef.namespace}/${spec.claimRef.name}` : undefined,
        phase: (pv.status as { phase?: string } | undefined)?.phase,
        volumeHandle: spec.csi?.volumeHandle ?? spec.awsElasticBlockStore?.volumeID,
      });
    }
  }
  return { statefulSets, claims: standalone, retainedVolumes };
}
