// Closing a client connection while the SDK waits to retry a call (Temporal unreachable) must not
// crash the process: the SDK's retry timer outlives Connection.close(), and grpc-js throws from
// inside it on the closed channel. The API closes its connection this way when it shuts down
// during an outage; here Temporal sits behind a loopback proxy the test cuts.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from '../../config/connections.js';
import { stack } from '../helpers.js';

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
    const connection = await connectClient({ address: proxy.address, connectTimeout: 2_000 });
    await proxy.cut();

    // Unavailable now: the SDK schedules retries (about 100 ms, 170 ms, 290 ms … apart).
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (err: { code?: number }) => `failed with code ${err.code}`,
    );
    await new Promise((r) => setTimeout(r, 400)); // a retry is pending now
    await connection.close();

    // CANCELLED (1): the retry that fired after close went nowhere (unguarded, the call never settles).
    const neverSettled = new Promise((r) => setTimeout(() => r('never settled'), 10_000).unref());
    expect(await Promise.race([call, neverSettled])).toBe('failed with code 1');
    await new Promise((r) => setTimeout(r, 1_000)); // any later retry timer has fired
    expect(uncaught).toEqual([]);
  });

  it('fails a call made after close as cancelled', async () => {
    const connection = await connectClient({ address: stack().temporalAddress });
    await connection.close();
    await expect(connection.workflowService.getSystemInfo({})).rejects.toMatchObject({ code: 1 });
  });
});
