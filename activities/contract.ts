// Inputs and outputs of the activities, as plain JSON the workflow can carry in history.
// No credentials here: activities resolve them from their own clients.
import type { Finding, MetricVerdict, Weights } from '../workflows/model.js';
import type { MetricPhase } from '../workflows/spec.js';
import type { KubeContextRef, ResolvedDrain, ResolvedObservedShare, ResolvedSpec } from '../workflows/spec-defaults.js';
import type { FreezeWindow, GreenOverrides, PeakWindow, StatefulSettings } from '../workflows/spec.js';

export interface ClusterRef {
  region: string;
  cluster: string;
}

/** Whether a cluster is marked never to be deleted: the tag cutover.io/protected=true, or EKS deletion protection. */
export interface ClusterProtection {
  protected: boolean;
  /** What marks it (the tag, deletion protection); absent when not protected. */
  reason?: string;
}

/**
 * The kubeconfig contexts the spec names, when it names any: a cluster with `eks` false is
 * outside EKS, and activities skip what only EKS can do for it (an info finding says so).
 */
export interface KubeContexts {
  blueContext?: KubeContextRef;
  greenContext?: KubeContextRef;
}

export interface PreflightInput extends KubeContexts {
  region: string;
  blue: string;
  green: string;
  targetVersion: string;
  mode: 'create' | 'adopt';
  /** green.overrides (mode create): preflight checks them against blue (names, AMI types). */
  overrides?: GreenOverrides;
  /** spec.stateful, when set: the claims it carries over are info findings instead of blocking ones. */
  stateful?: StatefulSettings;
}
export interface PreflightResult {
  blueVersion: string;
  findings: Finding[];
}

export interface ProvisionInput extends KubeContexts {
  migrationId: string;
  region: string;
  blue: string;
  green: string;
  targetVersion: string;
  mode: 'create' | 'adopt';
  /** green.overrides (mode create): what green gets other than blue's configuration. */
  overrides?: GreenOverrides;
}
export interface ProvisionResult {
  /** True when this migration created green (so cancel may delete it). */
  created: boolean;
  status: string;
  /** What could not be copied from blue (features the endpoint lacks, add-ons without a target version). */
  findings?: Finding[];
}

/** Blue's cluster, for the decommission steps inside it (activities/blue-teardown.ts). */
export interface BlueCluster {
  region: string;
  cluster: string;
  blueContext?: KubeContextRef;
  /** The alb driver's listener: blue's objects whose load balancer holds it are kept (it carries green's traffic). */
  albListenerArn?: string;
}

/** What deleteBlueLoadBalancers did, each object named ("Service shop/web"). */
export interface BlueLoadBalancers {
  /** Deleted by this call (or gone meanwhile). */
  deleted: string[];
  /** Being deleted already (an earlier attempt asked): waiting for their controller. */
  deleting: string[];
  /** Left alone, each with why (the keep label, or the alb driver's load balancer): their load balancers outlive blue. */
  kept: string[];
  /** Why nothing was done (no API access to blue on this worker). */
  skipped?: string;
}

/** The end of waitBlueLoadBalancersGone: all gone, or, at its deadline, those still there with what holds them. */
export interface LoadBalancersGone {
  gone: boolean;
  remaining: string[];
}

export interface GreenCreatedByInput {
  region: string;
  green: string;
  migrationId: string;
}

/** The routing as preflight found it: what every routed object serves, and what stands in the way of a shift. */
export interface RoutingCheckResult {
  /** One entry per routed object; absent when the routing could not be read. */
  weights?: Weights[];
  findings: Finding[];
}

export interface TrafficInput {
  region: string;
  traffic: ResolvedSpec['traffic'];
}
export interface SetWeightsInput extends TrafficInput {
  weights: Weights;
  actor: string;
  reason: string;
}
export interface SetWeightsResult {
  /** Route 53 changes to wait for; empty when nothing had to change or the driver applies at once. */
  changeIds: string[];
  /** How long resolvers may keep serving the old answer once applied (record TTL; an alias record's aliasTtl). */
  settleSeconds: number;
  /** Why settleSeconds is what it is, for the status ("TTL 300 s of app.example.com. CNAME"); absent when there is nothing to sit out. */
  settleReason?: string;
  changed: boolean;
  /** The routing serves the new weights already (Route 53 answered INSYNC): nothing to wait for. */
  applied?: boolean;
}

/**
 * checkGreenTargets(TrafficInput): can green take traffic now? Called before each shift that
 * raises green's weight. Read-only and idempotent; one call, no waiting (call again to re-check).
 * - alb: DescribeTargetHealth of traffic.alb.greenTargetGroupArn.
 * - service-selector: the Pods in the Service's namespace that the switched selector (the
 *   Service's selector with key=greenValue) picks, by their Ready condition.
 * - external-dns: green's objects exist in greenCluster with a set-identifier annotation and
 *   (Ingress, LoadBalancer Service) a load balancer address; green's record in Route 53 when
 *   externalDns.route53 names the records.
 * - route53: no findings (nothing of green's to ask beyond validateGreen's smoke tests).
 * Findings have source `green-targets`. Only `blocking` ones mean "do not shift now"; one
 * `info` finding sums up a clean check. Green missing or not readable (NotFound,
 * AccessDenied, InvalidSpec, Unsupported) is a blocking finding too, not a failure; throttling,
 * 5xx and unreachable API servers throw retryable failures (the retry policy handles them).
 */
export interface GreenTargetsResult {
  findings: Finding[];
}

export interface WaitAppliedInput extends TrafficInput {
  changeIds: string[];
  weights: Weights;
}

export interface ValidateInput extends KubeContexts {
  region: string;
  blue: string;
  green: string;
  health: ResolvedSpec['health'];
  /** With decommission.drain: its source is read once, so a broken one is found before traffic moves. */
  drain?: ResolvedDrain;
}

export interface WatchHealthInput {
  health: ResolvedSpec['health'];
  /** Where metric checks are read and who they compare: given only when the spec has metric checks. */
  metrics?: { phase: MetricPhase; region: string; blue: string; green: string };
}
export interface HealthBreach {
  reason: string;
  consecutiveFailures: number;
  /** The metric check that breached, with its numbers (absent for a smoke check). */
  check?: MetricVerdict;
}

/** nextPeakWindows: for each of a bake's peak windows, its first occurrence that begins at or after `after`. */
export interface PeakWindowsInput {
  peaks: PeakWindow[];
  /** ISO time. */
  after: string;
}
/** One occurrence of a peak window, as instants (ISO). */
export interface PeakWindowTimes {
  from: string;
  to: string;
}

/** freezeWindowAt: the change-freeze window open at `at` among the spec's windows, the calendars it names and the worker's company-wide ones. */
export interface FreezeWindowInput {
  /** ISO time. */
  at: string;
  windows: FreezeWindow[];
  calendars: string[];
}

export interface NotifyInput {
  migrationId: string;
  event: 'gate-pending' | 'gate-reminder' | 'gate-escalated' | 'gate-expired' | 'step-back' | 'last-delay' | 'blue-kept' | 'breach' | 'rollback' | 'warning' | 'needs-attention' | 'retrying' | 'completed' | 'failed' | 'cancelled' | 'freeze';
  text: string;
  /** A channel the worker maps to a webhook URL (the URL is a secret: it never enters history). */
  channel?: string;
}

// --- GitOps (activities/gitops.ts) ---

export interface ArgoCdRef {
  /** The cluster (as ClusterAccess knows it) where Argo CD runs. */
  managementContext: string;
  namespace?: string;
  registerCluster?: boolean;
}

export interface RegisterClusterInput {
  region: string;
  cluster: string;
  argocd: ArgoCdRef;
}
export interface RegisterClusterResult {
  secretName: string;
  changed: boolean;
}

export interface BootstrapGitopsInput {
  region: string;
  green: string;
  argocd?: ArgoCdRef;
  /** Also wait for Flux Kustomizations/HelmReleases on green where green serves them (default true). */
  flux?: boolean;
  /** Temporal duration; default 30m. */
  timeout?: string;
  pollInterval?: string;
}
export interface GitopsObjectStatus {
  kind: string;
  namespace?: string;
  name: string;
  ready: boolean;
  detail: string;
}
export interface BootstrapGitopsResult {
  /** True when this call created or updated green's cluster Secret. */
  registered: boolean;
  ready: boolean;
  objects: GitopsObjectStatus[];
  findings: Finding[];
}

export interface AutoSyncInput {
  region: string;
  /** The cluster whose auto-sync pauses: Applications targeting it, and its own Flux objects. */
  cluster: string;
  argocd?: ArgoCdRef;
  flux?: boolean;
}
export interface AutoSyncResult {
  /** Objects this call changed ("Application argocd/shop", "Kustomization flux-system/apps"). */
  changed: string[];
}

/** The observed-share check of a step: green's share within tolerance of `intended`; given up at `deadline` (epoch ms, the workflow's). */
export interface ObservedShareInput {
  region: string;
  /** The clusters' names, for {{cluster}} in a PromQL query. */
  blue: string;
  green: string;
  check: ResolvedObservedShare;
  /** The step's green weight (percent). */
  intended: number;
  deadline: number;
}

/** The end of waitObservedShare: within tolerance, or, at its deadline, the last reading and why it is not. */
export interface ObservedShareResult {
  within: boolean;
  /** Green's share (percent) at the last reading; absent with no data or no traffic on either side. */
  observed?: number;
  /** Why not within: the share, no data, or a read's error. */
  reason?: string;
  /** When the last reading was taken (ISO). */
  at: string;
}

/** The drain check: blue's traffic under `drain.below` for a whole window; given up at `deadline` (epoch ms, the workflow's). */
export interface DrainInput {
  region: string;
  /** Blue's cluster name, for {{cluster}} in a PromQL query. */
  blue: string;
  drain: ResolvedDrain;
  deadline: number;
}

/** The end of waitBlueDrained: drained, or, at its deadline, the last reading and why it is not. */
export interface DrainResult {
  drained: boolean;
  /** The last value read (absent with no data, or when the source could not be read). */
  value?: number;
  /** Why not drained: the value, no data, or the read's error. */
  reason?: string;
  /** When the last reading was taken (ISO). */
  at: string;
}

/**
 * permissionFindings: what the plan will ask of AWS, so the dry run can ask IAM whether the
 * worker's identities may do it. Role ARNs are not secrets (the spec names them).
 */
export interface PermissionsInput {
  region: string;
  blue: { cluster: string; eks: boolean };
  green: { cluster: string; eks: boolean; mode: 'create' | 'adopt' };
  /** The plan writes Route 53 weights (the route53 driver, or external-dns's records), in this zone when its ID is known. */
  route53?: { hostedZoneId?: string };
  /** The alb driver moves the traffic. */
  alb: boolean;
  /** A metric check, the observed share or the drain check reads CloudWatch. */
  cloudwatch: boolean;
  /** Decommissioning deletes blue (an EKS blue with decommission.deleteBlue). */
  deleteBlue: boolean;
  /** spec.stateful: blue's EBS volumes are snapshotted and copied for green. */
  stateful: boolean;
  /** The spec's roles (aws.clusters, aws.dns), each assumed by the worker's own identity. */
  roles: { clusters?: string; dns?: string };
}

// --- stateful workloads carried over (activities/stateful.ts) ------------------------------

/** Blue and green of one migration, for the carry-over of blue's volumes. */
export interface StatefulInput extends KubeContexts {
  migrationId: string;
  region: string;
  blue: string;
  green: string;
  stateful: StatefulSettings;
}

/** One of blue's claims bound to an EBS volume, as the carry-over copies it. */
export interface CarriedClaim {
  namespace: string;
  name: string;
  /** The claim's storage class in blue (kept in green); absent when it names none. */
  storageClass?: string;
  /** The claim's request ("10Gi"), kept in green. */
  request: string;
  accessModes: string[];
  volumeMode?: string;
  /** The filesystem on blue's volume (its PV's fsType), kept on green's PV so the copy mounts as it was. */
  fsType?: string;
  /** Blue's PersistentVolume; never changed, never deleted. */
  blueVolume: string;
  /** Blue's EBS volume. */
  volumeId: string;
  /** How blue's volume is attached: the EBS CSI driver or the in-tree awsElasticBlockStore. */
  source: 'csi' | 'in-tree';
  /** Blue's zone (EC2's answer) and the zone its copy goes to (spec.stateful.zones, else the same). */
  zone: string;
  greenZone: string;
  sizeGiB: number;
  volumeType?: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** Blue's claims as the carry-over sees them: those it copies, and those it cannot (each with why). */
export interface StatefulClaims {
  claims: CarriedClaim[];
  notCarried: { claim: string; reason: string }[];
}

/** A workload of blue and the replicas it had before it was scaled to zero. */
export interface ScaledWorkload {
  workload: string;
  replicas: number;
}

export interface WorkloadsInput extends StatefulInput {
  /** "namespace/Kind/name" */
  workloads: string[];
}

export interface SnapshotsInput {
  migrationId: string;
  region: string;
  /** When blue's writes stopped (ISO): a tagged snapshot started before it is a stale copy of an earlier round, never reused. */
  since?: string;
  volumes: { claim: string; volumeId: string }[];
}
export interface SnapshotsResult {
  snapshots: { claim: string; volumeId: string; snapshotId: string }[];
}

export interface GreenVolumesInput {
  migrationId: string;
  region: string;
  green: string;
  copies: (Pick<CarriedClaim, 'volumeId' | 'greenZone' | 'volumeType' | 'iops' | 'throughput' | 'encrypted' | 'kmsKeyId'> & { claim: string; snapshotId: string })[];
}
export interface GreenVolumesResult {
  volumes: { claim: string; volumeId: string; greenVolumeId: string }[];
}

export interface BindInput extends StatefulInput {
  claims: (CarriedClaim & { greenVolumeId: string })[];
}
export interface BindResult {
  claims: { claim: string; persistentVolume: string; phase: string }[];
  findings: Finding[];
}

export interface GreenCopiesRemoved {
  /** What was deleted (or was being deleted): claims, volumes, snapshots. */
  deleted: string[];
  /** What could not be deleted yet (a volume still attached), each as a warning naming it. */
  findings: Finding[];
}
