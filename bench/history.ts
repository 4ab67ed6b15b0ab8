// The history figure (docs/architecture.md, "Figures"): a whole migration with a 30-day bake,
// a 3-day freeze, a health check every minute and 20 gate reminders stays under 500 history
// events (the watcher is one heartbeating activity per phase, not one activity per check).
// Run: npx tsx bench/history.ts [--smoke]   (starts its own time-skipping test server)
//   --smoke: a 2-hour bake and 2 reminders, in seconds
//
// Only this benchmark moves the test server's clock, one STEP at a time, and only while the
// worker has no workflow task in hand: a task that starts during a step sees at most one step
// of server time pass, within its timeout (WORKFLOW_TASK_TIMEOUT). Letting the server skip
// freely, or stepping from inside the watcher, let a step pass a running task's timeout: the
// task expired, and the run hung. The mocked watcher checks like the real one: once per
// interval of server time, with a heartbeat (33 days are 47,520 checks, and no events).
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ActivityCancelledError, ActivityNotFoundError } from '@temporalio/client';
import { durationMs } from '../workflows/duration.js';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { resolveTools } from '../scripts/stack/peers.js';
import { WORKFLOWS_PATH, WORKFLOW_INTERCEPTORS_PATH } from '../worker/worker.js';
import { FakeCloud } from '../test/workflow/fake-cloud.js';
import { baseSpec, STARTER, APPROVERS, timeSkippingEnv } from '../test/workflow/harness.js';
import { approveUpdate, statusQuery } from '../workflows/messages.js';
import { report, smoke } from './figures.js';
import type { migration } from '../workflows/migration.js';
import { fixPlan } from '../workflows/plan.js';
import type { MigrationStatus } from '../workflows/model.js';

const BUDGET = 500;
const REMINDERS = smoke ? 2 : 20;
Runtime.install({ logger: new DefaultLogger('WARN') });
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

const spec = baseSpec();
spec.health = { ...spec.health!, interval: '1m' };
spec.bake = smoke ? '2h' : '30 days';
spec.freeze = smoke ? '1h' : '3 days';
spec.approvals = { ...spec.approvals, reminderInterval: '4h' };
const interval = durationMs(spec.health.interval!);

const wallStart = performance.now();
const [env, bundle] = await Promise.all([
  timeSkippingEnv(resolveTools().testServer),
  bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH], logger: quiet }),
]);
const testService = env.connection.testService!;
const cloud = new FakeCloud(spec.blue.cluster, spec.green.cluster);
/** Server time per clock step: under the workflow task timeout and the health interval. */
const STEP_MS = 30_000;
const WORKFLOW_TASK_TIMEOUT = '60s'; // the test server's most
if (STEP_MS >= durationMs(WORKFLOW_TASK_TIMEOUT) || STEP_MS > interval) throw new Error('STEP_MS must stay under the workflow task timeout and the health interval');

/**
 * The running watchers (one per watched phase; the last phase's may still be stopping as the
 * next one's starts): their checks are made as the clock passes intervals.
 */
interface Watcher {
  taskToken: Uint8Array;
  nextCheckAt: number;
  stop: () => void;
}
const watchers = new Set<Watcher>();
let checks = 0;
let serverNow = 0;
const activities = {
  ...cloud.activities(),
  // Healthy until cancelled; the clock driver makes its checks (heartbeats) as time passes.
  async watchHealth(): Promise<never> {
    const ctx = Context.current();
    await testService.unlockTimeSkipping({}); // a running activity holds the clock still
    // The worker times out, in wall time, an activity that does not heartbeat through it within
    // its heartbeat timeout, and then never reports its end: the server would wait for it forever.
    const beating = setInterval(() => ctx.heartbeat(), 1_000);
    try {
      await new Promise<void>((stop) => watchers.add({ taskToken: ctx.info.taskToken, nextCheckAt: serverNow, stop }));
      ctx.heartbeat(); // the worker learns of the cancellation from the answer to its own heartbeat
      return await ctx.cancelled;
    } finally {
      clearInterval(beating);
      await testService.lockTimeSkipping({});
    }
  },
};

/** A heartbeat of `w`; false once the workflow has cancelled it (then it is stopped). */
async function heartbeat(w: Watcher): Promise<boolean> {
  try {
    // Sent through the client, so it has landed before the clock moves on.
    await env.client.activity.heartbeat(w.taskToken, { consecutive: 0 });
    return true;
  } catch (err) {
    if (!(err instanceof ActivityCancelledError || err instanceof ActivityNotFoundError)) throw err;
    watchers.delete(w);
    w.stop();
    return false;
  }
}

/** A health check (with its heartbeat) of each running watcher whose interval has passed. */
async function checkWatchers(): Promise<void> {
  for (const w of watchers) {
    if (serverNow >= w.nextCheckAt && (await heartbeat(w))) {
      checks++;
      w.nextCheckAt = serverNow + interval;
    }
  }
}

/**
 * Heartbeats every running watcher every few milliseconds, as the real one heartbeats every few
 * seconds: that is how a watcher learns it was cancelled, also while a clock step is in progress.
 */
async function heartbeatUntil(finished: { done: boolean }): Promise<void> {
  while (!finished.done) {
    for (const w of watchers) await heartbeat(w);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const worker: { current?: Worker } = {};
const idle = async () => {
  while (worker.current!.getStatus().numInFlightWorkflowActivations > 0) await new Promise((r) => setTimeout(r, 1));
};
/** Moves server time forward a step at a time until `done` (asked every few steps) says so. */
async function advanceUntil(done: () => Promise<boolean>, askEverySteps = 20): Promise<void> {
  for (let step = 0; ; step++) {
    if (step % askEverySteps === 0 && (await done())) return;
    await idle();
    await checkWatchers();
    await env.sleep(STEP_MS);
    serverNow += STEP_MS;
    // A long run shows that it moves: a line per day of server time.
    if (serverNow % 86_400_000 < STEP_MS) console.error(`  … ${serverNow / 86_400_000} days of server time, ${checks} checks, ${((performance.now() - wallStart) / 1000).toFixed(0)} s`);
  }
}
const advance = (ms: number) => {
  const until = serverNow + ms;
  return advanceUntil(async () => serverNow >= until, 1);
};

const taskQueue = `bench-history-${randomBytes(3).toString('hex')}`;
worker.current = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowBundle: bundle,
  activities,
  // Heartbeats go out at once, not once a minute of wall time: a cancelled watcher must hear of
  // it before the clock driver has moved past its heartbeat timeout.
  maxHeartbeatThrottleInterval: '1ms',
});

const phaseIs = (handle: { query: (q: typeof statusQuery) => Promise<MigrationStatus> }, gate: string) => async () =>
  (await handle.query(statusQuery)).pendingGate?.gate === gate;

try {
  await worker.current.runUntil(async () => {
    const finished = { done: false };
    const heartbeating = heartbeatUntil(finished);
    const handle = await env.client.workflow.start<typeof migration>('migration', {
      taskQueue,
      workflowId: `migration-bench-${randomBytes(3).toString('hex')}`,
      args: [{ spec, fixed: fixPlan(spec), startedBy: STARTER }],
      workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    });
    // The gates wait for people: half the reminders at the cutover gate, half at decommission.
    const remindedWait = () => advance((REMINDERS / 2) * durationMs(spec.approvals!.reminderInterval!) + 60_000);
    await advanceUntil(phaseIs(handle, 'cutover'));
    await remindedWait();
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'cutover', decision: 'approve', actor: APPROVERS[0] }] });
    await advanceUntil(phaseIs(handle, 'decommission'));
    await remindedWait();
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'decommission', decision: 'approve', actor: APPROVERS[1] }] });
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'decommission', decision: 'approve', actor: APPROVERS[2] }] });
    // The clock keeps moving only by the driver: the client's result() would let the server skip freely.
    await advanceUntil(async () => (await handle.describe()).status.name !== 'RUNNING', 1);
    const outcome = await handle.result();
    finished.done = true;
    await heartbeating;
    // A watcher whose cancellation no heartbeat saw would keep the worker from shutting down.
    for (const w of watchers) w.stop();

    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    const at = (i: number) => Number(events.at(i)!.eventTime!.seconds);
    const serverDays = (at(-1) - at(0)) / 86_400;
    const count = events.length;
    const reminders = cloud.calls('notify').filter((c) => (c.input as { event?: string }).event === 'gate-reminder').length;
    console.log(
      [
        `  outcome ${outcome.phase}; ${serverDays.toFixed(2)} days of workflow time; bake ${spec.bake}, freeze ${spec.freeze}, health interval ${spec.health!.interval}`,
        `  ${checks} health checks (heartbeats, no events); ${reminders} gate reminders; ${events.filter((e) => e.activityTaskScheduledEventAttributes).length} activities; retried attempts ${attempts.filter((a) => a > 1).length}`,
        `  wall time ${((performance.now() - wallStart) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
    if (outcome.phase !== 'completed') throw new Error(`the migration ended ${outcome.phase}, not completed`);
    report([
      { name: `history events: bake ${spec.bake}, freeze ${spec.freeze}, checks every ${spec.health!.interval}, ${reminders} reminders`, value: count, unit: 'events', goal: `< ${BUDGET}`, met: count < BUDGET },
      { name: 'health checks made (heartbeats, no events)', value: checks, unit: 'checks' },
    ]);
  });
} finally {
  await env.teardown();
}
