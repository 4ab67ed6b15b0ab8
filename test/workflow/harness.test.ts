// The harness's own promises, and the test server flaw they work around (see the top of
// harness.ts): a message must only reach a settled workflow, and `settle` must see what the
// test itself set in motion.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { APPROVERS, baseSpec, lostWorkflowTask, openActivities, QUIET_MS, timeSkippingEnv } from './harness.js';
import { useRuns } from './runs.js';
import { connectClient } from '../../config/connections.js';
import { eventually } from '../wait.js';

const start = useRuns();
const { CommandType } = proto.temporal.api.enums.v1;
const seconds = (n: number) => proto.google.protobuf.Duration.fromObject({ seconds: n });
/** A protobuf timestamp in milliseconds. */
const msOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(String(t?.seconds ?? 0)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
/** The server's clock (ms): the test server keeps its own, a real one runs on this machine's. */
type Clock = () => Promise<number>;

type Unseen = 'activity' | 'timer';

/**
 * A message's workflow task starts while an activity runs (or a timer), the activity ends (the
 * timer fires) meanwhile, and the workflow answers the message by cancelling what it still
 * believes running, as a rollback cancels a breach notification in flight, or an approval the
 * gate's reminder timer. Returns the server's refusal, if any.
 */
function cancelAfterUnseenEnd(connection: Connection, handle: WorkflowHandle, what: Unseen, serverNow: Clock): Promise<string | undefined> {
  return connection.withDeadline(Date.now() + 20_000, () => cancelling(connection, handle, what, serverNow));
}
async function cancelling(connection: Connection, handle: WorkflowHandle, what: Unseen, serverNow: Clock): Promise<string | undefined> {
  const { workflowService: service } = connection;
  const namespace = 'default';
  const taskQueue = { name: handle.workflowId };
  const identity = 'harness.test';
  await new Client({ connection }).workflow.start('anything', { taskQueue: taskQueue.name, workflowId: handle.workflowId, workflowTaskTimeout: '3s' });
  const first = await service.pollWorkflowTaskQueue({ namespace, taskQueue, identity });
  const start =
    what === 'activity'
      ? { commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTaskCommandAttributes: { activityId: 'notify', activityType: { name: 'notify' }, taskQueue, startToCloseTimeout: seconds(60) } }
      : { commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 'reminder', startToFireTimeout: seconds(1) } };
  await service.respondWorkflowTaskCompleted({ namespace, identity, taskToken: first.taskToken, commands: [start] });
  const scheduledEventId = (await handle.fetchHistory()).events!.at(-1)!.eventId!;

  await service.signalWorkflowExecution({ namespace, workflowExecution: { workflowId: handle.workflowId }, signalName: 'message', identity });
  const task = await service.pollWorkflowTaskQueue({ namespace, taskQueue, identity });
  if (what === 'activity') {
    const activity = await service.pollActivityTaskQueue({ namespace, taskQueue, identity });
    await service.respondActivityTaskCompleted({ namespace, identity, taskToken: activity.taskToken });
  } else {
    // The timer's firing, unseen: while a task is in flight it is not in the history, so wait
    // until the server's clock has passed it (the test server's runs at wall speed meanwhile).
    const started = (await handle.fetchHistory()).events!.find((e) => e.timerStartedEventAttributes)!;
    const firesAt = msOf(started.eventTime) + 1_000;
    await eventually(serverNow, (now) => now > firesAt);
  }
  const cancel =
    what === 'activity'
      ? { commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, requestCancelActivityTaskCommandAttributes: { scheduledEventId } }
      : { commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId: 'reminder' } };
  try {
    await service.respondWorkflowTaskCompleted({ namespace, identity, taskToken: task.taskToken, commands: [cancel] });
    return undefined;
  } catch (err) {
    return String(err);
  }
}

const eventNames = async (handle: WorkflowHandle) =>
  ((await handle.fetchHistory()).events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof typeof e])!.replace('EventAttributes', ''));

describe.each<[Unseen, string, string[], RegExp]>([
  // A real server records the cancel request, then the activity's end, and a task to tell the workflow.
  ['activity', 'an activity whose end', ['activityTaskCancelRequested', 'activityTaskStarted', 'activityTaskCompleted', 'workflowTaskScheduled'], /FAILED_PRECONDITION: ACTIVITY_UNKNOWN/],
  // A real server drops the timer's firing and records its cancellation.
  ['timer', 'a timer whose firing', ['workflowTaskCompleted', 'timerCanceled'], /INVALID_ARGUMENT: invalid history builder state for action/],
])('a workflow task that cancels %s', (what, subject, realServerTail, refusal) => {
  it(`completes on a real Temporal server when ${subject} it has not seen yet`, async () => {
    const connection = await connectClient({ address: inject('stack').temporalAddress });
    const handle = new Client({ connection }).workflow.getHandle(`unseen-${what}-${randomUUID()}`);
    try {
      expect(await cancelAfterUnseenEnd(connection, handle, what, async () => Date.now())).toBeUndefined();
      expect((await eventNames(handle)).slice(-realServerTail.length)).toEqual(realServerTail);
    } finally {
      await handle.terminate().catch(() => undefined);
      await connection.close();
    }
  });

  it(`is refused by the Java test server when ${subject} it has not seen yet, and the task is lost`, { timeout: 60_000 }, async () => {
    const env = await timeSkippingEnv(inject('stack').testServerPath);
    try {
      const handle = env.client.workflow.getHandle(`unseen-${what}`);
      const serverNow = async () => msOf((await env.connection.testService!.getCurrentTime({})).time);
      expect(await cancelAfterUnseenEnd(env.connection, handle, what, serverNow)).toMatch(refusal);
      const before = await eventNames(handle);
      expect(before.at(-1)).toBe('workflowTaskStarted');
      // Past the task's timeout (3 s) in whole seconds of the server's clock, as lostWorkflowTask counts: a real server would have timed it out and scheduled another.
      const timesOutAt = Math.floor(msOf((await handle.fetchHistory()).events!.at(-1)!.eventTime) / 1000) + 3;
      const now = Math.floor((await eventually(serverNow, (t) => Math.floor(t / 1000) > timesOutAt)) / 1000);
      expect(await eventNames(handle)).toEqual(before);
      expect(lostWorkflowTask((await handle.fetchHistory()).events!, now, 0)).toMatch(/LOST WORKFLOW TASK/);
    } finally {
      await env.teardown();
    }
  });
});

describe('settle', () => {
  it('counts a breach as in flight until the server recorded the watcher’s end', async () => {
    const run = await start();
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', APPROVERS[0]);
    await run.until((s) => s.step?.greenWeight === 20, 'first step');
    await run.settle();
    const watcher = openActivities(await run.history()).find((a) => a.type === 'watchHealth')!;
    expect(await run.breach('5xx rate 12 %')).toBe(true);
    expect(openActivities(await run.history())).not.toContainEqual(watcher);
  });

  it('counts an activity the workflow asked to cancel as in flight until the server recorded its end', async () => {
    // A rollback stops the watcher; on a loaded machine its end reaches the server late.
    const run = await start({ cloud: (c) => void (c.watcherEndDelayMs = 1_500) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', APPROVERS[0]);
    await run.until((s) => s.step?.greenWeight === 20, 'first step');
    await run.settle();
    await run.rollback(APPROVERS[1], 'canary errors', true);
    await run.settle();
    const events = await run.history();
    const watcher = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchHealth')!;
    expect(events.some((e) => String(e.activityTaskCanceledEventAttributes?.scheduledEventId) === String(watcher.eventId))).toBe(true);
    expect(events.at(-1)?.workflowTaskCompletedEventAttributes).toBeTruthy();
  });

  it('counts a released INSYNC wait as in flight until the server recorded its end', async () => {
    const run = await start({ cloud: (c) => void (c.holdInsync = (w) => w.green > 0) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', APPROVERS[0]);
    await eventually(async () => run.cloud.insyncHeld, (held) => held > 0);
    await run.settle(); // a held wait is a settled state
    run.cloud.releaseInsync();
    expect(run.cloud.insyncHeld).toBe(0);
    await run.settle();
    expect(openActivities(await run.history()).map((a) => a.type)).not.toContain('waitWeightsApplied');
  });

  it(`lets a timer due within ${QUIET_MS / 1000} s fire before it counts the workflow settled`, async () => {
    const spec = baseSpec();
    spec.traffic.observe = '20s';
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', APPROVERS[0]);
    await run.settle(); // through every step's 20 s observe window, to the 7-day bake
    expect((await run.status()).phase).toBe('baking');
  });
});
