// The people side of bench/scale.ts, in a process of its own as in production: the real API
// (with its Temporal client) and the callers of it. Started by bench/scale.ts over IPC.
import type { MigrationSpec } from '../workflows/spec.js';
import { api, epochMs, pool, startBenchApi, until } from './stack.js';

export type DriverRequest =
  | { kind: 'start'; temporalAddress: string; total: number; concurrency: number; rate?: number }
  | { kind: 'verify' }
  | { kind: 'approve' }
  | { kind: 'stop' };
export type DriverReply =
  | { kind: 'started'; seconds: number }
  | { kind: 'verified'; rss: number }
  | { kind: 'approved'; sentAt: [string, number][]; unanswered: number; hung: number };

const specOf = (name: string): MigrationSpec => ({
  region: 'us-east-1',
  blue: { cluster: name },
  green: { cluster: `${name}-green`, kubernetesVersion: '1.34' },
  // The record name carries the migration's name to the worker's fake setWeights.
  traffic: { driver: 'route53', route53: { hostedZoneId: 'Z1', records: [{ name }] }, steps: [100], observe: '1h' },
  decommission: { drain: { none: "bench world: blue's only clients come through the routing Cutover removes" }, lastDelay: '0s' },
});
const idOf = (name: string) => `migration-us-east-1-${name}`;

let served: Awaited<ReturnType<typeof startBenchApi>> | undefined;
let run: Extract<DriverRequest, { kind: 'start' }>;
let names: string[] = [];
const reply = (m: DriverReply): void => {
  process.send!(m);
};

process.on('message', (m: DriverRequest) => {
  handle(m).catch((err) => {
    console.error('scale driver:', err);
    process.exit(1);
  });
});

async function handle(m: DriverRequest): Promise<void> {
  switch (m.kind) {
    case 'start': {
      run = m;
      served = await startBenchApi(m.temporalAddress);
      names = Array.from({ length: m.total }, (_, i) => `scale-${i}`);
      const t0 = performance.now();
      await pool(names, m.concurrency, async (name) => {
        const res = await api(served!.apiUrl, 'POST', '/v1/migrations', 'dev-operator', specOf(name));
        if (res.status !== 201) throw new Error(`start ${name}: ${res.status} ${JSON.stringify(res.json)}`);
      });
      return reply({ kind: 'started', seconds: (performance.now() - t0) / 1000 });
    }
    case 'verify':
      // What a person sees before approving: the gate pending in the migration's status.
      await pool(names, 10, async (name) => {
        await until(() => api(served!.apiUrl, 'GET', `/v1/migrations/${idOf(name)}`, 'dev-viewer'), (r) => r.json?.pendingGate?.gate === 'cutover', 120_000, 200);
      });
      return reply({ kind: 'verified', rss: process.memoryUsage().rss });
    case 'approve': {
      const sentAt: [string, number][] = [];
      // A 503 is the API saying no worker took the approval up in time (it may still apply): an
      // overloaded worker or server, counted and reported, not a broken benchmark.
      let unanswered = 0;
      // No HTTP answer at all within the client's 5 min (undici's headers timeout): counted and
      // reported, as an overloaded API's failure to answer is a figure, not a crash of the benchmark.
      let hung = 0;
      const approve = async (name: string) => {
        sentAt.push([name, epochMs()]);
        const res = await api(served!.apiUrl, 'POST', `/v1/migrations/${idOf(name)}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' }).catch((err: unknown) => {
          if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_HEADERS_TIMEOUT') throw err;
          hung++;
          return undefined;
        });
        if (!res) return;
        if (res.status === 503) unanswered++;
        else if (res.status !== 200) throw new Error(`approve ${name}: ${res.status} ${JSON.stringify(res.json)}`);
      };
      if (run.rate) {
        // Open loop: the i-th approval leaves at i / rate seconds, answered or not.
        const t0 = performance.now();
        await Promise.all(
          names.map(async (name, i) => {
            const wait = t0 + (i * 1000) / run.rate! - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            await approve(name);
          }),
        );
      } else {
        await pool(names, run.concurrency, approve);
      }
      return reply({ kind: 'approved', sentAt, unanswered, hung });
    }
    case 'stop':
      await served?.close();
      process.exit(0);
  }
}
