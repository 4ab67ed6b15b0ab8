// The history figure (docs/architecture.md, "Figures"): a whole migration with a 30-day bake,
// a 3-day freeze, a health check every minute and 20 gate reminders stays under 500 history
// events (the watcher is one heartbeating activity per phase, not one activity per check).
// Run: npx tsx bench/history.ts [--smoke]   (starts its own time-skipping test server)
//   --smoke: a 2-hour bake and 2 reminders, in seconds
//
// The mocked watcher behaves like the real one: a check per interval of server time, a
// heartbeat after each. It moves the test server's clock itself (the server does not skip
// time while an activity runs), CHECKS_PER_SKIP intervals at a time: 33 days are 47,520 checks.
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
import type { MigrationStatus } from '../workflows/model.js';

const BUDGET = 500;
/** Server-clock steps are what costs wall time; the checks in one step all heartbeat. */
const CHECKS_PER_SKIP = 10;
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
let checks = 0;
// One clock step at a time: a watcher the workflow just cancelled may still be stepping while
// the next phase's watcher starts, and two concurrent skips unbalance the server's clock lock.
let clock = Promise.resolve();
const passIntervals = (n: number) => (clock = clock.then(() => env.sleep(n * interval)));
const activities = {
  ...cloud.activities(),
  // Healthy until cancelled: check, heartbeat, let one interval of server time pass.
  async watchHealth(): Promise<never> {
    const ctx = Context.current();
    await testService.unlockTimeSkipping({}); // this activity must not hold the clock still
    try {
      for (;;) {
        for (let i = 0; i < CHECKS_PER_SKIP; i++) {
          checks++;
          // Sent through the client, so it has landed before the clock moves on; it throws once
          // the workflow cancels this watcher.
          await env.client.activity.heartbeat(ctx.info.taskToken, { consecutive: 0 });
        }
        await passIntervals(CHECKS_PER_SKIP);
      }
    } catch (err) {
      if (!(err instanceof ActivityCancelledError || err instanceof ActivityNotFoundError)) throw err;
      ctx.heartbeat(); // the worker learns of the cancellation from the answer to its own heartbeat
      return await ctx.cancelled;
    } finally {
      await testService.lockTimeSkipping({});
    }
  },
};
const taskQueue = `bench-history-${randomBytes(3).toString('hex')}`;
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowBundle: bundle,
  activities,
  maxHeartbeatThrottleInterval: '1ms', // every check's heartbeat reaches the server before the next skip
});

const until = async (handle: { query: (q: typeof statusQuery) => Promise<MigrationStatus> }, done: (s: MigrationStatus) => boolean) => {
  for (;;) {
    const s = await handle.query(statusQuery);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
};

try {
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof migration>('migration', {
      taskQueue,
      workflowId: `migration-bench-${randomBytes(3).toString('hex')}`,
      args: [{ spec, startedBy: STARTER }],
    });
    // The gates wait for people: half the reminders at the cutover gate, half at decommission.
    // One clock step at a time (see passIntervals): a cancelled watcher may still be stepping.
    const remindedWait = () => (clock = clock.then(() => env.sleep((REMINDERS / 2) * durationMs(spec.approvals!.reminderInterval!) + 60_000)));
    await until(handle, (s) => s.pendingGate?.gate === 'cutover');
    await remindedWait();
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'cutover', decision: 'approve', actor: APPROVERS[0] }] });
    await until(handle, (s) => s.pendingGate?.gate === 'decommission');
    await remindedWait();
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'decommission', decision: 'approve', actor: APPROVERS[1] }] });
    const outcome = await handle.result();

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
