// Builds the Cutover worker: the migration workflow plus the activities, on one task queue.
// The process entry (main.ts) and the tests build it the same way.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import { TASK_QUEUE } from '../workflows/messages.js';

// The workflows beside this module: index.ts under tsx, index.js once compiled to dist/.
const HERE = fileURLToPath(import.meta.url);
export const WORKFLOWS_PATH = path.resolve(path.dirname(HERE), '../workflows', `index${path.extname(HERE)}`);

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
  /** How long a shutdown waits for running activities before cancelling them (default: no wait). */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export function createCutoverWorker(opts: CutoverWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.shutdownGraceTime !== undefined ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    // Parked migrations cost nothing but cache; keep many so 1,000 gates stay warm.
    maxCachedWorkflows: 2_000,
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
