// The worker's health endpoints, for the image's HEALTHCHECK and Kubernetes probes. The worker
// serves nothing else, so this listens only when CUTOVER_WORKER_HEALTH_PORT is set (the image
// sets it), on every interface so a kubelet can reach it.
//   GET /healthz  200 while the process runs
//   GET /readyz   200 while the worker polls its task queue (state RUNNING), else 503
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function serveWorkerHealth(state: () => State, port: number): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const current = state();
    if (req.url === '/healthz') reply(200, { status: 'ok', worker: current });
    else if (req.url === '/readyz') reply(current === 'RUNNING' ? 200 : 503, { status: current === 'RUNNING' ? 'ok' : 'not polling', worker: current });
    else reply(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
