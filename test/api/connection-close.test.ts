// Closing a client connection while the SDK waits to retry a call (Temporal unreachable) must not
// crash the process: the SDK's retry timer outlives Connection.close(), and grpc-js throws from
// inside it on the closed channel. The API closes its connection this way when it shuts down
// during an outage; here Temporal sits behind a loopback proxy the test cuts.
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { connectClient } from '../../config/connections.js';
import { eventually, stack } from '../helpers.js';

/** Records the status code of each attempt the SDK's retry interceptor (before it) makes. */
const recordAttempts =
  (codes: grpc.status[]): grpc.Interceptor =>
  (options, nextCall) =>
    new grpc.InterceptingCall(
      nextCall(options),
      new grpc.RequesterBuilder()
        .withStart((metadata, _listener, next) =>
          next(
            metadata,
            new grpc.ListenerBuilder()
              .withOnReceiveStatus((status, deliver) => {
                deliver(status); // the retry interceptor schedules its retry now, then the attempt counts
                codes.push(status.code);
              })
              .build(),
          ),
        )
        .build(),
    );

/** A TCP proxy to Temporal that can be cut: open sockets destroyed, new ones refused. */
async function cuttableProxy(target: string): Promise<{ address: string; cut: () => Promise<void> }> {
  const [host, port] = target.split(':');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${own}`,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

const uncaught: unknown[] = [];
const record = (err: unknown) => void uncaught.push(err);
afterEach(() => void process.off('uncaughtException', record));

describe('a client connection closed while a call waits to be retried', () => {
  it('ends the pending retry as cancelled instead of throwing from its timer', async () => {
    process.on('uncaughtException', record);
    const proxy = await cuttableProxy(stack().temporalAddress);
    const codes: grpc.status[] = [];
    // The SDK's own retries, as connectClient would add them, with each attempt recorded after them.
    const interceptors = [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), recordAttempts(codes)];
    const connection = await connectClient({ address: proxy.address, connectTimeout: 2_000, interceptors });
    await proxy.cut();
    codes.length = 0;

    // Unavailable now: the SDK schedules retries (about 100 ms, 170 ms, 290 ms … apart).
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (err: { code?: number }) => `failed with code ${err.code}`,
    );
    await eventually(async () => codes.length, (failed) => failed > 0); // an attempt failed: its retry is pending now
    await connection.close();

    // CANCELLED (1): the retry that fired after close went nowhere (unguarded, the call never settles).
    const neverSettled = new Promise((r) => setTimeout(() => r('never settled'), 10_000).unref());
    expect(await Promise.race([call, neverSettled])).toBe('failed with code 1');
    // Every attempt before close was unavailable, the one after it cancelled, which the SDK does not retry: no retry timer is left.
    expect(new Set(codes.slice(0, -1))).toEqual(new Set([grpc.status.UNAVAILABLE]));
    expect(codes.at(-1)).toBe(grpc.status.CANCELLED);
    expect(uncaught).toEqual([]);
  });

  it('fails a call made after close as cancelled', async () => {
    const connection = await connectClient({ address: stack().temporalAddress });
    await connection.close();
    await expect(connection.workflowService.getSystemInfo({})).rejects.toMatchObject({ code: 1 });
  });
});
