// No secret in history or logs: a whole migration over REST — started with a static token,
// approved with a hashed one and with an OIDC JWT, against moto with AWS credentials from the
// environment and real kube-apiservers with their tokens, notifying a channel whose webhook URL
// only the worker knows, and reading a metric check from a Prometheus whose URL carries a
// password only the worker knows — and then its whole Temporal history, the API's log and the worker's
// log are searched for every one of those secrets.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { FastifyInstance } from 'fastify';
import type { AwsClients } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { parseTokens, sandboxApiConfig } from '../../api/config.js';
import { auth, captureWorkerLogs, eventually, seededSpec, stack, startHarness, type Harness } from '../helpers.js';
import { clusterAccess, uniqueNamespace } from '../integration/support.js';
import { startIssuer, type TestIssuer } from '../oidc-issuer.js';
import { PROMETHEUS_TIMEOUT_MS, PROMETHEUS_USER, startPrometheus, type TestPrometheus } from '../prometheus.js';

const secret = (prefix: string) => `${prefix}${randomBytes(18).toString('hex')}`;
const operatorToken = secret('op-');
const approverToken = secret('ap-');
const webhookPath = `/services/T0CUTOVER/B0CUTOVER/${secret('')}`;
const awsSecretKey = secret('aws-');
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };

/** Clients pointed at moto with no credentials of their own: the SDK's chain reads them from the environment, as a worker does. */
function clientsWithEnvCredentials(endpoint: string): AwsClients {
  return {
    eks: (region) => new EKSClient({ endpoint, region }),
    route53: () => new Route53Client({ endpoint, region: 'us-east-1' }),
    elbv2: (region) => new ElasticLoadBalancingV2Client({ endpoint, region }),
    cloudwatch: (region) => new CloudWatchClient({ endpoint, region }),
    ec2: (region) => new EC2Client({ endpoint, region }),
  };
}

/** All text in a history: strings as they are, and every payload's bytes decoded (payloads are JSON bytes, not strings). */
function textOf(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) textOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      textOf(v, out);
    }
  }
  return out;
}

/** Each secret as it is and as base64, the form a header or a kubeconfig would carry it in. */
const forms = (s: string) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')];

let harness: Harness;
let app: FastifyInstance;
let issuer: TestIssuer;
let hookServer: http.Server;
let green: http.Server;
let prom: TestPrometheus;
let prometheusUrl: string;
const apiLogs: string[] = [];
const notifications: { event: string; text: string }[] = [];

const listen = async (server: http.Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

let webhookUrl: string;
let greenUrl: string;
let spec: Awaited<ReturnType<typeof seededSpec>>['spec'];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  process.env.AWS_SECRET_ACCESS_KEY = awsSecretKey;
  issuer = await startIssuer();
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.url !== webhookPath) return void res.writeHead(404).end();
      notifications.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  webhookUrl = `${await listen(hookServer)}${webhookPath}`;
  green = http.createServer((req, res) => res.writeHead(req.headers.host === 'app.example.test' ? 200 : 421).end('ok'));
  greenUrl = `${await listen(green)}/`;

  prom = await startPrometheus({ basicAuth: true });
  prometheusUrl = `http://${PROMETHEUS_USER.name}:${PROMETHEUS_USER.password}@${new URL(prom.url).host}/`;

  const ns = await uniqueNamespace(['blue', 'green'], 'secrets');
  const seeded = await seededSpec({
    health: {
      smoke: [{ url: greenUrl, host: 'app.example.test', expectStatus: 200 }],
      metrics: [{ name: 'answers', prometheus: { server: 'shop-metrics', query: 'vector(1)' }, below: 0.5 }],
      interval: '1s',
    },
    notify: { channel: 'platform-oncall' },
  });
  spec = { ...seeded.spec, traffic: { ...seeded.spec.traffic, observe: '0s' } };
  harness = await startHarness(
    createActivities({
      aws: clientsWithEnvCredentials(stack().motoUrl),
      clusters: clusterAccess({ blue: spec.blue.cluster, green: spec.green.cluster }),
      clusterChecks: { inventory: { namespaces: [ns] } },
      notify: { channels: { 'platform-oncall': webhookUrl } },
      health: { smokeAllowedHosts: ['127.0.0.1'], prometheus: { servers: { 'shop-metrics': prometheusUrl } } },
    }),
  );
  const tokens = parseTokens('test tokens', {
    [operatorToken]: { subject: 'ops@corp.example', role: 'operator' },
    [`sha256:${createHash('sha256').update(approverToken).digest('hex')}`]: { subject: 'alice@corp.example', role: 'approver' },
  });
  app = await buildApp({
    config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test', {
      tokens,
      oidc: { issuer: issuer.issuer, audience: issuer.audience, subjectClaim: 'email', groupsClaim: 'groups', groupRoles: { 'change-board': 'approver', 'cutover-viewers': 'viewer' } },
    }),
    temporal: harness.client,
    taskQueue: harness.taskQueue,
    logger: {
      level: 'trace',
      stream: new Writable({
        write(chunk, _encoding, done) {
          apiLogs.push(String(chunk));
          done();
        },
      }),
    },
  });
}, PROMETHEUS_TIMEOUT_MS);
afterAll(async () => {
  await prom?.close();
  await app?.close();
  await harness?.close();
  await issuer?.close();
  hookServer?.close();
  green?.close();
  process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
  process.env.AWS_SECRET_ACCESS_KEY = savedEnv.key;
  if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (savedEnv.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

describe('a whole migration', () => {
  it('leaves no token, key or webhook URL in its history, nor in the API’s or the worker’s log', async () => {
    const workerLogs = captureWorkerLogs();
    const bob = await issuer.sign({ sub: 'id-bob', email: 'bob@corp.example', groups: ['change-board'] });
    const carol = await issuer.sign({ sub: 'id-carol', email: 'carol@corp.example', groups: ['change-board'] });
    const viewer = await issuer.sign({ sub: 'id-vic', email: 'vic@corp.example', groups: ['cutover-viewers'] });
    const expired = await issuer.sign({ sub: 'id-eve', email: 'eve@corp.example', groups: ['change-board'] }, { expiresAt: Math.floor(Date.now() / 1000) - 600 });
    const wrongToken = secret('wrong-');

    const started = await app.inject({ method: 'POST', url: '/v1/migrations', headers: auth(operatorToken), payload: spec });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const status = () => app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth(viewer) }).then((r) => r.json());
    const atCutover = await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
    // The worker read the metric check with the password in its URL (a refused one blocks validation).
    expect(atCutover.findings).toContainEqual({ severity: 'info', source: 'metrics', message: 'metric check answers reads 1' });
    // Refused callers: their tokens must stay out of the log too.
    expect((await app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth(wrongToken) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/migrations/${id}`, headers: auth(expired) })).statusCode).toBe(401);

    const cutover = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth(approverToken), payload: { gate: 'cutover', decision: 'approve' } });
    expect(cutover.statusCode, cutover.body).toBe(200);
    await eventually(status, (s) => s.pendingGate?.gate === 'decommission');
    const decommission = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth(bob), payload: { gate: 'decommission', decision: 'approve' } });
    expect(decommission.statusCode, decommission.body).toBe(200);
    const second = await app.inject({ method: 'POST', url: `/v1/migrations/${id}/approvals`, headers: auth(carol), payload: { gate: 'decommission', decision: 'approve' } });
    expect(second.statusCode, second.body).toBe(200);
    const done = await eventually(status, (s) => s.phase === 'completed' && s.workflowStatus === 'COMPLETED');
    expect(done.weights).toEqual({ blue: 0, green: 100 });
    // The worker did notify the channel: the URL was used, only never shown.
    expect(notifications.map((n) => n.event)).toEqual(expect.arrayContaining(['gate-pending', 'completed']));

    const history = textOf(await harness.client.workflow.getHandle(id).fetchHistory()).join('\n');
    // The search finds what is there: people and the channel by name.
    for (const name of ['ops@corp.example', 'alice@corp.example', 'bob@corp.example', 'platform-oncall', 'shop-metrics', spec.blue.cluster]) expect(history).toContain(name);
    expect(apiLogs.join('')).toContain(`/v1/migrations/${id}/approvals`);
    expect(workerLogs.length).toBeGreaterThan(0);

    const kubeTokens = [...new Set(Object.values(stack().kube).map((k) => k.token))];
    const secrets: Record<string, string> = {
      'the operator token': operatorToken,
      'the hashed approver token': approverToken,
      "an OIDC approver's JWT": bob,
      "an OIDC viewer's JWT": viewer,
      'an expired JWT': expired,
      'a wrong token': wrongToken,
      'the AWS secret key': awsSecretKey,
      ...Object.fromEntries(kubeTokens.map((t, i) => [`kube token ${i + 1}`, t])),
      'the webhook URL': webhookUrl,
      "the webhook URL's secret path": webhookPath,
      "the Prometheus server's password": PROMETHEUS_USER.password,
      "the Prometheus server's URL": prometheusUrl,
    };
    const places = { history, 'API log': apiLogs.join(''), 'worker log': workerLogs.join('\n') };
    const found = Object.entries(secrets).flatMap(([what, value]) =>
      Object.entries(places).flatMap(([where, text]) => (forms(value).some((f) => text.includes(f)) ? [`${what} in the ${where}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
