// Builds the Cutover worker: the migration workflow plus the activities, on one task queue.
// The process entry (main.ts) and the tests build it the same way.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '@temporalio/activity';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { runInAccounts } from '../activities/aws.js';
import type { Activities } from '../activities/index.js';
import { AWS_ACCOUNTS_HEADER } from '../workflows/interceptors.js';
import type { AwsAccounts } from '../workflows/spec.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import { retryingNotice } from './retrying-notice.js';

// The workflows beside this module: index.ts under tsx, index.js once compiled to dist/.
const HERE = fileURLToPath(import.meta.url);
export const WORKFLOWS_PATH = path.resolve(path.dirname(HERE), '../workflows', `index${path.extname(HERE)}`);
/** Bundled with the workflows (a prebuilt bundle must name it too): hands the spec's AWS accounts to every activity. */
export const WORKFLOW_INTERCEPTORS_PATH = path.resolve(path.dirname(HERE), '../workflows', `interceptors${path.extname(HERE)}`);

/** Where `npm run build` writes the workflow bundle: dist/workflow-bundle.js, beside dist/worker/. */
export const BUILT_WORKFLOW_BUNDLE = path.resolve(path.dirname(HERE), '../workflow-bundle.js');
const COMPILED = path.extname(HERE) === '.js';

export interface CutoverWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activities: Partial<Activities>;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Workflows kept in memory between their events (default DEFAULT_CACHED_WORKFLOWS). */
  cachedWorkflows?: number;
  /** How long a shutdown waits for running activities before cancelling them (default: no wait). */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Worker versioning: this worker is build `buildId` of deployment `name` (docs/operations.md, upgrades). */
  deployment?: { name: string; buildId: string };
}

/**
 * A cached workflow costs the worker about 0.5 MB (the workflow's modules are evaluated for each
 * one), so 1,000 keep a worker under 1 GiB. A migration past the cache is replayed from its
 * history at its next event: some milliseconds of CPU, nothing lost.
 */
export const DEFAULT_CACHED_WORKFLOWS = 1_000;

export function createCutoverWorker(opts: CutoverWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.shutdownGraceTime !== undefined ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: opts.deployment.name, buildId: opts.deployment.buildId },
            useWorkerVersioning: true,
            // Bakes last days: a running migration moves to each new build (whose changes to
            // running code are patched and guarded by the replay test) instead of pinning old workers for weeks.
            defaultVersioningBehavior: 'AUTO_UPGRADE',
          },
        }
      : {}),
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
        // An activity that keeps failing is told to the migration's channel once.
        ...(opts.activities.notify ? [(ctx: Context) => ({ inbound: retryingNotice(ctx, opts.activities.notify!) })] : []),
      ],
    },
    maxCachedWorkflows: opts.cachedWorkflows ?? DEFAULT_CACHED_WORKFLOWS,
    // A cancelled health watcher learns of it from a heartbeat response: send heartbeats
    // within 5 s so an abort or continue-as-new does not wait for the throttle (up to 60 s).
    maxHeartbeatThrottleInterval: '5s',
  });
}

/**
 * The prebuilt workflow bundle to load, if any: CUTOVER_WORKFLOW_BUNDLE (must exist), else the
 * one `npm run build` put beside the compiled worker (never under tsx, where the sources may be
 * newer than any bundle). Without one the worker bundles the workflows at start,
 * which takes seconds and a bundler in the image.
 */
export function prebuiltWorkflowBundle(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.CUTOVER_WORKFLOW_BUNDLE;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CUTOVER_WORKFLOW_BUNDLE: no file at ${configured}`);
    return configured;
  }
  return COMPILED && existsSync(BUILT_WORKFLOW_BUNDLE) ? BUILT_WORKFLOW_BUNDLE : undefined;
}
