// Installs the worker's telemetry (pino JSON lines, Prometheus metrics) before test/helpers.ts
// would install its quiet Runtime: import this first.
import net from 'node:net';
import { Writable } from 'node:stream';
import { installTelemetry } from '../../worker/telemetry.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Every JSON line the worker logged. */
export const workerLines: Record<string, unknown>[] = [];
export const workerMetricsPort = await freePort();
installTelemetry({
  logLevel: 'info',
  metricsPort: workerMetricsPort,
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) workerLines.push(JSON.parse(line));
      done();
    },
  }),
});
