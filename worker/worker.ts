// Builds the Cutover worker: the migration workflow plus the activities, on one task queue.
// The process entry (main.ts) and the tests build it the same way.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { runInAccounts } from '../activities/aws.js';
import type { Activities } from '../activities/index.js';
import { AWS_ACCOUNTS_HEADER } from '../workflows/interceptors.js';
import type { AwsAccounts } from '../workflows/spec.js';
import { TASK_QUEUE } from '../workflows/messages.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Bundled with the workflows (a prebuilt bundle must name it too): hands the spec's AWS accounts to every activity. */
export const WORKFLOW_INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url));

export interface CutoverWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activities: Partial<Activities>;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createCutoverWorker(opts: CutoverWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    interceptors: {
      ...(!opts.workflowBundle && { workflowModules: [WORKFLOW_INTERCEPTORS_PATH] }),
      // Every AWS call an activity makes runs under the roles its migration's spec names,
      // in sessions named after the migration (its workflow ID).
      activity: [
        (ctx) => ({
          inbound: {
            execute: (input, next) => {
              const header = input.headers[AWS_ACCOUNTS_HEADER];
              const accounts = header ? defaultPayloadConverter.fromPayload<AwsAccounts>(header) : undefined;
              return runInAccounts({ accounts, session: ctx.info.workflowExecution?.workflowId ?? 'cutover' }, () => next(input));
            },
          },
        }),
      ],
    },
    // Parked migrations cost nothing but cache; keep many so 1,000 gates stay warm.
    maxCachedWorkflows: 2_000,
    // A cancelled health watcher learns of it from a heartbeat response: send heartbeats
    // within 5 s so an abort or continue-as-new does not wait for the throttle (up to 60 s).
    maxHeartbeatThrottleInterval: '5s',
  });
}
