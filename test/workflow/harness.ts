// One migration on its own time-skipping test server, driven like a person would drive it.
//
// Time: the Java test server does not skip time while any activity is outstanding, and the
// health watcher is an activity that runs for days. So the mocked watcher releases its own
// hold on the clock while it runs, and `advance` moves time one health interval at a time with
// a heartbeat of every running watcher in between (confirmed by the server, so none times out:
// the heartbeat timeout is two intervals plus a minute), as the real watcher heartbeats once
// per check. A server per run keeps one run's clock locks from leaking into the next.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  abortUpdate,
  approveUpdate,
  auditQuery,
  cancelUpdate,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  statusQuery,
} from '../../workflows/messages.js';
import type { migration } from '../../workflows/migration.js';
import type { AuditEvent, GateName, MigrationStatus } from '../../workflows/model.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { FakeCloud, type Clock } from './fake-cloud.js';

export const STARTER = 'ops@example';
export const APPROVERS = ['alice@example', 'bob@example'] as const;

export function baseSpec(): MigrationSpec {
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
  };
}

/** A time-skipping server that knows Cutover's search attributes. */
export async function timeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath } } });
  // The Java test server rejects upserts of unknown attributes ("search attribute CutoverPhase is
  // not defined") and the workflow task fails forever; it does implement the operator service.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!])),
  });
  return env;
}

export function testClock(env: TestWorkflowEnvironment): Clock {
  return {
    release: async () => void (await env.connection.testService!.unlockTimeSkipping({})),
    hold: async () => void (await env.connection.testService!.lockTimeSkipping({})),
    heartbeat: (taskToken) => env.client.activity.heartbeat(taskToken),
  };
}

export interface RunOptions {
  testServerPath: string;
  workflowBundlePath: string;
  spec?: MigrationSpec;
  /** Set up the simulated cloud before the workflow starts. */
  cloud?: (cloud: FakeCloud) => void;
  historyLimit?: number;
}

export type Handle = WorkflowHandleWithFirstExecutionRunId<typeof migration>;

export class Run {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly cloud: FakeCloud,
    readonly spec: MigrationSpec,
    readonly handle: Handle,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
  ) {}

  static async start(opts: RunOptions): Promise<Run> {
    const spec = opts.spec ?? baseSpec();
    const env = await timeSkippingEnv(opts.testServerPath);
    const cloud = new FakeCloud(spec.blue.cluster, spec.green.cluster, testClock(env));
    opts.cloud?.(cloud);
    const taskQueue = `tq-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: opts.workflowBundlePath },
      activities: cloud.activities(),
      // A mock learns of its cancellation from heartbeat answers: send them at once, not once a minute.
      maxHeartbeatThrottleInterval: '1ms',
    });
    const running = worker.run();
    const handle = await env.client.workflow.start<typeof migration>('migration', {
      taskQueue,
      workflowId: `migration-${randomBytes(4).toString('hex')}`,
      args: [{ spec, startedBy: STARTER, historyLimit: opts.historyLimit }],
    });
    return new Run(env, cloud, spec, handle, worker, running);
  }

  status(): Promise<MigrationStatus> {
    return this.handle.query(statusQuery);
  }
  audit(): Promise<AuditEvent[]> {
    return this.handle.query(auditQuery);
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

  /** Waits until the workflow has nothing to do but wait: no task and no short activity in flight. */
  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = (await this.handle.fetchHistory()).events ?? [];
      if (quiescent(events, this.cloud)) return;
      if (Date.now() > deadline) throw new Error(`workflow did not settle in ${timeoutMs} ms; last events: ${events.slice(-6).map(eventName).join(', ')}`);
      await sleep(10);
    }
  }

  /**
   * Skips server time one health interval at a time, each running watcher heartbeating in
   * between as the real one does after each check. Where no watcher runs and no timer can
   * start one (gates, rolled-back), the rest is skipped at once.
   */
  async advance(duration: string): Promise<void> {
    const step = msToNumber(this.spec.health?.interval ?? '1m');
    for (let left = msToNumber(duration); left > 0; ) {
      await this.cloud.heartbeatWatchers();
      const phase = (await this.handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase) ?? '';
      const chunk = this.cloud.runningWatchers().length > 0 || WATCHED_PHASES.includes(phase) ? Math.min(left, step) : left;
      await this.skip(chunk);
      left -= chunk;
    }
    await this.cloud.heartbeatWatchers();
  }

  /** env.sleep, but a clock that stopped skipping (something holds it) fails fast with the culprits. */
  private async skip(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        const { raw } = await this.handle.describe().catch(() => ({ raw: {} as { pendingActivities?: unknown[] } }));
        reject(new Error(`the test server clock does not skip; pending activities: ${JSON.stringify(raw.pendingActivities)}`));
      }, 15_000);
    });
    try {
      await Promise.race([this.env.sleep(ms), stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Makes the watcher the workflow currently runs report a breach; false when none runs. */
  async breach(reason: string): Promise<boolean> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const events = (await this.handle.fetchHistory()).events ?? [];
      const id = openActivities(events).find((a) => a.type === 'watchHealth')?.activityId;
      if (!id) return false;
      if (this.cloud.breach(id, reason)) return true;
      await sleep(10); // scheduled, not yet picked up by the worker
    }
    throw new Error('the watcher never started');
  }

  // Every message is logged in the cloud before it is sent, with whether it was accepted.
  private async send<T>(name: string, arg: unknown, call: () => Promise<T>): Promise<T> {
    const entry = this.cloud.message(name, arg);
    try {
      const result = await call();
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

  private closed?: Promise<void>;
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.worker.shutdown();
      await this.running;
      await this.env.teardown();
    })();
    return this.closed;
  }
}

/** Polls `check` (no time skipped) until it holds. */
export async function poll(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** The failure type a refused Update carries (the validator's ApplicationFailure type). */
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (err.cause as { type?: string }).type ?? 'unknown';
    throw err;
  }
  throw new Error('the update was accepted');
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
/** Phases whose timers can start a health watcher. */
const WATCHED_PHASES = ['shifting', 'baking', 'frozen'];

function eventName(e: HistoryEvent): string {
  const attrs = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent]);
  return attrs?.replace('EventAttributes', '') ?? String(e.eventType);
}

/** Activities scheduled and not closed, leaving out those the workflow asked to cancel. */
export function openActivities(events: HistoryEvent[]): { type: string; activityId: string }[] {
  const open = new Map<number, { type: string; activityId: string }>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) open.set(Number(e.eventId), { type: scheduled.activityType?.name ?? '', activityId: scheduled.activityId ?? '' });
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes ??
      e.activityTaskCancelRequestedEventAttributes;
    if (closed) open.delete(Number(closed.scheduledEventId));
  }
  return [...open.values()];
}

function quiescent(events: HistoryEvent[], cloud: FakeCloud): boolean {
  let taskOpen = false;
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) taskOpen = true;
    if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) taskOpen = false;
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes) return true;
  }
  // Long waits are settled states; anything else in flight will change the state by itself.
  return !taskOpen && openActivities(events).every((a) => a.type === 'watchHealth' || (a.type === 'waitWeightsApplied' && cloud.insyncHeld > 0));
}
