// The worker process's own settings, beside Temporal's (config.ts): read once at start, every
// wrong one reported by its name before the worker connects.
import { prebuiltWorkflowBundle } from './worker.js';

export interface WorkerProcessSettings {
  /** CUTOVER_WORKER_HEALTH_PORT: serve /healthz and /readyz there (unset: no health server). */
  healthPort?: number;
  /** CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS: how long a stop waits for running activities (default 0). */
  shutdownGraceSeconds: number;
  /** CUTOVER_WORKFLOW_BUNDLE, or the bundle built into dist/; unset: bundle at start. */
  workflowBundle?: string;
}

export function workerProcessSettings(env: NodeJS.ProcessEnv = process.env): WorkerProcessSettings {
  const problems: string[] = [];
  const integer = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return undefined;
    }
    return value;
  };
  const healthPort = integer('CUTOVER_WORKER_HEALTH_PORT', 0, 65535);
  const shutdownGraceSeconds = integer('CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS', 0, 3600) ?? 0;
  let workflowBundle: string | undefined;
  try {
    workflowBundle = prebuiltWorkflowBundle(env);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return { healthPort, shutdownGraceSeconds, workflowBundle };
}
