// One migration on its own time-skipping test server, driven like a person would drive it.
//
// Time: the Java test server does not skip time while any activity is outstanding, and the
// health watcher is an activity that runs for days. So the mocked watcher releases its own
// hold on the clock while it runs, and `advance` moves time one health interval at a time with
// a heartbeat of every running watcher in between (confirmed by the server, so none times out:
// the heartbeat timeout is two intervals plus a minute), as the real watcher heartbeats once
// per check. A server per run keeps one run's clock locks from leaking into the next.
//
// Messages only to a settled workflow: the test server records the end of an activity that
// finishes while a workflow task is in flight only once that task completes, and refuses a
// completion of that task which cancels the activity (FAILED_PRECONDITION "ACTIVITY_UNKNOWN for
// scheduledEventId=…"; a real server accepts it). The refused task then neither completes nor
// times out and the run hangs for good. The workflow cancels short activities when a message
// interrupts it (a rollback cancels the watcher's scope, and with it a breach notification in
// flight), so the tests send a message only once `settle` saw no workflow task and no short
// activity in flight, and `settle` counts a watcher told to breach, a released INSYNC wait, or
// any activity the workflow asked to cancel (a rollback stops the watcher, and its end comes
// later, with a workflow task) as in flight until the server recorded its end. Timers likewise: a task that cancels a timer
// which fired while it was in flight is refused too (INVALID_ARGUMENT "invalid history builder
// state for action"), and between skips the server's clock runs at wall speed, so a timer due
// right after an `advance` (a gate reminder drifts by the seconds each reminder takes) would
// fire in the middle of the next message; `settle` lets a timer due within QUIET_MS fire first.
//
// Every client call has a deadline (CALL_TIMEOUT_MS): a run the server stopped answering
// fails with `diagnose()`'s account of it instead of hanging until the test's timeout.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Connection,
  isGrpcDeadlineError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto, { type google, type temporal } from '@temporalio/proto';
import { durationMs } from '../../workflows/duration.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared.js';
import {
  abortUpdate,
  approveUpdate,
  promoteUpdate,
  stepBackUpdate,
  auditQuery,
  cancelUpdate,
  keepBlueUpdate,
  initialSearchAttributes,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  statusQuery,
} from '../../workflows/messages.js';
import type { migration } from '../../workflows/migration.js';
import { fixPlan } from '../../workflows/plan.js';
import { WATCHED_PHASES, type AuditEvent, type GateName, type MetricVerdict, type MigrationStatus, type Phase } from '../../workflows/model.js';
import type { EksMigrationSpec, MigrationSpec } from '../../workflows/spec.js';
import { FakeCloud, type Clock } from './fake-cloud.js';
import { unfinishedActivities, type UnfinishedActivity } from '../in-flight.js';
import { connectClient } from '../../config/connections.js';

export const STARTER = 'ops@example';
export const APPROVERS = ['alice@example', 'bob@example', 'carol@example'] as const;
/** A call the test server did not answer in time; its message says what the run was stuck on. */
export class NoAnswerError extends Error {
  override name = 'NoAnswerError';
}
/** The longest one harness call to the test server may take (an update, a describe, one skip of time). */
export const CALL_TIMEOUT_MS = 60_000;
/**
 * The longest a query may take: one on a closed run makes the worker replay the whole history
 * (seen at 50 s for 3,800 events on 2 loaded cores).
 */
export const QUERY_TIMEOUT_MS = 180_000;
/** A settled workflow has no timer due sooner than this (server time, which runs at wall speed between skips). */
export const QUIET_MS = 30_000;

export function baseSpec(): EksMigrationSpec {
  return {
    region: 'eu-west-1',
    blue: { cluster: 'prod-blue' },
    green: { cluster: 'prod-green', mode: 'create', kubernetesVersion: '1.34', deleteOnCancel: true },
    traffic: {
      driver: 'route53',
      route53: { hostedZoneId: 'Z0123', records: [{ name: 'app.example.com' }] },
      steps: [20, 50, 80, 100],
      observe: '10m',
    },
    health: { smoke: [{ url: 'https://green-lb.example', host: 'app.example.com' }], interval: '2h', failureThreshold: 3, onBreach: 'rollback' },
    bake: '7 days',
    freeze: '3 days',
    approvals: { distinctApprover: true },
    // No last delay here: the tests of the guarded destroy set their own.
    decommission: { lastDelay: '0s' },
  };
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
/** How the operator service names the search attribute types Cutover uses. */
const INDEXED_VALUE_TYPE: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/** A time-skipping server that knows Cutover's search attributes. */
export async function timeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath } } });
  // The Java test server refuses a start or an upsert with unknown attributes ("search attribute
  // CutoverPhase is not defined"); it does implement the operator service.
  const indexed = (k: (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]) => {
    const type = INDEXED_VALUE_TYPE[k.type];
    if (type === undefined) throw new Error(`search attribute ${k.name}: type ${k.type} not mapped in the harness`);
    return type;
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((k) => [k.name, indexed(k)])),
  });
  return env;
}

export function testClock(env: TestWorkflowEnvironment, inflight = new InFlight()): Clock {
  return {
    release: () => inflight.track('clock.release (watcher)', async () => void (await env.connection.testService!.unlockTimeSkipping({}))),
    hold: () => inflight.track('clock.hold (watcher)', async () => void (await env.connection.testService!.lockTimeSkipping({}))),
    heartbeat: (taskToken) => env.client.activity.heartbeat(taskToken),
  };
}

/**
 * What a run is waiting on right now: the harness operations in progress and every gRPC call
 * of the test's client under them, each with its age. A stalled test prints this.
 */
export class InFlight {
  private seq = 0;
  private readonly open = new Map<number, { label: string; since: number }>();
  async track<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const id = ++this.seq;
    this.open.set(id, { label, since: Date.now() });
    try {
      return await fn();
    } finally {
      this.open.delete(id);
    }
  }
  report(): string[] {
    const now = Date.now();
    return [...this.open.values()].map((o) => `${o.label} for ${((now - o.since) / 1000).toFixed(1)} s`);
  }
  /** Tracks every call of the connection's workflow and test services as `grpc <method>`. */
  instrument(connection: Connection): void {
    const wrap = (service: object | undefined, prefix: string) => {
      if (!service) return;
      const target = service as Record<string, unknown>;
      // The workflow service is a plain object of methods; the test service has them on its class.
      const proto = Object.getPrototypeOf(target) as object;
      const names = new Set([...Object.keys(target), ...(proto === Object.prototype ? [] : Object.getOwnPropertyNames(proto))]);
      for (const name of names) {
        const method = target[name];
        if (name === 'constructor' || typeof method !== 'function') continue;
        target[name] = (...args: unknown[]) => this.track(`${prefix}.${name}`, () => (method as (...a: unknown[]) => Promise<unknown>).apply(service, args));
      }
    };
    wrap(connection.workflowService, 'grpc workflow');
    wrap(connection.testService, 'grpc test');
  }
}

export interface RunOptions {
  testServerPath: string;
  workflowBundlePath: string;
  spec?: MigrationSpec;
  /** Set up the simulated cloud before the workflow starts. */
  cloud?: (cloud: FakeCloud) => void;
  historyLimit?: number;
  /**
   * The real Temporal server at this address instead of a time-skipping test server of its own:
   * nothing skips time there, so the spec's waits must be seconds.
   */
  temporalAddress?: string;
  /** Called once the run is closed (the vitest glue then lets go of it). */
  onClose?: () => void;
}

export type Handle = WorkflowHandleWithFirstExecutionRunId<typeof migration>;

export class Run {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly cloud: FakeCloud,
    readonly spec: EksMigrationSpec,
    readonly handle: Handle,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
    readonly inflight: InFlight,
    private readonly onClose?: () => void,
  ) {}

  static async start(opts: RunOptions): Promise<Run> {
    // Workflow tests name clusters by EKS name.
    const spec = (opts.spec ?? baseSpec()) as EksMigrationSpec;
    const env = opts.temporalAddress
      ? await TestWorkflowEnvironment.createFromExistingServer({ address: opts.temporalAddress })
      : await timeSkippingEnv(opts.testServerPath);
    const inflight = new InFlight();
    inflight.instrument(env.connection);
    // A real server's clock is the wall's: the mocked watcher has no clock lock to give back.
    const clock = opts.temporalAddress ? undefined : testClock(env, inflight);
    const cloud = new FakeCloud(spec.blue.cluster, spec.green.cluster, clock);
    opts.cloud?.(cloud);
    const taskQueue = `tq-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: opts.workflowBundlePath },
      activities: cloud.activities(),
      // A mock learns of its cancellation from heartbeat answers: send them at once, not once a minute.
      maxHeartbeatThrottleInterval: '1ms',
      // Workflows in this thread's sandbox rather than a pool of worker threads, each loading the
      // bundle: a worker starts in 0.1 s instead of 1 s, which is most of a short test's time.
      debugMode: true,
    });
    stopPromiseStackTraces();
    const running = worker.run();
    const handle = await env.client.workflow.start<typeof migration>('migration', {
      taskQueue,
      workflowId: `migration-${randomBytes(4).toString('hex')}`,
      args: [{ spec, fixed: fixPlan(spec), startedBy: STARTER, historyLimit: opts.historyLimit }],
      typedSearchAttributes: initialSearchAttributes(spec),
    });
    return new Run(env, cloud, spec, handle, worker, running, inflight, opts.onClose);
  }

  /**
   * One call to the test server, labelled for `diagnose` and bounded by a deadline; a call the
   * server does not answer in time fails with the diagnosis of what the run is stuck on.
   */
  async call<T>(label: string, fn: () => Promise<T>, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    try {
      return await this.inflight.track(label, () => this.env.connection.withDeadline(Date.now() + timeoutMs, fn));
    } catch (err) {
      if (!isGrpcDeadlineError(err) && !(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw err;
      throw new NoAnswerError(`${label}: no answer from the test server in ${timeoutMs / 1000} s\n  ${await this.diagnose()}`, { cause: err });
    }
  }

  status(): Promise<MigrationStatus> {
    return this.call('status query', () => this.handle.query(statusQuery), QUERY_TIMEOUT_MS);
  }
  audit(): Promise<AuditEvent[]> {
    return this.call('audit query', () => this.handle.query(auditQuery), QUERY_TIMEOUT_MS);
  }
  describe() {
    return this.call('describe', () => this.handle.describe());
  }
  result() {
    return this.call('result', () => this.handle.result());
  }
  /**
   * The run's outcome once it ends. Time moves only while the workflow is settled, to its next
   * timer, as `advance` moves it. The client's own result() lets the test server skip time freely
   * while it waits: between the moment a cancelled watcher has ended and the moment it has taken
   * its clock lock back, time ran on to the run's execution timeout.
   */
  async outcome(): Promise<Awaited<ReturnType<typeof migration>>> {
    for (;;) {
      await this.settle();
      if ((await this.describe()).status.name !== 'RUNNING') return this.result();
      const due = nextTimer(await this.history());
      if (due === undefined) throw new Error(`the run waits for something no timer brings\n  ${await this.diagnose()}`);
      const now = await this.call('current time', () => this.env.currentTimeMs());
      await this.advance(`${Math.max(1, due - now + 1)}ms`);
    }
  }
  history() {
    return this.call('history', async () => (await this.handle.fetchHistory()).events ?? []);
  }
  /** Asks the workflow to cancel (a workflow cancellation, not the cancel update). */
  cancelWorkflow() {
    return this.call('cancel workflow', () => this.handle.cancel());
  }

  /**
   * What the run is stuck on, read over a fresh connection with short deadlines (the test's own
   * connection may be the thing that hangs): calls in flight, the workflow's last events and
   * pending activities, the server's clock, and the state of the test server process.
   */
  async diagnose(): Promise<string> {
    const lines = [`in flight: ${JSON.stringify(this.inflight.report())}`];
    lines.push(`cloud: routing ${JSON.stringify(this.cloud.routing)}, watchers ${JSON.stringify(this.cloud.runningWatchers())}, insyncHeld ${this.cloud.insyncHeld}`);
    const conn = await connectClient({ address: this.env.address, connectTimeout: 5_000 }).catch((err: unknown) => {
      lines.push(`fresh connection failed: ${String(err)}`);
      return undefined;
    });
    const ask = async (what: string, fn: (c: Connection) => Promise<string>, via = conn) => {
      if (!via) return;
      const t0 = Date.now();
      try {
        lines.push(`${what}: ${await via.withDeadline(Date.now() + 5_000, () => fn(via))}`);
      } catch (err) {
        lines.push(`${what}: FAILED after ${Date.now() - t0} ms: ${String(err)}`);
      }
    };
    const namespace = this.env.namespace ?? 'default';
    const execution = { workflowId: this.handle.workflowId };
    await ask('describe', async (c) => {
      const d = await c.workflowService.describeWorkflowExecution({ namespace, execution });
      const info = d.workflowExecutionInfo;
      const pending = (d.pendingActivities ?? []).map((a) => ({
        id: a.activityId,
        type: a.activityType?.name,
        state: a.state,
        attempt: a.attempt,
        lastHeartbeat: a.lastHeartbeatTime?.seconds?.toString(),
        lastStarted: a.lastStartedTime?.seconds?.toString(),
        failure: a.lastFailure?.message,
      }));
      return JSON.stringify({ status: info?.status, historyLength: info?.historyLength?.toString(), pendingWorkflowTask: d.pendingWorkflowTask, pending });
    });
    let events: HistoryEvent[] = [];
    await ask('last events', async (c) => {
      const h = await c.workflowService.getWorkflowExecutionHistory({ namespace, execution });
      events = h.history?.events ?? [];
      return events.slice(-15).map((e) => `${String(e.eventId)} ${eventName(e)}${e.eventTime?.seconds ? ` @${String(e.eventTime.seconds)}` : ''}`).join(', ');
    });
    // Only the test's own connection offers the test service (the SDK enables it internally).
    await ask(
      'server time',
      async (c) => {
        const now = Number((await c.testService!.getCurrentTime({})).time?.seconds ?? 0);
        return `${now}${lostWorkflowTask(events, now) ?? ''}`;
      },
      this.env.connection,
    );
    await conn?.close().catch(() => undefined);
    lines.push(`test server ${this.env.address}: ${await serverProcess(this.env.address)}`);
    return lines.join('\n  ');
  }

  /** Polls the status (no time skipped) until `done` holds. */
  async until(done: (s: MigrationStatus) => boolean, what = 'condition', timeoutMs = 20_000): Promise<MigrationStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms; status: ${JSON.stringify(s)}`);
      await sleep(15);
    }
  }

  /**
   * Waits until the workflow has nothing to do but wait: no task and no short activity in
   * flight, and no timer due within QUIET_MS (one that is, is skipped to, so it fires now).
   */
  settle(timeoutMs = 20_000): Promise<void> {
    return this.inflight.track('settle', () => this.settling(timeoutMs));
  }
  private async settling(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = await this.history();
      const due = quiescent(events, this.cloud) ? nextTimer(events) : 0;
      if (due === undefined) return;
      if (due > 0) {
        const now = await this.call('current time', () => this.env.currentTimeMs());
        if (due - now > QUIET_MS) return;
        const ms = Math.max(1, due - now + 1);
        await this.call(`skip ${ms} ms to a timer`, () => this.skip(ms));
      }
      if (Date.now() > deadline) throw new Error(`workflow did not settle in ${timeoutMs} ms; last events: ${events.slice(-6).map(eventName).join(', ')}`);
      await sleep(10);
    }
  }

  /**
   * Skips server time one health interval at a time, each running watcher heartbeating in
   * between as the real one does after each check. Where no watcher runs and no timer can
   * start one (gates, rolled-back), the rest is skipped at once.
   */
  advance(duration: string): Promise<void> {
    return this.inflight.track(`advance ${duration}`, () => this.advancing(duration));
  }
  private async advancing(duration: string): Promise<void> {
    const step = durationMs(this.spec.health?.interval ?? '1m');
    for (let left = durationMs(duration); left > 0; ) {
      await this.call('heartbeat watchers', () => this.cloud.heartbeatWatchers());
      const phase = (await this.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase) as Phase | undefined;
      // A watched phase's timers can start a watcher: time then moves one interval at a time.
      const watched = this.cloud.runningWatchers().length > 0 || (!!phase && WATCHED_PHASES.includes(phase));
      const chunk = watched ? Math.min(left, step) : left;
      await this.call(`skip ${chunk} ms`, () => this.skip(chunk));
      left -= chunk;
    }
    await this.call('heartbeat watchers', () => this.cloud.heartbeatWatchers());
  }

  /** env.sleep, but a clock that stopped skipping (something holds it) fails fast with the culprits. */
  private async skip(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        const { raw } = await this.call('describe', () => this.handle.describe(), 5_000).catch(() => ({ raw: {} as { pendingActivities?: unknown[] } }));
        reject(new Error(`the test server clock does not skip; pending activities: ${JSON.stringify(raw.pendingActivities)}`));
      }, 15_000);
    });
    try {
      await Promise.race([this.env.sleep(ms), stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Makes the watcher the workflow currently runs report a breach, and waits until the server
   * recorded the watcher's end (until then the workflow looks settled: see the top of this
   * file); false when no watcher runs.
   */
  breach(reason: string, check?: MetricVerdict): Promise<boolean> {
    return this.inflight.track('breach', () => this.breaching(reason, check));
  }
  private async breaching(reason: string, check?: MetricVerdict): Promise<boolean> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const id = openActivities(await this.history()).find((a) => a.type === 'watchHealth')?.activityId;
      if (!id) return false;
      if (this.cloud.breach(id, reason, check)) {
        while (openActivities(await this.history()).some((a) => a.activityId === id)) {
          if (Date.now() > deadline) throw new Error(`the breach of watcher ${id} was not recorded in 10 s`);
          await sleep(10);
        }
        return true;
      }
      await sleep(10); // scheduled, not yet picked up by the worker
    }
    throw new Error('the watcher never started');
  }

  // Every message is logged in the cloud before it is sent, with whether it was accepted.
  private async send<T>(name: string, arg: unknown, call: () => Promise<T>): Promise<T> {
    const entry = this.cloud.message(name, arg);
    try {
      const result = await this.call(`update ${name}`, call);
      entry.settle(true);
      return result;
    } catch (err) {
      entry.settle(false);
      throw err;
    }
  }
  approve(gate: GateName, actor: string = APPROVERS[0], decision: 'approve' | 'reject' = 'approve', comment?: string) {
    const req = { gate, decision, actor, comment };
    return this.send('approve', req, () => this.handle.executeUpdate(approveUpdate, { args: [req] }));
  }
  /** An approval (or rejection) by a person in `groups`, as the API sends it. */
  approveAs(gate: GateName, actor: string, groups: string[], decision: 'approve' | 'reject' = 'approve') {
    const req = { gate, decision, actor, groups };
    return this.send('approve', req, () => this.handle.executeUpdate(approveUpdate, { args: [req] }));
  }
  stepBack(actor: string, reason: string, weight?: number) {
    const req = { actor, reason, ...(weight !== undefined && { weight }) };
    return this.send('step-back', req, () => this.handle.executeUpdate(stepBackUpdate, { args: [req] }));
  }
  promote(actor: string, groups: string[] = []) {
    const req = { actor, groups };
    return this.send('promote', req, () => this.handle.executeUpdate(promoteUpdate, { args: [req] }));
  }
  /**
   * The default decommission policy's two approvers, neither the starter nor alice (who
   * approves cutover in these tests): carol, then bob, whose approval meets the policy.
   */
  async approveDecommission(comment?: string) {
    await this.approve('decommission', APPROVERS[2], 'approve', comment);
    return this.approve('decommission', APPROVERS[1], 'approve', comment);
  }
  rollback(actor: string, reason: string, wait = false) {
    const req = { actor, reason, wait };
    return this.send('rollback', req, () => this.handle.executeUpdate(rollbackUpdate, { args: [req] }));
  }
  pause(actor: string = STARTER) {
    return this.send('pause', { actor }, () => this.handle.executeUpdate(pauseUpdate, { args: [{ actor }] }));
  }
  resume(actor: string = STARTER) {
    return this.send('resume', { actor }, () => this.handle.executeUpdate(resumeUpdate, { args: [{ actor }] }));
  }
  retry(actor: string = STARTER) {
    return this.send('retry', { actor }, () => this.handle.executeUpdate(retryUpdate, { args: [{ actor }] }));
  }
  abort(actor: string = STARTER) {
    return this.send('abort', { actor }, () => this.handle.executeUpdate(abortUpdate, { args: [{ actor }] }));
  }
  cancel(actor: string = STARTER, reason = 'no longer needed') {
    return this.send('cancel', { actor, reason }, () => this.handle.executeUpdate(cancelUpdate, { args: [{ actor, reason }] }));
  }
  keepBlue(actor: string = STARTER, reason?: string) {
    return this.send('keepBlue', { actor, reason }, () => this.handle.executeUpdate(keepBlueUpdate, { args: [{ actor, reason }] }));
  }

  private closed?: Promise<void>;
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.worker.shutdown();
      await this.running;
      await this.env.teardown();
      this.onClose?.();
    })();
    return this.closed;
  }
}

/**
 * Debug mode runs workflows in this process, and with them the SDK's promise hook that records
 * where every promise was created, for the stack-trace query (which no test reads): it then
 * fires on every promise of the test process too, and was a fifth of a workflow test's CPU. The
 * SDK treats those stack traces as optional (off where the hook is unavailable); installed
 * once per process, the hook is stopped once the first worker has installed it.
 */
function stopPromiseStackTraces(): void {
  (globalHandlers as unknown as { stopPromiseHook(): void }).stopPromiseHook();
}

/** Cutover, all steps, bake and freeze: the decommission gate is pending. */
export async function atDecommissionGate(run: Run): Promise<void> {
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', APPROVERS[0]);
  await run.until((s) => s.step?.greenWeight === 20, 'first step');
  await run.settle();
  await run.advance('40m');
  await run.until((s) => s.phase === 'baking', 'baking');
  await run.advance('10 days');
  await run.until((s) => s.pendingGate?.gate === 'decommission', 'decommission gate');
}

/** A run with manual steps (baseSpec otherwise): cutover approved, the first step observed, rolled back at the step-2 gate. */
export async function rolledBackAtStep2(start: (opts?: Partial<RunOptions>) => Promise<Run>): Promise<Run> {
  const spec = baseSpec();
  spec.traffic.stepApproval = 'manual';
  const run = await start({ spec });
  await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
  await run.approve('cutover', APPROVERS[0]);
  await run.advance('10m'); // the step's observe window
  await run.until((s) => s.pendingGate?.gate === 'step-2', 'step-2 gate');
  await run.rollback(APPROVERS[1], 'error rate', true);
  return run;
}

/** The failure type a refused Update carries (the validator's ApplicationFailure type). */
export async function rejection(p: Promise<unknown>): Promise<string> {
  return (await refusal(p)).type ?? 'unknown';
}

/** Why an Update was refused: the validator's ApplicationFailure (type and message). */
export async function refusal(p: Promise<unknown>): Promise<{ type?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return err.cause as { type?: string; message: string };
    throw err;
  }
  throw new Error('the update was accepted');
}

/** The test server process serving `address` (Linux /proc): state, threads, CPU used over a second. */
async function serverProcess(address: string): Promise<string> {
  const port = address.split(':').at(-1)!;
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const pid = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .find((d) => {
      const args = read(`/proc/${d}/cmdline`).split('\0');
      return args.some((a) => a.endsWith('temporal-test-server')) && args.includes(port);
    });
  if (!pid) return 'no process found';
  const cpu = () => {
    const f = read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [];
    return { state: f[0], ticks: Number(f[11]) + Number(f[12]) };
  };
  const threads = () => {
    const states: Record<string, number> = {};
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const st = read(`/proc/${pid}/task/${t}/stat`).split(') ')[1]?.[0] ?? '?';
      states[st] = (states[st] ?? 0) + 1;
    }
    return states;
  };
  try {
    const before = cpu();
    await sleep(1000);
    const after = cpu();
    const rss = /VmRSS:\s*(.*)/.exec(read(`/proc/${pid}/status`))?.[1];
    return `pid ${pid}, state ${after.state}, ${after.ticks - before.ticks} CPU ticks in the last second (${after.ticks} in all), threads ${JSON.stringify(threads())}, RSS ${rss}`;
  } catch (err) {
    return `pid ${pid}: ${String(err)}`;
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function eventName(e: HistoryEvent): string {
  const attrs = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent]);
  return attrs?.replace('EventAttributes', '') ?? String(e.eventType);
}

/** Activities running as the workflow wants them to, leaving out those it asked to cancel. */
export function openActivities(events: HistoryEvent[]): { type: string; activityId: string }[] {
  return unfinishedActivities(events)
    .filter((a) => !a.cancelRequested)
    .map(({ type, activityId }) => ({ type, activityId }));
}

/**
 * The workflow task the test server lost, if any: started, and neither closed nor timed out
 * although its start-to-close timeout (and a margin) has passed in server time (`now`, seconds).
 */
export function lostWorkflowTask(events: HistoryEvent[], now: number, marginSeconds = 5): string | undefined {
  const timeouts = new Map<number, number>();
  let started: HistoryEvent | undefined;
  for (const e of events) {
    const scheduled = e.workflowTaskScheduledEventAttributes;
    if (scheduled) timeouts.set(Number(e.eventId), Number(scheduled.startToCloseTimeout?.seconds ?? 10));
    if (e.workflowTaskStartedEventAttributes) started = e;
    if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) started = undefined;
  }
  if (!started) return undefined;
  const age = now - Number(started.eventTime?.seconds ?? now);
  const timeout = timeouts.get(Number(started.workflowTaskStartedEventAttributes!.scheduledEventId)) ?? 10;
  if (age <= timeout + marginSeconds) return undefined;
  return (
    ` — LOST WORKFLOW TASK: event ${String(started.eventId)} started ${age} s ago (server time) and neither completed nor timed out` +
    ` (timeout ${timeout} s): the test server refused its completion and wedged the run; see the worker's` +
    ` "Error while completing workflow activation" warning and the top of test/workflow/harness.ts`
  );
}

/** A protobuf timestamp or duration in milliseconds. */
function protoMs(t: google.protobuf.ITimestamp | google.protobuf.IDuration | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/** When the first timer still running fires (server time, ms); undefined when none runs or the run is closed. */
function nextTimer(events: HistoryEvent[]): number | undefined {
  const running = new Map<string, number>();
  for (const e of events) {
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes) return undefined;
    const started = e.timerStartedEventAttributes;
    if (started) running.set(started.timerId!, protoMs(e.eventTime) + protoMs(started.startToFireTimeout));
    const ended = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (ended) running.delete(ended.timerId!);
  }
  return running.size ? Math.min(...running.values()) : undefined;
}

function quiescent(events: HistoryEvent[], cloud: FakeCloud): boolean {
  let taskOpen = false;
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) taskOpen = true;
    if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) taskOpen = false;
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes) return true;
  }
  // Long waits are settled states (a watcher told to breach is waited for by `breach`, a released
  // INSYNC wait no longer counts as held); anything else in flight will change the state by itself,
  // a long wait the workflow asked to cancel too: its end is still to be recorded, with a task.
  const longWait = (a: UnfinishedActivity) => a.type === 'watchHealth' || (a.type === 'waitWeightsApplied' && cloud.insyncHeld > 0);
  return !taskOpen && unfinishedActivities(events).every((a) => !a.cancelRequested && longWait(a));
}
