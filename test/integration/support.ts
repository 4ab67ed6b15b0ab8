// Plumbing for the activity integration tests: activities wired to this run's moto and
// kube-apiservers, an activity context for those that heartbeat, unique kube namespaces,
// and a small HTTP proxy between the AWS SDK and moto that records calls (with their bodies) and injects faults.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities/index.js';
import { createAwsClients } from '../../activities/aws.js';
import { localClusterAccess, type ClusterAccess } from '../../activities/kubernetes.js';
import { CRDS, installCrd as installCrdFile, kubeConfigFor } from '../../scripts/stack/kube-seed.js';
import { seedWorld, stack, uniqueName, type TestWorld } from '../helpers.js';
import type { TrafficInput } from '../../activities/contract.js';
import { checkSpec } from '../../workflows/spec-checks.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';

export type TrafficSpec = TrafficInput['traffic'];

/** The traffic settings the workflow would hand the activities for `spec`: checked (its traffic), then resolved. */
export function specTraffic(spec: MigrationSpec): TrafficSpec {
  const issues = checkSpec(spec).filter((i) => i.path.startsWith('/traffic'));
  if (issues.length) throw new Error(`unsound test spec: ${JSON.stringify(issues)}`);
  return resolveSpec(spec).traffic;
}

/** Cluster names of a test world → this run's kube-apiservers (blue, green, management). */
export function clusterAccess(names: { blue: string; green: string; management?: string }): ClusterAccess {
  const kube = stack().kube;
  return localClusterAccess({ [names.blue]: kube.blue, [names.green]: kube.green, [names.management ?? 'management']: kube.management });
}

export function activitiesWith(opts: { endpoint?: string; clusters?: ClusterAccess; namespaces?: string[] } = {}): Activities {
  return createActivities({
    aws: createAwsClients({ endpoint: opts.endpoint ?? stack().motoUrl }),
    clusters: opts.clusters,
    clusterChecks: opts.namespaces ? { inventory: { namespaces: opts.namespaces } } : undefined,
  });
}

/** Starts an activity in an activity context, as the worker would; heartbeats are recorded as they come, and `cancel` cancels it as Temporal would. */
export function startActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): { result: Promise<R>; heartbeats: unknown[]; cancel(): void } {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 120_000, heartbeatTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  return { result: env.run(fn, ...args) as Promise<R>, heartbeats, cancel: () => env.cancel() };
}

export async function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<{ result: R; heartbeats: unknown[] }> {
  const started = startActivity(fn, ...args);
  return { result: await started.result, heartbeats: started.heartbeats };
}

export function kubeApi(role: 'blue' | 'green' | 'management'): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(kubeConfigFor(role, stack().kube[role]));
}

/** A namespace of the test's own, created in the given clusters. */
export async function uniqueNamespace(roles: ('blue' | 'green' | 'management')[], prefix = 'it'): Promise<string> {
  const ns = uniqueName(prefix);
  for (const role of roles) await kubeApi(role).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  return ns;
}

export async function createAll(role: 'blue' | 'green' | 'management', objects: KubernetesObject[]): Promise<void> {
  const api = kubeApi(role);
  for (const obj of objects) {
    try {
      await api.create(obj);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

export interface ProxiedCall {
  method: string;
  path: string;
  /** Query-protocol action (ELBv2: `Action=` in the body), or the REST path for Route 53/EKS. */
  action: string;
  /** The access key ID the call was signed with (from its SigV4 Authorization header). */
  accessKeyId?: string;
  /** The service the call was signed for (eks, elasticloadbalancing, route53, sts). */
  service?: string;
  /** The request body as sent (JSON for EKS, a query string for ELBv2, XML for Route 53). */
  body: string;
}

/** A Route 53 ChangeResourceRecordSets call, as the fault proxy records it. */
export const isChangeBatch = (c: { method: string; path: string }) => c.method === 'POST' && /\/rrset\/?$/.test(c.path);

export interface Fault {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Route 53's answer when an account exceeds its request rate. */
export const ROUTE53_THROTTLING: Fault = {
  status: 400,
  headers: { 'content-type': 'text/xml' },
  body: '<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>',
};
export const SERVICE_UNAVAILABLE: Fault = { status: 503, headers: { 'content-type': 'application/json' }, body: '{"message":"Service Unavailable"}' };

export interface FaultProxy {
  url: string;
  calls: ProxiedCall[];
  /** The next `times` calls matching `match` get `fault` instead of reaching moto. */
  inject(match: (call: ProxiedCall) => boolean, fault: Fault, times: number): void;
  /** Drops every injected fault not yet used up: calls reach moto again. */
  clear(): void;
  close(): Promise<void>;
}

/** An HTTP proxy in front of moto: records every call, answers injected faults, forwards the rest. */
export async function startFaultProxy(target = stack().motoUrl): Promise<FaultProxy> {
  const calls: ProxiedCall[] = [];
  const faults: { match: (c: ProxiedCall) => boolean; fault: Fault; left: number }[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? `${req.method} ${req.url?.split('?')[0]}`;
      // Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …
      const credential = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
      const call = { method: req.method ?? 'GET', path: req.url ?? '/', action, accessKeyId: credential?.[1], service: credential?.[2], body: body.toString('utf8') };
      calls.push(call);
      const rule = faults.find((f) => f.left > 0 && f.match(call));
      if (rule) {
        rule.left--;
        res.writeHead(rule.fault.status, rule.fault.headers).end(rule.fault.body);
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (err) => res.writeHead(502).end(String(err)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    inject: (match, fault, times) => faults.push({ match, fault, left: times }),
    clear: () => void faults.splice(0),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export type { Activities };

/** Awaits a rejection and returns it as the typed failure the workflow would see. */
export async function failureOf(promise: Promise<unknown>): Promise<{ type?: string; message: string; nonRetryable?: boolean }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { type?: string; message: string; nonRetryable?: boolean };
    return { type: e.type, message: e.message, nonRetryable: e.nonRetryable };
  }
  throw new Error('expected a failure, got success');
}

export { seedWorld };

export function route53Traffic(w: TestWorld, route53: Partial<NonNullable<TrafficSpec['route53']>> = {}): TrafficSpec {
  return {
    driver: 'route53',
    steps: [20, 50, 80, 100],
    stepApproval: 'auto',
    observe: '0s',
    route53: { hostedZoneId: w.hostedZoneId, records: [{ name: w.world.recordName, type: 'CNAME', blueSetIdentifier: 'blue', greenSetIdentifier: 'green' }], aliasTtl: '60s', ...route53 },
  };
}

export function albTraffic(w: TestWorld): TrafficSpec {
  return {
    driver: 'alb',
    steps: [20, 50, 80, 100],
    stepApproval: 'auto',
    observe: '0s',
    alb: { listenerArn: w.listenerArn, blueTargetGroupArn: w.blueTargetGroupArn, greenTargetGroupArn: w.greenTargetGroupArn },
  };
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Installs a CRD (test-only ones from test/fixtures, Argo CD's and Flux's from scripts/stack/crds) and waits until it is served. */
export async function installCrd(role: 'blue' | 'green' | 'management', file: string): Promise<void> {
  const local = path.join(FIXTURES, file);
  await installCrdFile(kubeConfigFor(role, stack().kube[role]), existsSync(local) ? local : path.join(CRDS, file));
}
