// The orchestration overhead figure (docs/architecture.md, "Figures"): a whole migration with
// every wait set to 0, through REST and the workflow, against a plain script making the same
// cloud calls (the same activity code run directly, outside Temporal). Goal: workflow ≤ 1.5×
// script, same run.
// Run: npx tsx bench/overhead.ts [rounds=5] [--smoke]
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { buildPlan } from '../workflows/plan.js';
import { resolveSpec } from '../workflows/spec-defaults.js';
import type { MigrationSpec } from '../workflows/spec.js';
import { namedWorld, seedMoto } from '../scripts/stack/seed.js';
import { countArg, report } from './figures.js';
import { api, loadAverage, percentile, startBenchStack, until } from './stack.js';

const rounds = countArg(0, 5, 1);
const stack = await startBenchStack();

async function freshSpec(): Promise<MigrationSpec> {
  const world = namedWorld(`o${randomBytes(3).toString('hex')}`, { recordTtl: 0 });
  const seeded = await seedMoto(stack.motoUrl, world);
  return {
    region: world.region,
    blue: { cluster: world.blue },
    green: { cluster: world.green, kubernetesVersion: '1.34' },
    traffic: { driver: 'route53', route53: { hostedZoneId: seeded.hostedZoneId, records: [{ name: world.recordName }] }, steps: [20, 50, 80, 100], observe: '0s' },
    bake: '0s',
    freeze: '0s',
    decommission: { drain: { none: "bench world: blue's only clients come through the routing Cutover removes" }, lastDelay: '0s' },
  };
}

async function viaWorkflow(spec: MigrationSpec): Promise<number> {
  const t0 = performance.now();
  const { json } = await api(stack.apiUrl, 'POST', '/v1/migrations', 'dev-operator', spec);
  const path = `/v1/migrations/${json.id}`;
  // The default policies: cutover by one approver, decommission by two others.
  const approvers = { cutover: ['dev-approver-1'], decommission: ['dev-approver-2', 'dev-approver-3'] };
  for (const [gate, tokens] of Object.entries(approvers)) {
    await until(() => api(stack.apiUrl, 'GET', path, 'dev-viewer'), (r) => r.json.pendingGate?.gate === gate, 60_000);
    for (const token of tokens) await api(stack.apiUrl, 'POST', `${path}/approvals`, token, { gate, decision: 'approve' });
  }
  await until(() => api(stack.apiUrl, 'GET', path, 'dev-viewer'), (r) => r.json.phase === 'completed', 60_000);
  return performance.now() - t0;
}

async function viaScript(raw: MigrationSpec): Promise<number> {
  const spec = resolveSpec(raw);
  const acts = createActivities({ aws: createAwsClients({ endpoint: stack.motoUrl }) });
  const env = new MockActivityEnvironment();
  const run = <A, R>(fn: (a: A) => Promise<R>, input: A) => env.run(fn, input) as Promise<R>;
  const traffic = { region: spec.region, traffic: spec.traffic };
  const t0 = performance.now();
  await run(acts.preflight, { region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, targetVersion: spec.green.kubernetesVersion, mode: spec.green.mode });
  await run(acts.provisionGreen, { migrationId: 'script', region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, targetVersion: spec.green.kubernetesVersion, mode: spec.green.mode });
  await run(acts.validateGreen, { region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, health: spec.health });
  for (const step of buildPlan(spec).steps) {
    const r = await run(acts.setWeights, { ...traffic, weights: step.weights, actor: 'script', reason: 'step' });
    await run(acts.waitWeightsApplied, { ...traffic, changeIds: r.changeIds, weights: step.weights });
  }
  await run(acts.removeBlueRouting, { ...traffic, actor: 'script', reason: 'decommission' });
  const blue = { region: spec.region, cluster: spec.blue.cluster };
  await run(acts.retainedVolumeFindings, blue);
  await run(acts.deleteBlueLoadBalancers, blue);
  await run(acts.deleteNodegroups, blue);
  await run(acts.deleteCluster, blue);
  return performance.now() - t0;
}

try {
  const workflowMs: number[] = [];
  const scriptMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    scriptMs.push(await viaScript(await freshSpec()));
    workflowMs.push(await viaWorkflow(await freshSpec()));
  }
  const w = percentile(workflowMs, 50);
  const s = percentile(scriptMs, 50);
  console.log(`plain script (same cloud calls): median ${s.toFixed(0)} ms over ${rounds}`);
  console.log(`workflow via REST (gates approved at once): median ${w.toFixed(0)} ms over ${rounds}`);
  console.log(`load ${loadAverage()} at end`);
  report([
    { name: `workflow via REST, median of ${rounds}`, value: w, unit: 'ms' },
    { name: 'plain script (same cloud calls), median', value: s, unit: 'ms' },
    { name: 'workflow / script', value: w / s, unit: '×', goal: '≤ 1.5×', met: w <= 1.5 * s },
  ]);
} finally {
  await stack.close();
}
