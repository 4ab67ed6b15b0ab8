// Where the worker and the API connect, read from the environment: Temporal, and AWS (moto in
// the sandbox). Temporal's own settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key,
// profiles) come through @temporalio/envconfig, so a Temporal Cloud or self-hosted cluster
// needs no code change. Both processes read them here, so they cannot disagree.
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { TASK_QUEUE } from '../workflows/messages.js';

export type CutoverMode = 'sandbox' | 'aws';

export interface TemporalSettings {
  /** Accepted by the worker's NativeConnection and the API's Connection alike. */
  connection: ClientConnectConfig['connectionOptions'] & { address: string };
  namespace: string;
  /** Base URL of the Temporal Web UI, for links in API responses. */
  uiUrl: string;
  /** The task queue the worker polls and the API starts migrations on (CUTOVER_TASK_QUEUE; default TASK_QUEUE, cutover). */
  taskQueue?: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  const address = loaded.connectionOptions.address ?? '127.0.0.1:7233';
  const taskQueue = env.CUTOVER_TASK_QUEUE ?? TASK_QUEUE;
  if (!/^\S{1,200}$/.test(taskQueue)) throw new Error(`CUTOVER_TASK_QUEUE must be a task queue name (no spaces, at most 200 characters), got "${taskQueue}"`);
  return {
    connection: { ...loaded.connectionOptions, address },
    namespace: loaded.namespace ?? 'default',
    uiUrl: (env.CUTOVER_TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').replace(/\/$/, ''),
    taskQueue,
  };
}

export function cutoverMode(env: NodeJS.ProcessEnv = process.env): CutoverMode {
  const mode = env.CUTOVER_MODE ?? 'sandbox';
  if (mode !== 'sandbox' && mode !== 'aws') throw new Error(`CUTOVER_MODE must be sandbox or aws, got "${mode}"`);
  return mode;
}

/** In the sandbox every AWS call goes to moto; in aws mode to AWS itself. */
export function awsEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return cutoverMode(env) === 'aws' ? undefined : (env.CUTOVER_AWS_ENDPOINT ?? 'http://127.0.0.1:5000');
}
