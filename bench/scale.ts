// The scale figure (docs/architecture.md, "Figures"): N migrations parked at the cutover gate
// on one worker; approve them at a fixed rate (open loop) and measure approve → the next
// activity (the check that green can take traffic) starting. Goals: 10,000 parked, p99 < 1 s
// at 50 approvals/s, worker RSS < 1 GiB on 2 cores; reports the start rate, each process's
// CPU and which of them limits.
// Cloud calls are in-memory here: this measures orchestration, not moto.
//
// As deployed, the worker runs alone in its process: this one. The API and the people calling
// it run in a second process (bench/scale-driver.ts), so their CPU and event loop are not the
// worker's, and the RSS printed is the worker's. Both stamp wall-clock times; the figure is the
// REST approve sent (driver) → the next activity running (worker).
//
// Run: npx tsx bench/scale.ts [migrations=10000] [rate=50] [--smoke] [--postgres [--shards=16]] [--workers=1]
//   rate        approvals sent per second whatever the answers (open loop); 0: closed loop, 50 in flight
//   --postgres  a standalone Temporal server on PostgreSQL with --shards history shards instead of the
//               dev server (one shard, SQLite in memory); built on first use (scripts/tools.sh --temporal-server)
//   --workers   worker processes on the task queue: this one and N-1 more (bench/scale-worker.ts)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DriverReply, DriverRequest } from './scale-driver.js';
import type { ScaleWorkerEvent } from './scale-worker.js';
import { scaleActivities } from './scale-activities.js';
import { countArg, optionArg, report } from './figures.js';
import { cpuSeconds, cpuSecondsByThread, cpuSecondsOfGroup, epochMs, loadAverage, percentile, rssBytes, scrapeMetrics, startBenchStack, summary, until } from './stack.js';

const total = countArg(0, 10_000, 5);
const rate = countArg(1, 50, 5) || undefined;
const shards = optionArg('postgres') === undefined ? undefined : Number(optionArg('shards') ?? 16);
const workers = Number(optionArg('workers') ?? 1);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a whole number of at least 1, not ${optionArg('workers')}`);
if (shards === undefined && optionArg('shards') !== undefined) throw new Error('--shards needs --postgres: the dev server has one history shard and no setting for more');
if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) throw new Error(`--shards must be a whole number of at least 1, not ${optionArg('shards')}`);
/** Starts (and, in closed loop, approvals) in flight at once. */
const concurrency = 50;

/** Migration name → when the first activity after the cutover gate began running in a worker (epoch ms). */
const firstShiftAt = new Map<string, number>();
/** Migrations whose cutover gate is pending (the gate's notification ran). */
const parked = new Set<string>();
const scaleEvents = {
  parked: (id: string) => void parked.add(id),
  moved: (name: string, at: number) => void (firstShiftAt.has(name) || firstShiftAt.set(name, at)),
};

const stack = await startBenchStack(() => scaleActivities(scaleEvents, epochMs), { moto: false, api: false, postgresShards: shards });
// The other worker processes, on the same task queue.
const extraWorkers = Array.from({ length: workers - 1 }, () => {
  const child = fork(fileURLToPath(new URL('./scale-worker.ts', import.meta.url)), [stack.temporalAddress, stack.taskQueue], { stdio: 'inherit' });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: ScaleWorkerEvent) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'parked') scaleEvents.parked(m.name);
      else scaleEvents.moved(m.name, m.at);
    });
    child.once('exit', (code) => reject(new Error(`a scale worker exited (${code})`)));
  });
  return { child, ready };
});
await Promise.all(extraWorkers.map((w) => w.ready));
const workerPids = [process.pid, ...extraWorkers.map((w) => w.child.pid!)];
const serverCpu = () => cpuSeconds(stack.temporalPid) + (stack.postgresGroup ? cpuSecondsOfGroup(stack.postgresGroup) : 0);
const workersRss = () => workerPids.map(rssBytes);
const driver = fork(fileURLToPath(new URL('./scale-driver.ts', import.meta.url)), { stdio: 'inherit' });
const replies: DriverReply[] = [];
let wake: (() => void) | undefined;
driver.on('message', (m: DriverReply) => {
  replies.push(m);
  wake?.();
});
const driverExited = new Promise<void>((_, reject) => driver.once('exit', (code) => reject(new Error(`scale driver exited (${code})`))));
driverExited.catch(() => {});
const send = (m: DriverRequest) => driver.send(m);
async function reply<K extends DriverReply['kind']>(kind: K): Promise<Extract<DriverReply, { kind: K }>> {
  for (;;) {
    const i = replies.findIndex((r) => r.kind === kind);
    if (i >= 0) return replies.splice(i, 1)[0] as Extract<DriverReply, { kind: K }>;
    await Promise.race([new Promise<void>((r) => (wake = r)), driverExited]);
  }
}
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

try {
  const t0 = performance.now();
  send({ kind: 'start', temporalAddress: stack.temporalAddress, total, concurrency, rate });
  const started = await reply('started');
  console.log(`started ${total} migrations in ${started.seconds.toFixed(1)} s (load ${loadAverage()})`);
  await until(async () => parked.size, (n) => n >= total, Math.max(600_000, total * 100), 200); // 10,000 took 12 min here
  send({ kind: 'verify' });
  const verified = await reply('verified');
  const parkedRss = workersRss();
  const workerWord = workers === 1 ? 'worker process' : `${workers} worker processes`;
  console.log(
    `all ${total} parked at the cutover gate after ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `worker RSS ${parkedRss.map(mib).join(' + ')} (${workerWord}; API + callers in another process: ${mib(verified.rss)})`,
  );

  // What the approvals cost, and where: CPU per process, and the server's persistence.
  const usage = { worker: () => workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0), api: () => cpuSeconds(driver.pid!), server: serverCpu };
  const cpu0 = Object.fromEntries(Object.entries(usage).map(([k, read]) => [k, read()]));
  const threads0 = cpuSecondsByThread(process.pid);
  const metrics0 = await scrapeMetrics(stack.serverMetricsUrl);
  const load0 = loadAverage();
  const w0 = performance.now();
  send({ kind: 'approve' });
  const approved = await reply('approved');
  // Approvals the API gave up on may still apply: wait for them a while, then count the rest.
  await until(async () => firstShiftAt.size, (n) => n >= total, 300_000, 20).catch(() => undefined);
  const wall = (performance.now() - w0) / 1000;
  const cpu = Object.fromEntries(Object.entries(usage).map(([k, read]) => [k, read() - cpu0[k]]));
  const threads = [...cpuSecondsByThread(process.pid)].map(([name, s]) => [name, s - (threads0.get(name) ?? 0)] as const).filter(([, s]) => s >= 0.05);
  const metrics1 = await scrapeMetrics(stack.serverMetricsUrl);
  const delta = (key: string) => (metrics1.get(key) ?? 0) - (metrics0.get(key) ?? 0);

  const sentAt = new Map(approved.sentAt);
  // An approval that never moved its migration counts as infinitely slow.
  const latencies = [...sentAt].map(([name, at]) => (firstShiftAt.get(name) ?? Infinity) - at);
  const mode = rate ? `open loop, ${rate} approvals/s` : `closed loop, ${concurrency} in flight`;
  console.log(`approve → next activity (${mode}): ${summary(latencies)} (goal p99 < 1000 ms)`);
  if (approved.unanswered || approved.hung || firstShiftAt.size < total) {
    console.log(
      `  ${approved.unanswered} approvals answered 503 (no worker took them up within the API's wait); ` +
        `${approved.hung} got no answer within 5 min; ${total - firstShiftAt.size} never moved their migration`,
    );
  }
  console.log(`approvals took ${wall.toFixed(1)} s: ${(total / wall).toFixed(0)}/s; load ${load0} before, ${loadAverage()} after`);
  console.log(
    `CPU during approvals: ${workerWord} ${cpu.worker.toFixed(1)} s (this one's threads: ${threads.map(([n, s]) => `${n} ${s.toFixed(1)}`).join(', ')}), ` +
      `API + callers ${cpu.api.toFixed(1)} s, ${stack.serverLabel} ${cpu.server.toFixed(1)} s`,
  );
  const writes = delta('persistence_requests{UpdateWorkflowExecution}');
  const lockWait = delta('semaphore_latency_sum{ShardInfo}') / Math.max(1, delta('semaphore_latency_count{ShardInfo}'));
  const writeMs = delta('persistence_latency_sum{UpdateWorkflowExecution}') / Math.max(1, delta('persistence_latency_count{UpdateWorkflowExecution}'));
  console.log(
    `${stack.serverLabel}: ${writes} workflow writes (${(writes / total).toFixed(1)} per approval), ` +
      `each waited ${(lockWait * 1000).toFixed(0)} ms on average for its shard's persistence lock and took ${(writeMs * 1000).toFixed(1)} ms`,
  );
  await breakdown(sentAt);
  const rss = Math.max(...parkedRss, ...workersRss());
  const p99 = percentile(latencies, 99);
  const p50 = percentile(latencies, 50);
  const stuck = total - firstShiftAt.size;
  // JSON has no Infinity: a percentile some approvals never reached is reported as -1.
  const reported = (ms: number) => (Number.isFinite(ms) ? ms : -1);
  // The limit: the side that used the most of a core per second of approvals.
  const busiest = Object.entries(cpu).sort((x, y) => y[1] - x[1])[0];
  const label = { worker: workerWord, api: 'API + callers', server: stack.serverLabel } as Record<string, string>;
  const on = `${workers === 1 ? 'one worker' : `${workers} workers`}, ${stack.serverLabel}`;
  report([
    { name: `migrations parked at the cutover gate (${on})`, value: total, unit: 'migrations', goal: '10,000', met: total >= 10_000 },
    { name: 'start rate (REST POST → workflow started)', value: total / started.seconds, unit: 'migrations/s' },
    { name: `approve → next activity p99 (${mode}; -1: not reached)`, value: reported(p99), unit: 'ms', goal: '< 1000 ms at 50/s', met: p99 < 1000 && rate !== undefined && rate >= 50 },
    { name: 'approvals that never moved their migration (within 5 min)', value: stuck, unit: 'approvals', goal: '0', met: stuck === 0 },
    { name: 'approval requests the API did not answer within 5 min', value: approved.hung, unit: 'requests', goal: '0', met: approved.hung === 0 },
    { name: 'approve → next activity p50 (-1: not reached)', value: reported(p50), unit: 'ms' },
    { name: `worker RSS (peak seen, the largest of ${workerWord})`, value: rss / 2 ** 20, unit: 'MiB', goal: '< 1024 MiB', met: rss < 2 ** 30 },
    { name: `server CPU during approvals (${stack.serverLabel}${stack.postgresGroup ? ' and PostgreSQL' : ''})`, value: cpu.server / wall, unit: 'cores' },
    { name: `worker CPU during approvals (${workerWord})`, value: cpu.worker / wall, unit: 'cores' },
    { name: 'API + callers CPU during approvals', value: cpu.api / wall, unit: 'cores' },
    { name: `the limit (busiest process): ${label[busiest[0]]}`, value: busiest[1] / wall, unit: 'cores' },
  ]);
  send({ kind: 'stop' });
} finally {
  driver.kill();
  for (const w of extraWorkers) w.child.kill();
  await stack.close();
}

/** Where a sample of approvals spent their time, from the server's history timestamps. */
async function breakdown(sentAt: Map<string, number>): Promise<void> {
  const steps: Record<string, number[]> = {};
  const add = (k: string, v: number) => (steps[k] ??= []).push(v);
  const names = [...sentAt.keys()].filter((_, i) => i % Math.max(1, Math.floor(sentAt.size / 100)) === 0);
  for (const name of names) {
    const events = (await stack.client.workflow.getHandle(`migration-us-east-1-${name}`).fetchHistory()).events ?? [];
    const at = (i: number) => Number(events[i].eventTime!.seconds) * 1000 + (events[i].eventTime!.nanos ?? 0) / 1e6;
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const taskStarted = events.findLastIndex((e, i) => i < accepted && e.workflowTaskStartedEventAttributes);
    if (accepted < 0 || taskStarted < 0) continue;
    add('approve sent → its workflow task handed to the worker', at(taskStarted) - sentAt.get(name)!);
    if (firstShiftAt.has(name)) add('handed to the worker → next activity running', firstShiftAt.get(name)! - at(taskStarted));
    add('handed to the worker → update accepted (task completed)', at(accepted) - at(taskStarted));
  }
  for (const [step, v] of Object.entries(steps)) console.log(`  ${step.padEnd(58)} ${summary(v)}`);
}
