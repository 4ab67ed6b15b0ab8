// `npm start`: the whole Cutover sandbox on loopback (README, "What `npm start` gives you").
// Temporal keeps its state in .data/, so a migration started before a restart is still there
// after it. Ctrl-C stops every process started here.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_TOKENS } from '../api/config.js';
import { resolveTools, startKube, startMoto, startTemporal } from './stack/peers.js';
import { portInUse, ProcessGroup, waitUntil } from './stack/processes.js';
import { seedArgo, seedKube, startArgoStandIn } from './stack/kube-seed.js';
import { seedMoto } from './stack/seed.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, '.data');

const PORTS = {
  CUTOVER_TEMPORAL_PORT: 7233,
  CUTOVER_TEMPORAL_UI_PORT: 8233,
  CUTOVER_TEMPORAL_HTTP_PORT: 7243,
  CUTOVER_TEMPORAL_METRICS_PORT: 7244,
  CUTOVER_MOTO_PORT: 5000,
  CUTOVER_API_PORT: 8080,
  CUTOVER_ETCD_PORT: 2379,
  CUTOVER_ETCD_PEER_PORT: 2380,
  CUTOVER_KUBE_BLUE_PORT: 6443,
  CUTOVER_KUBE_GREEN_PORT: 6444,
  CUTOVER_KUBE_MANAGEMENT_PORT: 6445,
};
type PortName = keyof typeof PORTS;
const port = (name: PortName) => Number(process.env[name] ?? PORTS[name]);

async function checkPorts(): Promise<void> {
  const busy: string[] = [];
  for (const name of Object.keys(PORTS) as PortName[]) {
    if (await portInUse(port(name))) busy.push(`port ${port(name)} is already in use; set ${name} to another port`);
  }
  if (busy.length) {
    console.error(`cutover sandbox cannot start:\n  ${busy.join('\n  ')}\n(Another sandbox running? Stop it first.)`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  await checkPorts();
  console.log('cutover sandbox: preparing tools (first run builds them; later runs take seconds)…');
  const tools = resolveTools();
  mkdirSync(DATA, { recursive: true });
  const group = new ProcessGroup(path.join(DATA, 'logs'));
  let stopping = false;
  let argo: { stop(): void } | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\ncutover sandbox: stopping…');
    argo?.stop();
    await group.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('exit', () => group.killAll());

  try {
    const started = Date.now();
    const [temporal, motoUrl, kube] = await Promise.all([
      startTemporal(group, tools, {
        port: port('CUTOVER_TEMPORAL_PORT'),
        uiPort: port('CUTOVER_TEMPORAL_UI_PORT'),
        httpPort: port('CUTOVER_TEMPORAL_HTTP_PORT'),
        metricsPort: port('CUTOVER_TEMPORAL_METRICS_PORT'),
        dbFile: path.join(DATA, 'temporal.db'),
      }),
      startMoto(group, tools, { port: port('CUTOVER_MOTO_PORT') }),
      startKube(group, tools, {
        dir: path.join(DATA, 'kube'),
        etcdPort: port('CUTOVER_ETCD_PORT'),
        etcdPeerPort: port('CUTOVER_ETCD_PEER_PORT'),
        ports: { blue: port('CUTOVER_KUBE_BLUE_PORT'), green: port('CUTOVER_KUBE_GREEN_PORT'), management: port('CUTOVER_KUBE_MANAGEMENT_PORT') },
      }),
    ]);
    const world = await seedMoto(motoUrl);
    await seedKube(kube);
    await seedArgo(kube);
    argo = startArgoStandIn(kube.management);
    // The worker's clusterAccess seam reads this map: cluster name → local API server.
    const clustersFile = path.join(DATA, 'clusters.json');
    writeFileSync(
      clustersFile,
      JSON.stringify({ 'sandbox-blue': kube.blue, 'sandbox-green': kube.green, management: kube.management }, null, 2),
      { mode: 0o600 },
    );

    const apiUrl = `http://127.0.0.1:${port('CUTOVER_API_PORT')}`;
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      CUTOVER_MODE: 'sandbox',
      CUTOVER_AWS_ENDPOINT: motoUrl,
      CUTOVER_KUBE_CLUSTERS: clustersFile,
      CUTOVER_API_PORT: String(port('CUTOVER_API_PORT')),
      CUTOVER_TEMPORAL_UI_URL: temporal.uiUrl,
    };
    const node = (file: string): [string, string[]] => [process.execPath, ['--import', 'tsx', path.join(ROOT, file)]];
    const worker = group.start('worker', ...node('worker/main.ts'), env);
    const api = group.start('api', ...node('api/main.ts'), env);
    await waitUntil('worker', async () => (await import('node:fs')).readFileSync(worker.logFile, 'utf8').includes('polling'), { process: worker, timeoutMs: 120_000 });
    await waitUntil('API', async () => (await fetch(`${apiUrl}/readyz`)).ok, { process: api, timeoutMs: 60_000 });

    const tokens = Object.entries(SANDBOX_TOKENS)
      .map(([token, p]) => `    ${token.padEnd(16)} ${(p.role ?? '-').padEnd(9)} ${p.subject.padEnd(15)} groups ${p.groups.join(', ')}`)
      .join('\n');
    console.log(`
cutover sandbox is up (${((Date.now() - started) / 1000).toFixed(1)} s)

  API              ${apiUrl}   (docs ${apiUrl}/docs)
  Temporal Web UI  ${temporal.uiUrl}
  Temporal gRPC    ${temporal.address}
  moto (AWS)       ${motoUrl}   hosted zone ${world.hostedZoneId} (sandbox.example.)
  kube-apiservers  blue ${kube.blue.server}  green ${kube.green.server}  management ${kube.management.server}
  logs             ${path.join(DATA, 'logs')}

  tokens (Authorization: Bearer <token>):
${tokens}

  example spec     examples/sandbox.json  (with Argo CD: examples/sandbox-gitops.json)
  try it           curl -s -X POST ${apiUrl}/v1/migrations -H 'Authorization: Bearer dev-operator' \\
                     -H 'content-type: application/json' --data @examples/sandbox.json

Ctrl-C stops everything.`);
  } catch (err) {
    console.error(`cutover sandbox failed to start: ${(err as Error).message}`);
    await stop(1);
  }
}

await main();
