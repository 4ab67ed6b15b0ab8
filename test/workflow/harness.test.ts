// The harness's own promises, and the test server flaw they work around (see the top of
// harness.ts): a message must only reach a settled workflow, and `settle` must see what the
// test itself set in motion.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { APPROVERS, lostWorkflowTask, openActivities, poll, timeSkippingEnv } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const { CommandType } = proto.temporal.api.enums.v1;

/**
 * A message's workflow task starts while an activity runs, the activity ends meanwhile, and the
 * workflow answers the message by cancelling the activity it still believes running (what a
 * rollback does to a breach notification in flight). Returns the server's refusal, if any.
 */
function cancelAfterUnseenEnd(connection: Connection, handle: WorkflowHandle): Promise<string | undefined> {
  return connection.withDeadline(Date.now() + 20_000, () => cancelling(connection, handle));
}
async function cancelling(connection: Connection, handle: WorkflowHandle): Promise<string | undefined> {
  const { workflowService: service } = connection;
  const namespace = 'default';
  const taskQueue = { name: handle.workflowId };
  const identity = 'harness.test';
  await new Client({ connection }).workflow.start('anything', { taskQueue: taskQueue.name, workflowId: handle.workflowId, workflowTaskTimeout: '1s' });
  const first = await service.pollWorkflowTaskQueue({ namespace, taskQueue, identity });
  const schedule = { activityId: 'notify', activityType: { name: 'notify' }, taskQueue, startToCloseTimeout: msToTs('1m') };
  await service.respondWorkflowTaskCompleted({ namespace, identity, taskToken: first.taskToken, commands: [{ commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTaskCommandAttributes: schedule }] });
  const scheduledEventId = (await handle.fetchHistory()).events!.find((e) => e.activityTaskScheduledEventAttributes)!.eventId!;

  await service.signalWorkflowExecution({ namespace, workflowExecution: { workflowId: handle.workflowId }, signalName: 'message', identity });
  const task = await service.pollWorkflowTaskQueue({ namespace, taskQueue, identity });
  const activity = await service.pollActivityTaskQueue({ namespace, taskQueue, identity });
  await service.respondActivityTaskCompleted({ namespace, identity, taskToken: activity.taskToken });
  try {
    await service.respondWorkflowTaskCompleted({
      namespace,
      identity,
      taskToken: task.taskToken,
      commands: [{ commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, requestCancelActivityTaskCommandAttributes: { scheduledEventId } }],
    });
    return undefined;
  } catch (err) {
    return String(err);
  }
}

const eventNames = async (handle: WorkflowHandle) =>
  ((await handle.fetchHistory()).events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof typeof e])!.replace('EventAttributes', ''));

describe('a workflow task that cancels an activity whose end it has not seen yet', () => {
  it('completes on a real Temporal server, which then hands out the activity’s end', async () => {
    const connection = await Connection.connect({ address: inject('stack').temporalAddress });
    const handle = new Client({ connection }).workflow.getHandle(`unseen-end-${randomUUID()}`);
    try {
      expect(await cancelAfterUnseenEnd(connection, handle)).toBeUndefined();
      expect((await eventNames(handle)).slice(-3)).toEqual(['activityTaskStarted', 'activityTaskCompleted', 'workflowTaskScheduled']);
    } finally {
      await handle.terminate().catch(() => undefined);
      await connection.close();
    }
  });

  it('is refused by the Java test server, which then neither completes nor times out the task', { timeout: 60_000 }, async () => {
    const env = await timeSkippingEnv(inject('stack').testServerPath);
    try {
      const handle = env.client.workflow.getHandle('unseen-end');
      expect(await cancelAfterUnseenEnd(env.connection, handle)).toMatch(/FAILED_PRECONDITION: ACTIVITY_UNKNOWN/);
      const before = await eventNames(handle);
      expect(before.at(-1)).toBe('workflowTaskStarted');
      await new Promise((resolve) => setTimeout(resolve, 4_000)); // the task's timeout is 1 s
      expect(await eventNames(handle)).toEqual(before);
      const now = Number((await env.connection.testService!.getCurrentTime({})).time!.seconds);
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

  it('counts a released INSYNC wait as in flight until the server recorded its end', async () => {
    const run = await start({ cloud: (c) => void (c.holdInsync = (w) => w.green > 0) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', APPROVERS[0]);
    await poll(() => run.cloud.insyncHeld > 0, 'a held INSYNC wait');
    await run.settle(); // a held wait is a settled state
    run.cloud.releaseInsync();
    expect(run.cloud.insyncHeld).toBe(0);
    await run.settle();
    expect(openActivities(await run.history()).map((a) => a.type)).not.toContain('waitWeightsApplied');
  });
});
