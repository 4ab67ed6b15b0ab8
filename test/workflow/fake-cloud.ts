// A simulated cloud behind mocked activities: one weighted routing table, the clusters that
// exist, and an ordered log of every call and every message the test sent. Workflow tests
// and the property test read the log to check the migration's safety invariants
// independently of what the workflow believes about itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import { createCalendarActivities } from '../../activities/calendar.js';
import type { FreezeCalendars } from '../../config/freeze-windows.js';
import type { Activities } from '../../activities/index.js';
import type { Finding, MetricVerdict, Weights } from '../../workflows/model.js';

export type MockedActivities = Pick<
  Activities,
  | 'preflight'
  | 'provisionGreen'
  | 'validateGreen'
  | 'setWeights'
  | 'waitWeightsApplied'
  | 'readWeights'
  | 'checkRouting'
  | 'greenCreatedBy'
  | 'clusterProtection'
  | 'watchHealth'
  | 'removeBlueRouting'
  | 'deleteBlueLoadBalancers'
  | 'waitBlueLoadBalancersGone'
  | 'waitBlueDrained'
  | 'waitObservedShare'
  | 'retainedVolumeFindings'
  | 'deleteNodegroups'
  | 'deleteCluster'
  | 'notify'
  | 'registerArgoCluster'
  | 'bootstrapGitops'
  | 'pauseBlueAutoSync'
  | 'resumeBlueAutoSync'
  | 'deregisterArgoCluster'
  | 'checkGreenTargets'
  | 'nextPeakWindows'
  | 'freezeWindowAt'
  | 'statefulClaims'
  | 'quiesceBlueWorkloads'
  | 'restoreBlueWorkloads'
  | 'snapshotBlueVolumes'
  | 'createGreenVolumes'
  | 'bindGreenClaims'
  | 'deleteGreenCopies'
>;
type Name = keyof MockedActivities;

/** One thing that happened, in the order it happened. `at` is server (workflow) time. */
export type LogEntry =
  | { kind: 'call'; name: Name; at: number; input: unknown; outcome: 'ok' | 'fault' }
  | { kind: 'mutation'; at: number; what: 'set-weights'; weights: Weights; actor: string; reason: string }
  | { kind: 'mutation'; at: number; what: 'create-cluster' | 'delete-cluster' | 'remove-blue-routing' | 'delete-load-balancers' | 'delete-node-groups'; cluster: string }
  | { kind: 'mutation'; at: number; what: 'register-cluster' | 'deregister-cluster' | 'pause-auto-sync' | 'resume-auto-sync'; cluster: string }
  /** The carry-over of blue's volumes (spec.stateful): a workload scaled, a copy made or deleted for green. */
  | { kind: 'stateful'; at: number; what: 'scale-workload' | 'create-copy' | 'delete-copy'; cluster: string; detail: string }
  | { kind: 'validated'; at: number; passed: boolean }
  | { kind: 'message'; name: string; arg: unknown; accepted?: boolean };

export type Mutation = Extract<LogEntry, { kind: 'mutation' }>;

interface Fault {
  times: number;
  /** The call takes effect, then its response is lost (the retry must be harmless). */
  afterEffect?: boolean;
  nonRetryable?: boolean;
}

interface Watcher {
  activityId: string;
  taskToken: Uint8Array;
  deliver: (reason: string, check?: MetricVerdict) => void;
}

/** The test server's clock: a running activity holds it still unless it lets go. */
export interface Clock {
  release(): Promise<void>;
  hold(): Promise<void>;
  /** A heartbeat for the activity with this token, resolved once the server recorded it. */
  heartbeat(taskToken: Uint8Array): Promise<void>;
}

export class FakeCloud {
  readonly log: LogEntry[] = [];
  routing: Weights = { blue: 100, green: 0 };
  blueRouted = true;
  readonly clusters = new Set<string>();
  /** Clusters marked protected (as the tag cutover.io/protected=true reads): what marks each. */
  readonly protectedClusters = new Map<string, string>();
  private createdBy = new Map<string, string>();
  preflightFindings: Finding[] = [];
  /** What provisionGreen reports it could not copy from blue. */
  provisioningFindings: Finding[] = [];
  /** Replaces an activity's answer (a driver or activity with a bug: garbage the workflow must survive). */
  garbage = new Map<Name, unknown>();
  /** Findings of each validation in turn; the last one repeats. */
  validationFindings: Finding[][] = [[]];
  /** Findings of each check of green's targets in turn; the last one repeats. */
  greenTargetFindings: Finding[][] = [[]];
  private targetChecks = 0;
  /** Holds waitWeightsApplied (as if Route 53 were slow to reach INSYNC) for matching weights. */
  holdInsync: (w: Weights) => boolean = () => false;
  settleSeconds = 0;
  /** Why settleSeconds is what it is, as the route53 driver says it (absent: as results recorded before it existed). */
  settleReason?: string;
  /** A watcher takes this long to end once stopped, as on a loaded machine (the end is recorded late). */
  watcherEndDelayMs = 0;
  /** Broken invariants seen at the moment of a call (weights that do not add up, ...). */
  readonly violations: string[] = [];
  private faults = new Map<Name, Fault>();
  private validations = 0;
  private changes = 0;
  private watchers: Watcher[] = [];
  /** GitOps: clusters registered in Argo CD, whether blue's auto-sync is paused, what bootstrap reports. */
  readonly argoClusters = new Set<string>();
  blueAutoSyncPaused = false;
  gitopsReady = true;
  /** The worker's change-freeze calendars (CUTOVER_FREEZE_CALENDARS); a test may change them while a run goes on. */
  freezeCalendars: FreezeCalendars = {};
  /** Blue's Ingresses and LoadBalancer Services, and those deleted but held by a finalizer no controller removes. */
  readonly blueLoadBalancers = new Set<string>(['Ingress shop/web', 'Service shop/api']);
  readonly blueLoadBalancersDeleting = new Set<string>();
  stuckFinalizers = false;
  /** Blue's traffic as the drain check reads it (undefined: no data). */
  blueTraffic: number | undefined = 0;
  /** Green's share of traffic (percent) as the observed-share check reads it; absent: what the routing serves. */
  greenShare?: number;
  /** An observed-share wait whose share is off holds (polls) until it is within, instead of answering as if its deadline had passed. */
  holdShare = false;
  /** What retainedVolumeFindings reports. */
  retainedVolumes: Finding[] = [];
  readonly nodegroups = new Set<string>(['workers']);
  /** Blue's claims on EBS volumes (spec.stateful): "ns/name" → volume; blue's volumes are never deleted. */
  readonly blueClaims = new Map<string, { volumeId: string; zone: string }>([['shop/data-db-0', { volumeId: 'vol-blue0', zone: 'eu-west-1a' }]]);
  /** Blue's workloads' replicas, and what the carry-over kept of them (the annotation). */
  readonly blueReplicas = new Map<string, number>([['shop/StatefulSet/db', 3]]);
  private keptReplicas = new Map<string, number>();
  /** What the carry-over made for green, by tag: snapshots, volumes, PersistentVolumes and claims. */
  readonly greenCopies = new Set<string>();
  /** Weights of the waitWeightsApplied calls being held right now. */
  private held: Weights[] = [];

  constructor(
    readonly blue: string,
    readonly green: string,
    private readonly clock?: Clock,
  ) {
    this.clusters.add(blue);
  }

  /** The next `times` calls of `name` fail (retryably, unless nonRetryable). */
  fail(name: Name, fault: Fault): void {
    this.faults.set(name, fault);
  }
  /** No more injected faults (a person fixed what was broken). */
  clearFaults(): void {
    this.faults.clear();
  }
  /** Lets held waitWeightsApplied calls return. */
  releaseInsync(): void {
    this.holdInsync = () => false;
  }
  /** Held waitWeightsApplied calls still meant to be held (a released one is on its way back). */
  get insyncHeld(): number {
    return this.held.filter((w) => this.holdInsync(w)).length;
  }
  /** Records a message the test is about to send; `settle` marks whether it was accepted. */
  message(name: string, arg: unknown): { settle(accepted: boolean): void } {
    const entry: LogEntry = { kind: 'message', name, arg };
    this.log.push(entry);
    return { settle: (accepted) => void (entry.accepted = accepted) };
  }
  /** What the carry-over did, in order. */
  statefulChanges(): Extract<LogEntry, { kind: 'stateful' }>[] {
    return this.log.filter((e): e is Extract<LogEntry, { kind: 'stateful' }> => e.kind === 'stateful');
  }
  mutations(): Mutation[] {
    return this.log.filter((e): e is Mutation => e.kind === 'mutation');
  }
  calls(name: Name): Extract<LogEntry, { kind: 'call' }>[] {
    return this.log.filter((e): e is Extract<LogEntry, { kind: 'call' }> => e.kind === 'call' && e.name === name);
  }
  /** Watcher invocations that are still running here (the workflow may have cancelled some). */
  runningWatchers(): string[] {
    return this.watchers.map((w) => w.activityId);
  }
  /** One heartbeat from every running watcher, as each would send after a check. */
  async heartbeatWatchers(): Promise<void> {
    // A watcher the workflow cancelled answers "not found" or "cancelled": it needs none.
    await Promise.all(this.watchers.map((w) => this.clock?.heartbeat(w.taskToken).catch(() => undefined)));
  }
  /** Makes the running watcher with this activity ID report a breach (of a metric check, with its verdict). */
  breach(activityId: string, reason: string, check?: MetricVerdict): boolean {
    const w = this.watchers.find((x) => x.activityId === activityId);
    w?.deliver(reason, check);
    return !!w;
  }

  private now(): number {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  }
  /** Logs the call and applies any injected fault; `effect` runs unless the fault is before it. */
  private async call<T>(name: Name, input: unknown, effect: () => T | Promise<T>): Promise<T> {
    const fault = this.faults.get(name);
    const at = this.now();
    if (fault && fault.times > 0) {
      fault.times--;
      if (fault.afterEffect) await effect();
      this.log.push({ kind: 'call', name, at, input, outcome: 'fault' });
      throw ApplicationFailure.create({
        type: fault.nonRetryable ? 'AccessDenied' : 'Throttling',
        message: `injected ${name} fault`,
        nonRetryable: !!fault.nonRetryable,
      });
    }
    const result = await effect();
    this.log.push({ kind: 'call', name, at, input, outcome: 'ok' });
    if (this.garbage.has(name)) return this.garbage.get(name) as T;
    return result;
  }
  /** Waits until `done` holds or the activity is cancelled, heartbeating so a cancel can arrive. */
  private async hold(done: () => boolean): Promise<void> {
    const ctx = Context.current();
    while (!done()) {
      heartbeat();
      await ctx.sleep(20); // rejects once the workflow cancels this activity
    }
  }

  private copy(what: string): string {
    if (!this.greenCopies.has(what)) {
      this.greenCopies.add(what);
      this.log.push({ kind: 'stateful', at: this.now(), what: 'create-copy', cluster: this.green, detail: what });
    }
    return what;
  }

  activities(): MockedActivities {
    return {
      statefulClaims: (input) =>
        this.call('statefulClaims', input, () => ({
          claims: [...this.blueClaims].map(([claim, v]) => {
            const [namespace, name] = claim.split('/');
            const greenZone = input.stateful.zones?.[v.zone] ?? v.zone;
            return { namespace, name, request: '10Gi', accessModes: ['ReadWriteOnce'], blueVolume: `pv-${v.volumeId}`, volumeId: v.volumeId, source: 'csi' as const, zone: v.zone, greenZone, sizeGiB: 10, encrypted: true, kmsKeyId: 'alias/data' };
          }),
          notCarried: [],
        })),
      quiesceBlueWorkloads: (input) =>
        this.call('quiesceBlueWorkloads', input, () => ({
          scaled: input.workloads.map((workload) => {
            const replicas = this.keptReplicas.get(workload) ?? this.blueReplicas.get(workload) ?? 1;
            this.keptReplicas.set(workload, replicas);
            if (this.blueReplicas.get(workload) !== 0) this.log.push({ kind: 'stateful', at: this.now(), what: 'scale-workload', cluster: this.blue, detail: `${workload}=0` });
            this.blueReplicas.set(workload, 0);
            return { workload, replicas };
          }),
        })),
      restoreBlueWorkloads: (input) =>
        this.call('restoreBlueWorkloads', input, () => ({
          restored: input.workloads.flatMap((workload) => {
            const replicas = this.keptReplicas.get(workload);
            if (replicas === undefined) return [];
            this.keptReplicas.delete(workload);
            this.blueReplicas.set(workload, replicas);
            this.log.push({ kind: 'stateful', at: this.now(), what: 'scale-workload', cluster: this.blue, detail: `${workload}=${replicas}` });
            return [{ workload, replicas }];
          }),
        })),
      snapshotBlueVolumes: (input) =>
        this.call('snapshotBlueVolumes', input, () => ({ snapshots: input.volumes.map((v) => ({ ...v, snapshotId: this.copy(`snapshot of ${v.volumeId}`) })) })),
      createGreenVolumes: (input) =>
        this.call('createGreenVolumes', input, () => ({ volumes: input.copies.map((c) => ({ claim: c.claim, volumeId: c.volumeId, greenVolumeId: this.copy(`volume from ${c.snapshotId} in ${c.greenZone}`) })) })),
      bindGreenClaims: (input) =>
        this.call('bindGreenClaims', input, () => ({
          claims: input.claims.map((c) => {
            this.copy(`PersistentVolume on ${c.greenVolumeId}`);
            return { claim: this.copy(`${c.namespace}/${c.name}`), persistentVolume: `PersistentVolume on ${c.greenVolumeId}`, phase: 'Bound' };
          }),
          findings: [],
        })),
      deleteGreenCopies: (input) =>
        this.call('deleteGreenCopies', input, () => {
          const deleted = [...this.greenCopies];
          for (const what of deleted) this.log.push({ kind: 'stateful', at: this.now(), what: 'delete-copy', cluster: input.green, detail: what });
          this.greenCopies.clear();
          return { deleted, findings: [] };
        }),
      preflight: (input) => this.call('preflight', input, () => ({ blueVersion: '1.33', findings: this.preflightFindings })),
      provisionGreen: (input) =>
        this.call('provisionGreen', input, () => {
          if (input.mode === 'create' && !this.clusters.has(input.green)) {
            this.clusters.add(input.green);
            this.createdBy.set(input.green, input.migrationId); // the real activity tags the cluster
            this.log.push({ kind: 'mutation', at: this.now(), what: 'create-cluster', cluster: input.green });
          }
          return { created: this.createdBy.get(input.green) === input.migrationId, status: 'ACTIVE', findings: this.provisioningFindings };
        }),
      validateGreen: (input) =>
        this.call('validateGreen', input, () => {
          const findings = this.validationFindings[Math.min(this.validations++, this.validationFindings.length - 1)];
          this.log.push({ kind: 'validated', at: this.now(), passed: !findings.some((f) => f.severity === 'blocking') });
          return { findings };
        }),
      setWeights: (input) =>
        this.call('setWeights', input, () => {
          const w = input.weights;
          if (!(w.blue + w.green === 100 && w.blue >= 0 && w.green >= 0)) this.violations.push(`setWeights ${JSON.stringify(w)}`);
          if (!this.blueRouted) this.violations.push('setWeights after blue was removed from routing');
          const changed = w.blue !== this.routing.blue || w.green !== this.routing.green;
          if (changed) {
            this.routing = { ...w }; // both weights in one change, as Route 53's batch does
            this.log.push({ kind: 'mutation', at: this.now(), what: 'set-weights', weights: { ...w }, actor: input.actor, reason: input.reason });
          }
          return { changeIds: [`C${++this.changes}`], settleSeconds: this.settleSeconds, ...(this.settleReason && { settleReason: this.settleReason }), changed };
        }),
      waitWeightsApplied: (input) =>
        this.call('waitWeightsApplied', input, async () => {
          if (!this.holdInsync(input.weights)) return;
          const weights = input.weights;
          this.held.push(weights);
          try {
            await this.hold(() => !this.holdInsync(weights));
          } finally {
            this.held = this.held.filter((w) => w !== weights);
          }
        }),
      readWeights: (input) => this.call('readWeights', input, () => [{ ...this.routing }]),
      checkRouting: (input) =>
        this.call('checkRouting', input, () => ({
          weights: [{ ...this.routing }],
          findings: this.routing.green === 0 ? [] : [{ severity: 'blocking' as const, source: 'routing', message: `routing serves green ${this.routing.green}` }],
        })),
      greenCreatedBy: (input) => this.call('greenCreatedBy', input, () => this.createdBy.get(input.green) === input.migrationId),
      clusterProtection: (input) =>
        this.call('clusterProtection', input, () => {
          const reason = this.protectedClusters.get(input.cluster);
          return reason !== undefined && this.clusters.has(input.cluster) ? { protected: true, reason } : { protected: false };
        }),
      watchHealth: (input) =>
        this.call('watchHealth', input, async () => {
          const ctx = Context.current();
          let reason: string | undefined;
          let check: MetricVerdict | undefined;
          const watcher: Watcher = { activityId: ctx.info.activityId, taskToken: ctx.info.taskToken, deliver: (r, c) => void ((reason = r), (check = c)) };
          this.watchers.push(watcher);
          // A watcher waits for days: it must not stop the test server from skipping time.
          await this.clock?.release();
          try {
            await this.hold(() => reason !== undefined);
          } finally {
            this.watchers = this.watchers.filter((x) => x !== watcher);
            if (this.watcherEndDelayMs > 0) await sleep(this.watcherEndDelayMs);
            await this.clock?.hold();
          }
          return { reason: reason!, consecutiveFailures: check?.consecutiveFailures ?? input.health.failureThreshold, ...(check && { check }) };
        }),
      removeBlueRouting: (input) =>
        this.call('removeBlueRouting', input, () => {
          if (this.routing.blue !== 0) this.violations.push(`blue removed from routing while it carries ${this.routing.blue} %`);
          const removed = this.blueRouted ? [`blue's record`] : [];
          if (this.blueRouted) this.log.push({ kind: 'mutation', at: this.now(), what: 'remove-blue-routing', cluster: this.blue });
          this.blueRouted = false;
          return { removed };
        }),
      deleteBlueLoadBalancers: (input) =>
        this.call('deleteBlueLoadBalancers', input, () => {
          if (this.blueRouted) this.violations.push("blue's load balancers deleted while blue is still routed");
          const deleted = [...this.blueLoadBalancers].filter((o) => !this.blueLoadBalancersDeleting.has(o));
          const deleting = [...this.blueLoadBalancersDeleting];
          if (deleted.length) this.log.push({ kind: 'mutation', at: this.now(), what: 'delete-load-balancers', cluster: input.cluster });
          // Gone at once, unless a finalizer holds them (their controller has not removed it).
          for (const o of deleted) {
            if (this.stuckFinalizers) this.blueLoadBalancersDeleting.add(o);
            else this.blueLoadBalancers.delete(o);
          }
          return { deleted, deleting, kept: [] };
        }),
      // As if the deadline passed: what is still held is answered at once.
      waitBlueLoadBalancersGone: (input) =>
        this.call('waitBlueLoadBalancersGone', input, () => {
          if (!this.stuckFinalizers) {
            for (const o of this.blueLoadBalancersDeleting) this.blueLoadBalancers.delete(o);
            this.blueLoadBalancersDeleting.clear();
          }
          const remaining = [...this.blueLoadBalancers].map((o) => `${o} (finalizers ingress.k8s.aws/resources)`);
          return { gone: remaining.length === 0, remaining };
        }),
      // As if the deadline passed, or blue stayed under the threshold for a whole window.
      waitBlueDrained: (input) =>
        this.call('waitBlueDrained', input, () => {
          const value = this.blueTraffic;
          const at = new Date(this.now()).toISOString();
          const drained = value === undefined ? input.drain.noData === 'pass' : value < input.drain.below;
          if (drained) return { drained, ...(value !== undefined && { value }), at };
          return { drained, ...(value !== undefined && { value }), at, reason: value === undefined ? 'no data' : `${value} is not below ${input.drain.below}` };
        }),
      // Within tolerance at once; otherwise held (holdShare) until it is, or as if the deadline passed.
      waitObservedShare: (input) =>
        this.call('waitObservedShare', input, async () => {
          const observed = () => this.greenShare ?? this.routing.green;
          const within = () => Math.abs(observed() - input.intended) <= input.check.tolerance;
          if (!within() && this.holdShare) await this.hold(within);
          const reading = { observed: observed(), at: new Date(this.now()).toISOString() };
          return within() ? { within: true, ...reading } : { within: false, ...reading, reason: `green carries ${observed()} %` };
        }),
      retainedVolumeFindings: (input) => this.call('retainedVolumeFindings', input, () => this.retainedVolumes),
      deleteNodegroups: (input) =>
        this.call('deleteNodegroups', input, () => {
          if (input.cluster === this.blue && this.blueLoadBalancers.size) this.violations.push(`blue's node groups deleted under its load balancers: ${[...this.blueLoadBalancers].join(', ')}`);
          if (this.protectedClusters.has(input.cluster)) this.violations.push(`node groups of protected cluster ${input.cluster} deleted`);
          const deleted = input.cluster === this.blue ? [...this.nodegroups] : [];
          if (deleted.length) this.log.push({ kind: 'mutation', at: this.now(), what: 'delete-node-groups', cluster: input.cluster });
          if (input.cluster === this.blue) this.nodegroups.clear();
          return { deleted };
        }),
      deleteCluster: (input) =>
        this.call('deleteCluster', input, () => {
          if (input.cluster === this.blue && this.blueRouted) this.violations.push('blue deleted while still routed');
          if (this.protectedClusters.has(input.cluster)) this.violations.push(`protected cluster ${input.cluster} deleted`);
          if (this.clusters.delete(input.cluster)) this.log.push({ kind: 'mutation', at: this.now(), what: 'delete-cluster', cluster: input.cluster });
        }),
      notify: (input) => this.call('notify', input, () => undefined),
      checkGreenTargets: (input) =>
        this.call('checkGreenTargets', input, () => ({
          findings: this.greenTargetFindings[Math.min(this.targetChecks++, this.greenTargetFindings.length - 1)],
        })),
      registerArgoCluster: (input) =>
        this.call('registerArgoCluster', input, () => {
          const changed = !this.argoClusters.has(input.cluster);
          if (changed) {
            this.argoClusters.add(input.cluster);
            this.log.push({ kind: 'mutation', at: this.now(), what: 'register-cluster', cluster: input.cluster });
          }
          return { secretName: `cluster-${input.cluster}`, changed };
        }),
      bootstrapGitops: (input) =>
        this.call('bootstrapGitops', input, () => ({
          registered: false,
          ready: this.gitopsReady,
          objects: [{ kind: 'Application', namespace: 'argocd', name: 'shop', ready: this.gitopsReady, detail: this.gitopsReady ? 'Synced/Healthy' : 'OutOfSync/Progressing' }],
          findings: this.gitopsReady ? [] : [{ severity: 'blocking' as const, source: 'argocd', message: `Application argocd/shop is OutOfSync/Progressing, not ready for ${input.green}` }],
        })),
      pauseBlueAutoSync: (input) =>
        this.call('pauseBlueAutoSync', input, () => {
          if (this.blueAutoSyncPaused) return { changed: [] };
          this.blueAutoSyncPaused = true;
          this.log.push({ kind: 'mutation', at: this.now(), what: 'pause-auto-sync', cluster: input.cluster });
          return { changed: ['Application argocd/shop'] };
        }),
      resumeBlueAutoSync: (input) =>
        this.call('resumeBlueAutoSync', input, () => {
          if (!this.blueAutoSyncPaused) return { changed: [] };
          this.blueAutoSyncPaused = false;
          this.log.push({ kind: 'mutation', at: this.now(), what: 'resume-auto-sync', cluster: input.cluster });
          return { changed: ['Application argocd/shop'] };
        }),
      // Pure computation: the real one (time zones as this Node's ICU knows them).
      nextPeakWindows: (input) => this.call('nextPeakWindows', input, () => createCalendarActivities().nextPeakWindows(input)),
      // Pure computation too, over the calendars the worker has now.
      freezeWindowAt: (input) => this.call('freezeWindowAt', input, () => createCalendarActivities(this.freezeCalendars).freezeWindowAt(input)),
      deregisterArgoCluster: (input) =>
        this.call('deregisterArgoCluster', input, () => {
          if (!this.argoClusters.delete(input.cluster)) return { removed: false, secrets: [] };
          this.log.push({ kind: 'mutation', at: this.now(), what: 'deregister-cluster', cluster: input.cluster });
          return { removed: true, secrets: [`cluster-${input.cluster}`] };
        }),
    };
  }
}
