// A standalone Temporal server on PostgreSQL with as many history shards as asked, for the scale
// benchmark: the dev server keeps every workflow in one history shard on SQLite, and at 10,000
// parked migrations that shard's lock is the bound (docs/architecture.md, "What bounds the
// scale figure"). The same server the dev server embeds, built by `scripts/tools.sh
// --temporal-server`; PostgreSQL from Debian's packages, in a data folder of its own.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { createSearchAttributes } from '../../worker/search-attributes.js';
import { initialSearchAttributes } from '../../workflows/messages.js';
import { DYNAMIC_CONFIG, loadToolExports, type TemporalPeer } from './peers.js';
import { freePort, portInUse, type ProcessGroup, waitUntil } from './processes.js';

export interface ServerTools {
  server: string;
  sqlTool: string;
  schemaDir: string;
  postgresBinDir: string;
}

/** Locates the server, its schema tool and PostgreSQL, building or installing them first if needed. */
export function resolveServerTools(): ServerTools {
  const env = loadToolExports('CUTOVER_TEMPORAL_SERVER_BIN', ['--temporal-server']);
  return {
    server: env.CUTOVER_TEMPORAL_SERVER_BIN!,
    sqlTool: env.CUTOVER_TEMPORAL_SQL_TOOL_BIN!,
    schemaDir: env.CUTOVER_TEMPORAL_SCHEMA_DIR!,
    postgresBinDir: env.CUTOVER_POSTGRES_BIN_DIR!,
  };
}

export interface PostgresTemporalPeer extends TemporalPeer {
  /** Leads PostgreSQL's process group (postmaster and backends), for CPU accounting. */
  postgresPid: number;
}

// PostgreSQL refuses to run as root: as root, its commands run as the Debian package's user.
const asRoot = os.userInfo().uid === 0;
const POSTGRES_USER = 'postgres';
const pgCommand = (bin: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', POSTGRES_USER, '--', bin, ...args]] : [bin, args]);

export async function startTemporalOnPostgres(
  group: ProcessGroup,
  tools: ServerTools,
  opts: { dir: string; shards: number; port: number; metricsPort: number },
): Promise<PostgresTemporalPeer> {
  const pgData = path.join(opts.dir, 'postgres');
  mkdirSync(pgData, { recursive: true });
  if (asRoot) {
    const { uid, gid } = userIds(POSTGRES_USER);
    chownSync(pgData, uid, gid);
    chmodSync(opts.dir, 0o711); // its user must reach its data folder
  }
  const pg = (bin: string, args: string[]) => {
    const [cmd, argv] = pgCommand(path.join(tools.postgresBinDir, bin), args);
    run(cmd, argv);
  };
  pg('initdb', ['-D', pgData, '-U', 'temporal', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const pgPort = await freePort();
  const [cmd, argv] = pgCommand(path.join(tools.postgresBinDir, 'postgres'), [
    '-D', pgData, '-p', String(pgPort), '-k', pgData, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'shared_buffers=256MB',
  ]);
  const postgres = group.start('postgres', cmd, argv);
  await waitUntil(`PostgreSQL on 127.0.0.1:${pgPort}`, async () => {
    pg('pg_isready', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'temporal']);
    return true;
  }, { process: postgres });

  // The schemas, as the server's own tool lays them out.
  for (const [database, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']]) {
    const sql = (...args: string[]) => run(tools.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'temporal', '--db', database, ...args]);
    sql('create-database');
    sql('setup-schema', '-v', '0.0');
    sql('update-schema', '-d', path.join(tools.schemaDir, 'postgresql', 'v12', schema, 'versioned'));
  }

  // The membership table keeps ports as a smallint: above 32767 the server cannot start.
  const ports = async () => ({ grpcPort: await freePort(), membershipPort: await freeLowPort(), bindOnLocalHost: true });
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `127.0.0.1:${pgPort}`, connectProtocol: 'tcp', user: 'temporal', password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const dynamicConfigFile = path.join(opts.dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, YAML.stringify(Object.fromEntries(Object.entries(DYNAMIC_CONFIG).map(([k, value]) => [k, [{ value }]]))));
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: opts.shards,
      datastores: { default: datastore('temporal', 40), visibility: datastore('temporal_visibility', 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${opts.metricsPort}` } },
    },
    services: {
      frontend: { rpc: { ...(await ports()), grpcPort: opts.port, httpPort: await freePort() } },
      history: { rpc: await ports() },
      matching: { rpc: await ports() },
      worker: { rpc: await ports() },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${opts.port}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const configFile = path.join(opts.dir, 'temporal.yaml');
  writeFileSync(configFile, YAML.stringify(config));
  const server = group.start('temporal-server', tools.server, ['--config-file', configFile, '--allow-no-auth', 'start']);
  const address = `127.0.0.1:${opts.port}`;

  // A fresh server has no namespace: `default`, with Cutover's search attributes.
  let connection: Connection | undefined;
  try {
    await waitUntil(
      `Temporal server on ${address}`,
      async () => {
        connection ??= await Connection.connect({ address, connectTimeout: 1_000 });
        await connection.workflowService.getSystemInfo({});
        return true;
      },
      { process: server, timeoutMs: 90_000 },
    );
    await connection!.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: proto.google.protobuf.Duration.fromObject({ seconds: 24 * 60 * 60 }) });
    // The namespace, then its attributes, reach each service's cache within seconds (up to a
    // minute); until then the operator API refuses the namespace and a start refuses the attributes.
    await waitUntil('namespace default', async () => {
      await createSearchAttributes(connection!, 'default');
      return true;
    }, { process: server, timeoutMs: 60_000 });
    const client = new Client({ connection: connection! });
    let probes = 0;
    await waitUntil('a start that sets Cutover’s search attributes', async () => {
      const probe = await client.workflow.start('searchAttributeProbe', {
        taskQueue: 'cutover-setup-probe',
        workflowId: `search-attribute-probe-${++probes}`,
        typedSearchAttributes: initialSearchAttributes({ blue: { cluster: 'probe' }, green: { cluster: 'probe', kubernetesVersion: '1.34' }, team: 'probe' }),
      });
      await probe.terminate('setup probe');
      return true;
    }, { process: server, timeoutMs: 120_000 });
  } finally {
    await connection?.close();
  }
  return { address, pid: server.child.pid!, postgresPid: postgres.child.pid! };
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a setup command; one that fails says which, with what it printed. */
function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(command)} ${args.join(' ')} failed:\n${stderr || stdout || String(err)}`);
  }
}

/** A free port below the kernel's ephemeral range (which starts at 32768). */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await portInUse(port))) return port;
  }
}
