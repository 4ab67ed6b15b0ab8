// DESIGN §7 scale figure: N migrations parked at the cutover gate on one worker; approve
// them all and measure approve → next activity (the first weight shift) starting.
// Goal: p99 < 1 s for 1,000 on 2 cores; prints the worker's RSS.
// Cloud calls are in-memory here: this measures orchestration, not moto.
// Run: npx tsx bench/scale.ts [migrations=1000] [concurrency=50]
import type { Activities } from '../activities/index.js';
import type { MigrationSpec } from '../workflows/spec.js';
import { api, percentile, startBenchStack, summary, until } from './stack.js';

const total = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 50);
const firstShiftAt = new Map<string, number>();

const fakeActivities = (): Partial<Activities> => ({
  async preflight() {
    return { blueVersion: '1.33', findings: [] };
  },
  async provisionGreen() {
    return { created: true, status: 'ACTIVE' };
  },
  async validateGreen() {
    return { findings: [] };
  },
  async setWeights(input) {
    const name = input.traffic.route53!.records[0].name;
    if (!firstShiftAt.has(name)) firstShiftAt.set(name, performance.now());
    return { changeIds: [], settleSeconds: 0, changed: true };
  },
  async waitWeightsApplied() {},
  async notify() {},
});

async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

const stack = await startBenchStack(() => fakeActivities());
try {
  const names = Array.from({ length: total }, (_, i) => `scale-${i}`);
  const specOf = (name: string): MigrationSpec => ({
    region: 'us-east-1',
    blue: { cluster: name },
    green: { cluster: `${name}-green`, kubernetesVersion: '1.34' },
    // The record name carries the migration's name to the fake setWeights above.
    traffic: { driver: 'route53', route53: { hostedZoneId: 'Z1', records: [{ name }] }, steps: [100], observe: '1h' },
  });
  const t0 = performance.now();
  await pool(names, concurrency, async (name) => {
    const res = await api(stack.apiUrl, 'POST', '/v1/migrations', 'dev-operator', specOf(name));
    if (res.status !== 201) throw new Error(`start ${name}: ${res.status} ${JSON.stringify(res.json)}`);
  });
  console.log(`started ${total} migrations in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await pool(names, concurrency, async (name) => {
    await until(() => api(stack.apiUrl, 'GET', `/v1/migrations/migration-us-east-1-${name}`, 'dev-viewer'), (r) => r.json?.pendingGate?.gate === 'cutover', 300_000);
  });
  console.log(`all ${total} parked at the cutover gate after ${((performance.now() - t0) / 1000).toFixed(1)} s; worker RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (worker, client and API in one process)`);

  const approvedAt = new Map<string, number>();
  await pool(names, concurrency, async (name) => {
    const id = `migration-us-east-1-${name}`;
    approvedAt.set(name, performance.now());
    const res = await api(stack.apiUrl, 'POST', `/v1/migrations/${id}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' });
    if (res.status !== 200) throw new Error(`approve ${id}: ${res.status}`);
  });
  await until(async () => firstShiftAt.size, (n) => n >= total, 300_000);
  const latencies = [...approvedAt].map(([name, at]) => firstShiftAt.get(name)! - at);
  console.log(`approve → next activity: ${summary(latencies)} (goal p99 < 1000 ms)`);
  console.log(`p99 ${percentile(latencies, 99).toFixed(0)} ms; worker RSS after approvals ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await stack.close();
}
