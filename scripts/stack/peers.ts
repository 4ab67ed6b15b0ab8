// The real peers (docs/architecture.md, "Tests and their peers"), started on loopback: the
// Temporal dev server, moto, and kube-apiservers (blue, green, management) sharing one etcd
// under separate prefixes.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages.js';
import { type ProcessGroup, waitUntil } from './processes.js';
import { connectClient } from '../../config/connections.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Tools {
  temporal: string;
  testServer: string;
  moto: string;
  etcd: string;
  kubeApiserver: string;
  toxiproxy: string;
  venv: string;
}

/**
 * Puts scripts/tools.sh's exports into this process's environment unless `variable` is set
 * already, installing what is missing first (the script is idempotent).
 */
export function loadToolExports(variable: string, args: string[] = []): NodeJS.ProcessEnv {
  const env = process.env;
  if (!env[variable]) {
    const exports = execFileSync('bash', [path.join(ROOT, 'scripts/tools.sh'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    for (const m of exports.matchAll(/^export (\w+)='([^']*)'$/gm)) env[m[1]] = m[2];
  }
  return env;
}

/** Locates the tools, installing them first if needed. */
export function resolveTools(): Tools {
  const env = loadToolExports('CUTOVER_TEMPORAL_BIN');
  return {
    temporal: env.CUTOVER_TEMPORAL_BIN!,
    testServer: env.CUTOVER_TEST_SERVER_BIN!,
    moto: env.CUTOVER_MOTO_BIN!,
    etcd: env.CUTOVER_ETCD_BIN!,
    kubeApiserver: env.CUTOVER_KUBE_APISERVER_BIN!,
    toxiproxy: env.CUTOVER_TOXIPROXY_BIN!,
    venv: env.CUTOVER_VENV!,
  };
}

export interface TemporalPeer {
  address: string;
  uiUrl?: string;
  /** The dev server's process ID (benchmarks account its CPU). */
  pid: number;
}

/**
 * What every Temporal server the project starts runs with. Eager activities: the worker that
 * schedules an activity runs it at once, without a round trip through matching; this is what
 * keeps a rollback well under a second.
 */
export const DYNAMIC_CONFIG: Record<string, unknown> = { 'system.enableActivityEagerExecution': true };

export async function startTemporal(
  group: ProcessGroup,
  tools: Tools,
  opts: { port: number; uiPort?: number; httpPort: number; metricsPort: number; dbFile?: string; searchAttributes?: boolean },
): Promise<TemporalPeer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--http-port', String(opts.httpPort), '--metrics-port', String(opts.metricsPort), '--namespace', 'default', '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  // Off for the setup tests: a namespace as any other Temporal hands it over, without Cutover's attributes.
  if (opts.searchAttributes !== false) for (const key of Object.values(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const proc = group.start('temporal', tools.temporal, args);
  const address = `127.0.0.1:${opts.port}`;
  await waitUntil(
    `Temporal dev server on ${address}`,
    async () => {
      // Not before the port accepts connections: a failed connect leaves the gRPC client's
      // retry on a timer, which throws once the closed connection is retried (a restart drill).
      if (!(await accepts(opts.port))) return false;
      const connection = await connectClient({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    },
    { process: proc, timeoutMs: 90_000 },
  );
  return { address, uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined, pid: proc.child.pid! };
}

/** Whether something accepts TCP connections on the loopback port (a connect, never a bind: the server may be about to bind it). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startMoto(group: ProcessGroup, tools: Tools, opts: { port: number }): Promise<string> {
  const proc = group.start('moto', tools.moto, ['-H', '127.0.0.1', '-p', String(opts.port)]);
  const url = `http://127.0.0.1:${opts.port}`;
  await waitUntil(`moto on ${url}`, async () => (await fetch(`${url}/moto-api/`)).ok, { process: proc });
  return url;
}

export async function resetMoto(url: string): Promise<void> {
  await fetch(`${url}/moto-api/reset`, { method: 'POST' });
}

export const KUBE_CLUSTERS = ['blue', 'green', 'management'] as const;
export type KubeRole = (typeof KUBE_CLUSTERS)[number];

/** How an activity reaches one cluster's API server (the clusterAccess seam's local form). */
export interface KubeEndpoint {
  server: string;
  caFile: string;
  /** Admin token of the local test users; never leaves this machine's sandbox. */
  token: string;
}

/**
 * Starts one etcd and a kube-apiserver per name, the way envtest does: token auth, RBAC,
 * self-signed serving certs in `dir`. Returns the endpoint of each.
 */
export async function startKube(
  group: ProcessGroup,
  tools: Tools,
  opts: { dir: string; etcdPort: number; etcdPeerPort: number; ports: Record<string, number> },
): Promise<Record<string, KubeEndpoint>> {
  mkdirSync(opts.dir, { recursive: true });
  const tokenFile = path.join(opts.dir, 'tokens.csv');
  if (!existsSync(tokenFile)) {
    const admin = randomBytes(24).toString('hex');
    writeFileSync(tokenFile, `${admin},cutover-admin,cutover-admin,"system:masters"\n`, { mode: 0o600 });
  }
  const token = readFileSync(tokenFile, 'utf8').split(',')[0];
  const keyFile = path.join(opts.dir, 'sa.key');
  const pubFile = path.join(opts.dir, 'sa.pub');
  if (!existsSync(keyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  }

  const etcdUrl = `http://127.0.0.1:${opts.etcdPort}`;
  const etcd = group.start('etcd', tools.etcd, [
    '--data-dir', path.join(opts.dir, 'etcd'),
    '--listen-client-urls', etcdUrl,
    '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${opts.etcdPeerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${opts.etcdPeerPort}`,
    '--initial-cluster', `default=http://127.0.0.1:${opts.etcdPeerPort}`,
    '--unsafe-no-fsync',
  ]);
  await waitUntil('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, { process: etcd });

  const endpoints: Record<string, KubeEndpoint> = {};
  await Promise.all(
    Object.entries(opts.ports).map(async ([name, port], i) => {
      const certDir = path.join(opts.dir, `certs-${name}`);
      const proc = group.start(`kube-apiserver-${name}`, tools.kubeApiserver, [
        '--etcd-servers', etcdUrl,
        '--etcd-prefix', `/${name}`,
        '--cert-dir', certDir,
        '--bind-address', '127.0.0.1',
        '--advertise-address', '127.0.0.1',
        '--secure-port', String(port),
        '--token-auth-file', tokenFile,
        '--authorization-mode', 'RBAC',
        '--service-account-issuer', `https://${name}.cutover.local`,
        '--service-account-key-file', pubFile,
        '--service-account-signing-key-file', keyFile,
        '--service-cluster-ip-range', `10.${i}.0.0/24`,
        '--allow-privileged=true',
        '--disable-admission-plugins', 'ServiceAccount',
        '--enable-priority-and-fairness=false',
      ]);
      const server = `https://127.0.0.1:${port}`;
      const caFile = path.join(certDir, 'apiserver.crt');
      await waitUntil(
        `kube-apiserver ${name} on ${server}`,
        async () => {
          if (!existsSync(caFile)) return false;
          return (await httpsGet(`${server}/readyz`, readFileSync(caFile), token)) === 'ok';
        },
        { process: proc, timeoutMs: 120_000 },
      );
      endpoints[name] = { server, caFile, token };
    }),
  );
  return endpoints;
}

function httpsGet(url: string, ca: Buffer, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : `status ${res.statusCode}`));
      })
      .on('error', reject);
  });
}
