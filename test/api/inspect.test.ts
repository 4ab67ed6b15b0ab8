// The dry run (POST /v1/plans?inspect=true) against the real peers: the worker runs the
// read-only checks on moto and the kube-apiservers. Its findings are those a started migration
// records at preflight; a cluster out of reach is a finding within the bound; nothing is
// written; no worker is a 503.
import net from 'node:net';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { localClusterAccess, type ClusterEndpoint } from '../../activities/kubernetes.js';
import type { Finding } from '../../workflows/model.js';
import type { Inspection } from '../../workflows/schemas.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { freePort } from '../../scripts/stack/processes.js';
import { eventually, stack, startApi, startHarness, type Harness, type TestWorld } from '../helpers.js';
import { createAll, uniqueNamespace } from '../integration/support.js';
import { call, seededSpec, weightsInMoto } from './support.js';

let harness: Harness;
let ns: string;
/** Cluster name → API server, filled per test: the worker looks each one up when it connects. */
const endpoints: Record<string, ClusterEndpoint> = {};

beforeAll(async () => {
  ns = await uniqueNamespace(['blue', 'green'], 'insp');
  harness = await startHarness(
    createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl }), clusters: localClusterAccess(endpoints), clusterChecks: { inventory: { namespaces: [ns] } } }),
  );
});
afterAll(async () => harness?.close());

/** The world's blue and green are this run's kube-apiservers (blue's server may be replaced). */
function reach(w: TestWorld, blue: Partial<ClusterEndpoint> = {}): void {
  endpoints[w.world.blue] = { ...stack().kube.blue, ...blue };
  endpoints[w.world.green] = stack().kube.green;
}

const plan = (payload: object, query = '?inspect=true') => call(harness.app, { method: 'POST', url: `/v1/plans${query}`, token: 'dev-viewer', payload });

/** Findings as a set: the order in which checks answer is not part of what they found. */
const asSet = (findings: Finding[]) => findings.map((f) => JSON.stringify([f.severity, f.source, f.message])).sort();

/** The inspection's own findings, beside preflight's: IAM's answer, and validation's for a green not yet made. */
const INSPECTION_ONLY = new Set(['permissions', 'validation']);

const statefulSet = (namespace: string): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace },
    spec: {
      replicas: 1,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '10Gi' } } } }],
    },
  }) as KubernetesObject;

describe('POST /v1/plans?inspect=true', () => {
  it('finds what a started migration records at preflight, and writes nothing', async () => {
    const { spec, w } = await seededSpec();
    reach(w);
    await createAll('blue', [statefulSet(ns)]);

    const res = await plan(spec);
    expect(res.statusCode, res.body).toBe(200);
    const { inspection, plan: planned } = res.json() as { inspection: Inspection; plan: { steps: unknown[] } };
    expect(planned.steps).toHaveLength(3);
    expect(inspection.weights).toEqual([{ blue: 100, green: 0 }]);
    expect(inspection.checks.map((c) => [c.name, c.state])).toEqual([
      ['preflight', 'finding'],
      ['routing', 'ok'],
      ['permissions', 'ok'],
    ]);
    expect(inspection.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'blocking', source: 'stateful', message: expect.stringContaining(`StatefulSet ${ns}/db in ${w.world.blue}`) }),
        expect.objectContaining({ severity: 'info', source: 'validation', message: expect.stringContaining(`green ${w.world.green} is made by the migration (mode create)`) }),
        // moto has no policy simulator: said, not guessed.
        expect.objectContaining({ severity: 'info', source: 'permissions', message: expect.stringContaining('IAM policy simulation not available: permissions not checked') }),
      ]),
    );

    // Nothing written: the routing as it was, no green, and no migration among the migrations.
    expect(await weightsInMoto(spec)).toEqual([{ blue: 100, green: 0 }]);
    const eks = createAwsClients({ endpoint: stack().motoUrl }).eks(spec.region);
    await expect(eks.send(new DescribeClusterCommand({ name: w.world.green }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    // Visibility has the inspection's run; the list of migrations does not.
    await eventually(
      async () => (await harness.client.workflowService.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = '${inspection.workflowId}'` })).executions ?? [],
      (runs) => runs.length === 1,
    );
    const listed = await call(harness.app, { method: 'GET', url: '/v1/migrations?pageSize=100', token: 'dev-viewer' });
    expect(listed.json().migrations.map((m: { id: string }) => m.id)).not.toContain(inspection.workflowId);

    // The Temporal UI says what it is and what it checked.
    const handle = harness.client.workflow.getHandle(inspection.workflowId);
    expect(await (await handle.describe()).staticSummary()).toBe(`dry run of migration-${spec.region}-${w.world.blue}`);
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toContain('nothing is started or written');
    expect(currentDetails).toContain('**Checks** preflight (EKS, upgrade insights, add-ons, removed APIs, stateful workloads), routing readback (route53, live weights)');
    expect(currentDetails).toMatch(/\*\*Results\*\* preflight finding \(\d+ ms\), routing ok \(\d+ ms\), permissions ok \(\d+ ms\)/);

    // The same world, a migration started: its preflight records what the inspection found.
    const started = await call(harness.app, { method: 'POST', url: '/v1/migrations', token: 'dev-operator', payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const held = await eventually(
      () => call(harness.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json()),
      (s) => s.pendingGate?.gate === 'preflight-override',
    );
    expect(asSet(inspection.findings.filter((f) => !INSPECTION_ONLY.has(f.source)))).toEqual(asSet(held.findings));
    await call(harness.app, { method: 'POST', url: `/v1/migrations/${id}/approvals`, token: 'dev-approver-1', payload: { gate: 'preflight-override', decision: 'reject' } });
  });

  it('a cluster it cannot reach is a finding, answered within the bound', async () => {
    const { spec, w } = await seededSpec();
    reach(w, { server: `https://127.0.0.1:${await freePort()}` });
    const asked = Date.now();
    const res = await plan(spec, '?inspect=true&timeout=30s');
    expect(res.statusCode, res.body).toBe(200);
    expect(Date.now() - asked).toBeLessThan(30_000);
    const { inspection } = res.json() as { inspection: Inspection };
    // As preflight reports it once the attempts are used up: a blocking finding naming the scan.
    expect(inspection.findings).toContainEqual(
      expect.objectContaining({ severity: 'blocking', source: 'removed-apis', message: expect.stringContaining(`removed-API scan of ${w.world.blue} could not run after 5 attempts`) }),
    );
    expect(inspection.checks.find((c) => c.name === 'preflight')?.state).toBe('finding');
  });

  it('a check still out at the bound is a finding naming it, and the answer comes at the bound', async () => {
    const { spec, w } = await seededSpec();
    // An API server that takes the connection and never answers.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      reach(w, { server: `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}` });
      const asked = Date.now();
      const res = await plan(spec, '?inspect=true&timeout=10s');
      expect(res.statusCode, res.body).toBe(200);
      expect(Date.now() - asked).toBeLessThan(10_000 + 5_000);
      const { inspection } = res.json() as { inspection: Inspection };
      expect(inspection.checks.map((c) => [c.name, c.state])).toEqual([
        ['preflight', 'timed-out'],
        ['routing', 'ok'],
        ['permissions', 'ok'],
      ]);
      expect(inspection.findings).toContainEqual({ severity: 'blocking', source: 'preflight', message: 'preflight checks did not answer within 8 s' });
      expect(inspection.weights).toEqual([{ blue: 100, green: 0 }]);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('takes "inspect" beside the spec\'s fields, and checks it and the bound', async () => {
    const { spec, w } = await seededSpec();
    reach(w);
    const inBody = await plan({ ...spec, inspect: true }, '');
    expect(inBody.statusCode, inBody.body).toBe(200);
    expect(inBody.json().inspection.checks.map((c: { name: string }) => c.name)).toEqual(['preflight', 'routing', 'permissions']);
    expect((await plan(spec, '')).json().inspection).toBeUndefined();

    const wrong = await plan({ ...spec, inspect: 'yes' }, '');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors).toContainEqual(expect.objectContaining({ path: '/inspect' }));
    for (const timeout of ['soon', '1s', '1h']) {
      const res = await plan(spec, `?inspect=true&timeout=${timeout}`);
      expect(res.statusCode, timeout).toBe(400);
      expect(res.json().errors).toEqual([{ path: '/querystring/timeout', message: expect.stringContaining('must be a duration from 10s to 5m') }]);
    }
  });

  it('answers 503 when no worker polls the task queue, naming it', async () => {
    const { spec } = await seededSpec();
    const alone = await startApi();
    try {
      const res = await call(alone.app, { method: 'POST', url: '/v1/plans?inspect=true', token: 'dev-viewer', payload: spec as MigrationSpec });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().message).toMatch(/^no worker is polling task queue tq-nobody-\w+: the dry run \(inspect\) needs one/);
    } finally {
      await alone.close();
    }
  });
});
