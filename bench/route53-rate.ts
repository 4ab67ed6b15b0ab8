// The Route 53 rate figure: N migrations (default 100) shift at once on one worker; a small
// recording proxy in front of moto stamps every Route 53 request and, like Route 53, answers
// Throttling to any request past 5 in one second. Goal: the peak in any one-second window
// stays at CUTOVER_ROUTE53_RPS (5), so Route 53 never has to throttle; reports how long the
// shifts took.
// Run: npx tsx bench/route53-rate.ts [migrations=100] [--smoke]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { route53Rps, route53Spacer } from '../activities/rate-limit.js';
import type { MigrationSpec } from '../workflows/spec.js';
import { namedWorld, seedMoto } from '../scripts/stack/seed.js';
import { countArg, report } from './figures.js';
import { api, loadAverage, pool, startBenchStack, until } from './stack.js';

const migrations = countArg(0, 100, 5);
const rps = route53Rps();
/** Route 53's own limit, enforced by the proxy as Route 53 would. */
const ROUTE53_LIMIT = 5;
const THROTTLING =
  '<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>bench</RequestId></ErrorResponse>';

/** Every Route 53 request that reached the proxy (ms, performance.now()), and those it throttled. */
const route53At: number[] = [];
let throttled = 0;
let upstream: URL | undefined;
const proxy = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url?.startsWith('/2013-04-01/')) {
      const now = performance.now();
      route53At.push(now);
      if (route53At.filter((t) => t > now - 1000).length > ROUTE53_LIMIT) {
        throttled++;
        res.writeHead(400, { 'content-type': 'text/xml' }).end(THROTTLING);
        return;
      }
    }
    const forward = http.request({ host: upstream!.hostname, port: upstream!.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream!.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', (err) => res.writeHead(502).end(String(err)));
    forward.end(Buffer.concat(chunks));
  });
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

const stack = await startBenchStack((motoUrl) => {
  upstream = new URL(motoUrl);
  return createActivities({ aws: createAwsClients({ endpoint: proxyUrl }) });
});

/** The most requests in any window [t, t + 1 s) starting at a request. */
function peakPerSecond(times: number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + 1000) j++;
    peak = Math.max(peak, j - i);
  }
  return peak;
}

try {
  console.log(`${migrations} migrations, limiter ${rps} requests/s per account; load ${loadAverage()} at start`);
  const ids: string[] = [];
  await pool(
    Array.from({ length: migrations }, (_, i) => i),
    5,
    async () => {
      const world = namedWorld(`r${randomBytes(3).toString('hex')}`, { recordTtl: 0 });
      const seeded = await seedMoto(stack.motoUrl, world);
      const spec: MigrationSpec = {
        region: world.region,
        blue: { cluster: world.blue },
        green: { cluster: world.green, kubernetesVersion: '1.34' },
        traffic: { driver: 'route53', route53: { hostedZoneId: seeded.hostedZoneId, records: [{ name: world.recordName }] }, steps: [100], observe: '0s' },
        bake: '1h',
        freeze: '0s',
        decommission: { drain: { none: "bench world: blue's only clients come through the routing Cutover removes" }, lastDelay: '0s' },
      };
      const { status, json } = await api(stack.apiUrl, 'POST', '/v1/migrations', 'dev-operator', spec);
      if (status !== 201) throw new Error(`start: ${status} ${JSON.stringify(json)}`);
      ids.push(json.id);
    },
  );
  const phaseOf = async (id: string) => (await api(stack.apiUrl, 'GET', `/v1/migrations/${id}`, 'dev-viewer')).json;
  await pool(ids, 10, async (id) => {
    await until(() => phaseOf(id), (s) => s?.pendingGate?.gate === 'cutover', 600_000, 500);
  });
  console.log(`all ${migrations} at the cutover gate; approving all at once`);
  const before = route53At.length;
  const stats0 = { ...route53Spacer('default').stats };
  const t0 = performance.now();
  await Promise.all(ids.map((id) => api(stack.apiUrl, 'POST', `/v1/migrations/${id}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' })));
  await pool(ids, 10, async (id) => {
    await until(() => phaseOf(id), (s) => s?.phase === 'baking' && s?.weights?.green === 100, 1_800_000, 1000);
  });
  const seconds = (performance.now() - t0) / 1000;
  const during = route53At.slice(before);
  const peak = peakPerSecond(during);
  const stats = route53Spacer('default').stats;
  console.log(
    `${during.length} Route 53 requests in ${seconds.toFixed(1)} s; ${stats.delayed - stats0.delayed} of ${stats.requests - stats0.requests} waited for their turn in the limiter; load ${loadAverage()} at end`,
  );
  report([
    { name: `peak Route 53 requests in any 1 s, ${migrations} migrations shifting`, value: peak, unit: 'requests', goal: `≤ ${ROUTE53_LIMIT}`, met: peak <= ROUTE53_LIMIT },
    { name: 'Throttling answers (the proxy throttles as Route 53 does)', value: throttled, unit: 'answers', goal: '0', met: throttled === 0 },
    { name: `time for ${migrations} shifts (approvals sent → all on green)`, value: seconds, unit: 's' },
    { name: 'Route 53 requests per shift', value: during.length / migrations, unit: 'requests' },
  ]);
} finally {
  await stack.close();
  proxy.close();
}
