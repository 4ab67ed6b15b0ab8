// The rollback figure (docs/architecture.md, "Figures"): REST rollback?wait=true → both
// weights back on blue in Route 53. Goal: p99 ≤ 2× a plain script making the same Route 53
// calls (read the record pair, change both weights in one batch), same run; also reports the
// ratio to one bare ChangeResourceRecordSets.
// Also prints where a rollback's time goes: in Route 53 calls (timed in the worker's own client)
// and in everything else (REST, the Update, workflow and activity tasks), with the history
// events each rollback added.
// With --teams, the API has team scopes and each migration names a team, so every request on
// it first reads the migration's team (one describe): compare the figures with and without.
// Run: npx tsx bench/rollback.ts [migrations=30] [--smoke] [--teams]
import { randomBytes } from 'node:crypto';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { limitRoute53 } from '../activities/rate-limit.js';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { readRoute53Weights } from '../activities/route53.js';
import { resolveSpec } from '../workflows/spec-defaults.js';
import type { MigrationSpec } from '../workflows/spec.js';
import { namedWorld, seedMoto } from '../scripts/stack/seed.js';
import { countArg, optionArg, report } from './figures.js';
import { api, loadAverage, percentile, startBenchStack, summary, until } from './stack.js';

const runs = countArg(0, 30, 2);
/** Team scopes on: the sandbox's operator and approver act in team bench through their groups. */
const teams = optionArg('teams') !== undefined ? { teams: { bench: { operator: { groups: ['oncall'], subjects: [] }, approver: { groups: ['leads'], subjects: [] } } }, admins: { groups: [], subjects: [] } } : undefined;
/** Route 53 calls the worker's activities made, with their durations (ms). */
const workerCalls: { command: string; ms: number }[] = [];
const stack = await startBenchStack((motoUrl) => {
  const aws = createAwsClients({ endpoint: motoUrl });
  aws.route53('us-east-1').middlewareStack.add(
    (next, context) => async (args) => {
      const t0 = performance.now();
      try {
        return await next(args);
      } finally {
        workerCalls.push({ command: context.commandName ?? '?', ms: performance.now() - t0 });
      }
    },
    { step: 'initialize', name: 'benchTiming' },
  );
  return createActivities({ aws });
}, { apiConfig: { teams } });
// The benchmark's own client: its reads must not take the worker's Route 53 turns.
const route53 = limitRoute53(createAwsClients({ endpoint: stack.motoUrl }).route53('us-east-1'), 'bench');
const rollbackMs: number[] = [];
const bareMs: number[] = [];
const scriptMs: number[] = [];
const route53Ms: number[] = [];
const callsPerRollback = new Map<string, number>();
const eventsPerRollback = new Map<string, number>();
try {
  console.log(`load ${loadAverage()} at start`);
  for (let i = 0; i < runs; i++) {
    const world = namedWorld(`b${randomBytes(3).toString('hex')}`, { recordTtl: 0 });
    const seeded = await seedMoto(stack.motoUrl, world);
    const spec: MigrationSpec = {
      region: world.region,
      blue: { cluster: world.blue },
      green: { cluster: world.green, kubernetesVersion: '1.34' },
      traffic: { driver: 'route53', route53: { hostedZoneId: seeded.hostedZoneId, records: [{ name: world.recordName }] }, steps: [20, 100], observe: '1h' },
      bake: '0s',
      freeze: '0s',
      decommission: { drain: { none: "bench world: blue's only clients come through the routing Cutover removes" }, lastDelay: '0s' },
      ...(teams && { team: 'bench' }),
    };
    const target = resolveSpec(spec).traffic.route53!;
    const { json } = await api(stack.apiUrl, 'POST', '/v1/migrations', 'dev-operator', spec);
    const path = `/v1/migrations/${json.id}`;
    await until(() => api(stack.apiUrl, 'GET', path, 'dev-viewer'), (r) => r.json.pendingGate?.gate === 'cutover');
    await api(stack.apiUrl, 'POST', `${path}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' });
    await until(() => readRoute53Weights(route53, target), (w) => w[0].green === 20);
    // Let the step finish (it ends starting its observe timer), so the rollback is all that runs.
    const settled = await until(
      async () => (await stack.client.workflow.getHandle(json.id).fetchHistory()).events ?? [],
      (events) => !!events.at(-1)?.timerStartedEventAttributes,
    );
    const historyBefore = settled.length;

    workerCalls.length = 0;
    const t0 = performance.now();
    const res = await api(stack.apiUrl, 'POST', `${path}/rollback?wait=true`, 'dev-operator', { reason: 'bench' });
    rollbackMs.push(performance.now() - t0);
    const calls = [...workerCalls];
    const after = await readRoute53Weights(route53, target);
    if (res.status !== 200 || after[0].blue !== 100 || after[0].green !== 0) throw new Error(`rollback did not land: ${res.status} ${JSON.stringify(after)}`);
    route53Ms.push(calls.reduce((sum, c) => sum + c.ms, 0));
    for (const c of calls) callsPerRollback.set(c.command, (callsPerRollback.get(c.command) ?? 0) + 1 / runs);
    const history = (await stack.client.workflow.getHandle(json.id).fetchHistory()).events ?? [];
    const completed = history.findIndex((e, n) => n >= historyBefore && e.workflowExecutionUpdateCompletedEventAttributes);
    for (const e of history.slice(historyBefore, completed + 1)) {
      const type = Object.keys(e).find((k) => k.endsWith('EventAttributes'))!.replace('EventAttributes', '');
      eventsPerRollback.set(type, (eventsPerRollback.get(type) ?? 0) + 1 / runs);
    }

    // The floor: one bare weight change of the same record pair, straight to moto.
    const change = (blue: number) =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: seeded.hostedZoneId,
          ChangeBatch: {
            Changes: ['blue', 'green'].map((id) => ({
              Action: 'UPSERT' as const,
              ResourceRecordSet: { Name: world.recordName, Type: 'CNAME' as const, SetIdentifier: id, Weight: id === 'blue' ? blue : 100 - blue, TTL: 0, ResourceRecords: [{ Value: `${id}-lb.${world.zoneName}` }] },
            })),
          },
        }),
      );
    // The plain script: the same Route 53 calls the rollback makes (read the pair, change both weights).
    await change(0);
    const t2 = performance.now();
    await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: seeded.hostedZoneId, StartRecordName: world.recordName, StartRecordType: 'CNAME' }));
    await change(100);
    scriptMs.push(performance.now() - t2);
    const t1 = performance.now();
    await change(100);
    bareMs.push(performance.now() - t1);
    await api(stack.apiUrl, 'POST', `${path}/abort`, 'dev-operator');
  }
  const p99 = percentile(rollbackMs, 99);
  const bareP99 = percentile(bareMs, 99);
  const scriptP99 = percentile(scriptMs, 99);
  const otherMs = rollbackMs.map((ms, i) => ms - route53Ms[i]);
  const per = (m: Map<string, number>) => [...m].map(([k, n]) => `${k.replace(/Command$/, '')} ${n.toFixed(1)}`).join(', ');
  console.log(`rollback (REST → weights on blue): ${summary(rollbackMs)}`);
  console.log(`  in Route 53 calls:                ${summary(route53Ms)}  [per rollback: ${per(callsPerRollback)}]`);
  console.log(`  REST, Update, tasks (the rest):   ${summary(otherMs)}`);
  console.log(`  history events per rollback: ${per(eventsPerRollback)}`);
  console.log(`plain script (List + Change):       ${summary(scriptMs)}`);
  console.log(`bare ChangeResourceRecordSets:      ${summary(bareMs)}`);
  console.log(`load ${loadAverage()} at end`);
  report([
    { name: `rollback p99 (REST rollback?wait=true → weights on blue)${teams ? ', team scopes on' : ''}, n=${runs}`, value: p99, unit: 'ms' },
    { name: 'plain script p99 (same Route 53 calls)', value: scriptP99, unit: 'ms' },
    { name: 'rollback p99 / plain script p99', value: p99 / scriptP99, unit: '×', goal: '≤ 2×', met: p99 <= 2 * scriptP99 },
    { name: 'rollback p99 / one bare ChangeResourceRecordSets p99', value: p99 / bareP99, unit: '×' },
    { name: 'rollback p50 spent outside Route 53 calls (REST, Update, tasks)', value: percentile(otherMs, 50), unit: 'ms' },
  ]);
} finally {
  await stack.close();
}
