// Where the worker and the API connect, read from the environment: Temporal, and AWS (moto in
// the sandbox). Temporal's own settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key,
// profiles) come through @temporalio/envconfig, so a Temporal Cloud or self-hosted cluster
// needs no code change. Both processes read them here, so they cannot disagree.
import * as grpc from '@grpc/grpc-js';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
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

/**
 * A Temporal client connection whose close() also ends the SDK's pending gRPC retries. The SDK
 * retries a failed call (Temporal unreachable, say) on a timer that Connection.close() does not
 * clear; when it fires on the closed channel, grpc-js throws from inside the timer, an uncaught
 * exception that ends the process. Past close, such a retry fails as CANCELLED instead.
 */
export async function connectClient(options: ConnectionOptions): Promise<Connection> {
  let closed = false;
  const refuseWhenClosed: grpc.Interceptor = (callOptions, nextCall) =>
    new grpc.InterceptingCall(closed ? new CancelledCall() : nextCall(callOptions));
  const connection = await Connection.connect({
    ...options,
    interceptors: [...(options.interceptors ?? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions())]), refuseWhenClosed],
  });
  const close = connection.close.bind(connection);
  connection.close = () => {
    closed = true;
    return close();
  };
  return connection;
}

type CallInterface = NonNullable<ConstructorParameters<typeof grpc.InterceptingCall>[0]>;

/** A unary call that answers CANCELLED at once and sends nothing. */
class CancelledCall implements CallInterface {
  start(...[, listener]: Parameters<CallInterface['start']>): void {
    setImmediate(() => {
      // As grpc-js's own unary calls do: no message, then the status (the SDK's retry interceptor relies on it).
      listener?.onReceiveMessage?.(null);
      listener?.onReceiveStatus?.({ code: grpc.status.CANCELLED, details: 'the connection to Temporal was closed', metadata: new grpc.Metadata() });
    });
  }
  cancelWithStatus(): void {}
  getPeer(): string {
    return '';
  }
  sendMessageWithContext(): void {}
  sendMessage(): void {}
  startRead(): void {}
  halfClose(): void {}
  getAuthContext(): null {
    return null;
  }
}
