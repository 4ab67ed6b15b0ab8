// DESIGN §7 rollback figure: REST rollback?wait=true → both weights back on blue in Route 53.
// Goal: p99 < 300 ms on loopback and ≤ 3× one bare ChangeResourceRecordSets call, same run.
// Run: npx tsx bench/rollback.ts [migrations=30]
import { randomBytes } from 'node:crypto';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { createAwsClients } from '../activities/aws.js';
import { readRoute53Weights } from '../activities/route53.js';
import { resolveSpec } from '../workflows/plan.js';
import type { MigrationSpec } from '../workflows/spec.js';
import { namedWorld, seedMoto } from '../scripts/stack/seed.js';
import { api, percentile, startBenchStack, summary, until } from './stack.js';

const runs = Number(process.argv[2] ?? 30);
const stack = await startBenchStack();
const route53 = createAwsClients({ endpoint: stack.motoUrl }).route53();
const rollbackMs: number[] = [];
const bareMs: number[] = [];
try {
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
    };
    const target = resolveSpec(spec).traffic.route53!;
    const { json } = await api(stack.apiUrl, 'POST', '/v1/migrations', 'dev-operator', spec);
    const path = `/v1/migrations/${json.id}`;
    await until(() => api(stack.apiUrl, 'GET', path, 'dev-viewer'), (r) => r.json.pendingGate?.gate === 'cutover');
    await api(stack.apiUrl, 'POST', `${path}/approvals`, 'dev-approver-1', { gate: 'cutover', decision: 'approve' });
    await until(() => readRoute53Weights(route53, target), (w) => w[0].green === 20);

    const t0 = performance.now();
    const res = await api(stack.apiUrl, 'POST', `${path}/rollback?wait=true`, 'dev-operator', { reason: 'bench' });
    rollbackMs.push(performance.now() - t0);
    const after = await readRoute53Weights(route53, target);
    if (res.status !== 200 || after[0].blue !== 100 || after[0].green !== 0) throw new Error(`rollback did not land: ${res.status} ${JSON.stringify(after)}`);

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
    const t1 = performance.now();
    await change(100);
    bareMs.push(performance.now() - t1);
    await api(stack.apiUrl, 'POST', `${path}/abort`, 'dev-operator');
  }
  const p99 = percentile(rollbackMs, 99);
  const bareP99 = percentile(bareMs, 99);
  console.log(`rollback (REST → weights on blue): ${summary(rollbackMs)}`);
  console.log(`bare ChangeResourceRecordSets:      ${summary(bareMs)}`);
  console.log(`p99 ratio rollback/bare: ${(p99 / bareP99).toFixed(2)}× (goal ≤ 3×); p99 ${p99.toFixed(1)} ms (goal < 300 ms)`);
} finally {
  await stack.close();
}
