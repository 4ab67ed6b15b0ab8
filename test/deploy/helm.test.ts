// The Helm chart (deploy/helm/cutover) rendered by the real helm, then sent to the test stack's
// management kube-apiserver as a server-side dry run with strict field validation, so
// Kubernetes' own API schema checks every object (the ServiceMonitor, a Prometheus Operator
// CRD the test cluster does not have, is checked as rendered only).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadApiConfig, parseTokens } from '../../api/config.js';
import { workerProcessSettings } from '../../worker/process-settings.js';
import type { KubeEndpoint } from '../../scripts/stack/peers.js';
import { stack, uniqueName } from '../helpers.js';
import tokensExample from '../../deploy/tokens.example.json' with { type: 'json' };
import { deployTools, TOOLS_TIMEOUT_MS } from './support.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'deploy/helm/cutover');

// The parts of the rendered objects this test reads.
interface Container {
  name: string;
  command: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName: string;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
  securityContext: { runAsNonRoot: boolean };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports?: { name: string; port: number }[];
    endpoints?: { port: string; path: string }[];
  };
  stringData?: Record<string, string>;
}

let helm: string;
let namespace: string;
let management: KubeEndpoint;
const helmEnv = () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cutover-helm-'));
  return { PATH: process.env.PATH!, HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
};

async function helmRun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(helm, args, { env: helmEnv(), maxBuffer: 10_000_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

/** What an operator would pass for a Temporal Cloud namespace with IRSA and inline tokens. */
const VALUES = [
  '--set', 'image.repository=registry.example.com/cutover',
  '--set', 'image.tag=0.1.0',
  '--set', 'temporal.address=eu-west-1.aws.api.temporal.io:7233',
  '--set', 'temporal.namespace=cutover.a1b2c',
  '--set', 'temporal.apiKey.existingSecret=temporal-cloud',
  '--set', 'serviceAccount.roleArn=arn:aws:iam::123456789012:role/cutover',
  '--set', 'worker.shutdownGraceSeconds=45',
  '--set-json', `api.tokens.inline=${JSON.stringify(tokensExample)}`,
];

async function render(...extra: string[]): Promise<K8sObject[]> {
  const { code, stdout, stderr } = await helmRun('template', 'cutover', CHART, '--namespace', namespace, ...VALUES, ...extra);
  if (code !== 0) throw new Error(`helm template failed: ${stderr}`);
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const find = (objects: K8sObject[], kind: string, suffix = '') => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (!found) throw new Error(`no ${kind} *${suffix} rendered`);
  return found;
};
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** REST paths of the kinds the chart renders; a new kind needs its line here. */
const COLLECTIONS: Record<string, string> = {
  'v1/ServiceAccount': 'api/v1/namespaces/{ns}/serviceaccounts',
  'v1/Secret': 'api/v1/namespaces/{ns}/secrets',
  'v1/Service': 'api/v1/namespaces/{ns}/services',
  'apps/v1/Deployment': 'apis/apps/v1/namespaces/{ns}/deployments',
  'policy/v1/PodDisruptionBudget': 'apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
  'batch/v1/Job': 'apis/batch/v1/namespaces/{ns}/jobs',
};

function kube(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: { message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${management.server}/${urlPath}`,
      { method, ca: readFileSync(management.caFile), headers: { authorization: `Bearer ${management.token}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Kubernetes' verdict on creating `object`, without creating it; unknown fields are errors. */
function dryRunCreate(object: K8sObject) {
  const collection = COLLECTIONS[`${object.apiVersion}/${object.kind}`];
  if (!collection) throw new Error(`no REST path for ${object.apiVersion} ${object.kind}: add it to COLLECTIONS`);
  return kube('POST', `${collection.replace('{ns}', namespace)}?dryRun=All&fieldValidation=Strict`, object);
}

beforeAll(async () => {
  helm = deployTools().helm;
  management = stack().kube.management;
  namespace = uniqueName('helm');
  const created = await kube('POST', 'api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  expect(created.status, created.body.message).toBe(201);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  if (namespace && management) await kube('DELETE', `api/v1/namespaces/${namespace}`);
});

describe('the Helm chart', () => {
  it('passes helm lint --strict', async () => {
    const lint = await helmRun('lint', CHART, '--strict', '--set', 'api.tokens.existingSecret=cutover-tokens');
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
  });

  it('refuses to render without API tokens, saying which values give them', async () => {
    const { code, stderr } = await helmRun('template', 'cutover', CHART);
    expect(code).not.toBe(0);
    expect(stderr).toContain('the API needs tokens: set api.tokens.existingSecret');
    expect(stderr).toContain('or api.oidc.issuer for OIDC sign-in');
  });

  it('renders workers with a PDB and a termination grace longer than their shutdown grace', async () => {
    const objects = await render();
    const worker = find(objects, 'Deployment', '-worker');
    const pod = worker.spec!.template!.spec;
    const container = pod.containers[0];
    expect(worker.spec!.replicas).toBe(2);
    expect(container.command).toEqual(['node', '--enable-source-maps', 'dist/worker/main.js']);
    expect(envOf(container).CUTOVER_WORKER_SHUTDOWN_GRACE_SECONDS).toBe('45');
    expect(pod.terminationGracePeriodSeconds).toBe(45 + 15);
    const healthPort = container.ports!.find((p) => p.name === 'health')!.containerPort;
    expect(envOf(container).CUTOVER_WORKER_HEALTH_PORT).toBe(String(healthPort));
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.startupProbe!.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const pdb = find(objects, 'PodDisruptionBudget', '-worker');
    expect(matches(pdb.spec!.selector!.matchLabels, worker.spec!.template!.metadata.labels)).toBe(true);
    expect(matches(pdb.spec!.selector!.matchLabels, find(objects, 'Deployment', '-api').spec!.template!.metadata.labels)).toBe(false);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('gives every pod the IRSA service account and the Temporal Cloud settings', async () => {
    const objects = await render();
    const account = find(objects, 'ServiceAccount');
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/cutover' });
    const pods = [find(objects, 'Deployment', '-worker'), find(objects, 'Deployment', '-api'), find(objects, 'Job', '-setup')].map((o) => o.spec!.template!.spec);
    for (const pod of pods) {
      expect(pod.serviceAccountName).toBe(account.metadata.name);
      expect(envOf(pod.containers[0])).toMatchObject({
        TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
        TEMPORAL_NAMESPACE: 'cutover.a1b2c',
        TEMPORAL_API_KEY: { secretKeyRef: { name: 'temporal-cloud', key: 'api-key' } },
        TEMPORAL_TLS: 'true',
        CUTOVER_MODE: 'aws',
      });
    }
  });

  it('serves the API from its tokens Secret behind a Service, and runs setup as a hook', async () => {
    const objects = await render();
    const api = find(objects, 'Deployment', '-api');
    const pod = api.spec!.template!.spec;
    const env = envOf(pod.containers[0]);
    const secret = find(objects, 'Secret', '-tokens');
    expect(pod.volumes).toContainEqual({ name: 'tokens', secret: expect.objectContaining({ secretName: secret.metadata.name }) });
    const mount = pod.containers[0].volumeMounts!.find((m) => m.name === 'tokens')!;
    expect(env.CUTOVER_TOKENS_FILE).toBe(`${mount.mountPath}/tokens.json`);
    expect(parseTokens('rendered Secret', JSON.parse(Object.values(secret.stringData!)[0])).size).toBe(Object.keys(tokensExample).length);
    expect(pod.containers[0].readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const service = find(objects, 'Service', '-api');
    expect(matches(service.spec!.selector as Record<string, string>, api.spec!.template!.metadata.labels)).toBe(true);
    const setup = find(objects, 'Job', '-setup');
    expect(setup.metadata.annotations!['helm.sh/hook']).toBe('post-install,pre-upgrade');
    expect(setup.spec!.template!.spec.containers[0].command).toEqual(['node', 'dist/cli/main.js', 'setup', '--wait', '120']);
  });

  it("is accepted by Kubernetes' API schema, object by object (server-side dry run, strict fields)", async () => {
    const objects = await render();
    expect(new Set(objects.map((o) => o.kind))).toEqual(new Set(['ServiceAccount', 'Secret', 'Service', 'Deployment', 'PodDisruptionBudget', 'Job']));
    for (const object of objects) {
      const verdict = await dryRunCreate(object);
      expect(verdict.status, `${object.kind} ${object.metadata.name}: ${verdict.body.message}`).toBe(201);
    }
  });

  it('signs people in with OIDC alone, and gives workers notification channels from a Secret and a smoke-host allow-list', async () => {
    const objects = await render(
      '--set-json', 'api.tokens.inline={}',
      '--set', 'api.oidc.issuer=https://sso.example.com/realms/platform',
      '--set', 'api.oidc.audience=cutover',
      '--set', 'api.oidc.subjectClaim=email',
      '--set-json', 'api.oidc.groupRoles={"sre":"operator","change-board":"approver"}',
      '--set', 'worker.notifyChannels.existingSecret=cutover-notify',
      '--set-json', 'worker.smokeAllowedHosts=["*.elb.amazonaws.com","green-lb.example.com"]',
    );
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const api = find(objects, 'Deployment', '-api').spec!.template!.spec;
    const apiEnv = envOf(api.containers[0]);
    expect(apiEnv).not.toHaveProperty('CUTOVER_TOKENS_FILE');
    expect(api.volumes!.map((v) => v.name)).not.toContain('tokens');
    const plain = Object.fromEntries(Object.entries(apiEnv).filter((e): e is [string, string] => typeof e[1] === 'string'));
    expect(loadApiConfig(plain)).toMatchObject({
      tokens: new Map(),
      oidc: { issuer: 'https://sso.example.com/realms/platform', audience: 'cutover', subjectClaim: 'email', groupsClaim: 'groups', groupRoles: { sre: 'operator', 'change-board': 'approver' } },
    });

    const worker = find(objects, 'Deployment', '-worker').spec!.template!.spec;
    const workerEnv = envOf(worker.containers[0]);
    const mount = worker.containers[0].volumeMounts!.find((m) => m.name === 'notify-channels')!;
    expect(workerEnv.CUTOVER_NOTIFY_CHANNELS_FILE).toBe(`${mount.mountPath}/channels.json`);
    expect(worker.volumes).toContainEqual({ name: 'notify-channels', secret: expect.objectContaining({ secretName: 'cutover-notify' }) });
    expect(workerProcessSettings({ CUTOVER_SMOKE_ALLOWED_HOSTS: workerEnv.CUTOVER_SMOKE_ALLOWED_HOSTS as string }).health.smokeAllowedHosts).toEqual([
      '*.elb.amazonaws.com',
      'green-lb.example.com',
    ]);
    for (const object of objects) {
      const verdict = await dryRunCreate(object);
      expect(verdict.status, `${object.kind} ${object.metadata.name}: ${verdict.body.message}`).toBe(201);
    }
  });

  it('and a misspelled field would be refused by that same check', async () => {
    const worker = find(await render(), 'Deployment', '-worker');
    const probe = worker.spec!.template!.spec.containers[0].livenessProbe as unknown as Record<string, unknown>;
    probe.httpGett = probe.httpGet;
    const verdict = await dryRunCreate(worker);
    expect(verdict.status).toBe(400);
    expect(verdict.body.message).toMatch(/unknown field.*httpGett/);
  });

  it('adds a ServiceMonitor on request, scraping ports the Services name', async () => {
    const objects = await render('--set', 'metrics.serviceMonitor.enabled=true');
    const monitor = find(objects, 'ServiceMonitor');
    const servicePorts = objects.filter((o) => o.kind === 'Service').flatMap((s) => s.spec!.ports!.map((p) => p.name));
    for (const endpoint of monitor.spec!.endpoints!) expect(servicePorts).toContain(endpoint.port);
    for (const s of objects.filter((o) => o.kind === 'Service')) expect(matches(monitor.spec!.selector!.matchLabels, s.metadata.labels!)).toBe(true);
  });

  it('has each worker serve metrics on its metrics port and log at worker.logLevel, as its settings read them', async () => {
    const worker = find(await render('--set', 'worker.logLevel=debug'), 'Deployment', '-worker').spec!.template!.spec.containers[0];
    const env = Object.fromEntries(Object.entries(envOf(worker)).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const settings = workerProcessSettings(env);
    expect(settings.metricsPort).toBe(worker.ports!.find((p) => p.name === 'metrics')!.containerPort);
    expect(settings.logLevel).toBe('debug');
    expect(settings.deployment).toBeUndefined();
  });

  it('turns worker versioning on with one build ID per release (the image tag unless given)', async () => {
    const settingsOf = async (...extra: string[]) => {
      const worker = find(await render('--set', 'worker.versioning.enabled=true', ...extra), 'Deployment', '-worker').spec!.template!.spec.containers[0];
      return workerProcessSettings(Object.fromEntries(Object.entries(envOf(worker)).filter((e): e is [string, string] => typeof e[1] === 'string')));
    };
    expect((await settingsOf()).deployment).toEqual({ name: 'cutover', buildId: '0.1.0' });
    expect((await settingsOf('--set', 'worker.versioning.deploymentName=cutover-prod', '--set', 'worker.versioning.buildId=0.1.0-rc.2')).deployment).toEqual({
      name: 'cutover-prod',
      buildId: '0.1.0-rc.2',
    });
  });
});
