// docker-compose.yml as the compose CLI reads it (`docker compose config`, which needs no Docker
// engine) with .env.example's settings: the services and images, their health checks, restart
// policies and start order, and environments the worker and the API accept as they would at boot.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadApiConfig } from '../../api/config.js';
import { temporalSettings } from '../../config/connections.js';
import { workerProcessSettings } from '../../worker/process-settings.js';
import { deployTools, TOOLS_TIMEOUT_MS } from './support.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  ports?: { host_ip?: string; target: number; published: string }[];
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  secrets?: { source: string; target?: string }[];
  stop_grace_period?: string;
}
interface Model {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

let model: Model;
const service = (name: string) => {
  const s = model.services[name];
  if (!s) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
};
/** The environment a container gets: variables left without a value are not set at all. */
const envOf = (name: string) => Object.fromEntries(Object.entries(service(name).environment ?? {}).filter((e): e is [string, string] => e[1] !== null));
/** The worker's environment with its channels secret read from where compose takes it. */
const workerEnv = () => ({ ...envOf('worker'), CUTOVER_NOTIFY_CHANNELS_FILE: model.secrets[service('worker').secrets![0].source].file });

beforeAll(async () => {
  const { compose } = deployTools();
  // The tokens and channels files an operator copies from the examples; deploy/tokens.json and
  // deploy/notify-channels.json are theirs, not the repo's.
  const { stdout } = await promisify(execFile)(compose, ['--file', 'docker-compose.yml', '--env-file', '.env.example', 'config', '--format', 'json'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      CUTOVER_TOKENS_PATH: './deploy/tokens.example.json',
      CUTOVER_NOTIFY_CHANNELS_PATH: './deploy/notify-channels.example.json',
    },
  });
  model = JSON.parse(stdout) as Model;
}, TOOLS_TIMEOUT_MS);

const LONG_RUNNING = ['postgresql', 'temporal', 'temporal-ui', 'worker', 'api', 'prometheus'];
const ONE_SHOT = ['temporal-schema', 'temporal-namespace', 'cutover-setup'];

describe('docker-compose.yml', () => {
  it('runs Temporal from the current server and admin-tools images, never the retired auto-setup', () => {
    expect(Object.keys(model.services).sort()).toEqual([...LONG_RUNNING, ...ONE_SHOT].sort());
    expect(service('temporal').image).toMatch(/^temporalio\/server:1\.\d+\.\d+$/);
    expect(service('temporal-schema').image).toBe(service('temporal').image!.replace('server', 'admin-tools'));
    expect(service('temporal-namespace').image).toBe(service('temporal-schema').image);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('postgresql').image).toMatch(/^postgres:\d+/);
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:/);
    for (const s of Object.values(model.services)) expect(s.image ?? '').not.toMatch(/auto-setup/);
    // One image for the worker, the API and setup, built from this repository.
    for (const name of ['worker', 'api', 'cutover-setup']) {
      expect(service(name).build?.context).toBe(ROOT);
      expect(service(name).image).toBe(service('api').image);
    }
    expect(service('temporal-schema').command!.join(' ')).toMatch(/temporal-sql-tool[\s\S]*update-schema/);
  });

  it('checks the health of every long-running service and restarts it; one-shot jobs run once', () => {
    for (const name of LONG_RUNNING) {
      expect(service(name).healthcheck?.test?.length, `${name} health check`).toBeGreaterThan(0);
      expect(service(name).restart, `${name} restart`).toBe('unless-stopped');
    }
    for (const name of ONE_SHOT) expect(service(name).restart, `${name} restart`).toBe('no');
  });

  it('starts each service only once what it needs is healthy or done', () => {
    const after = (name: string) => Object.fromEntries(Object.entries(service(name).depends_on ?? {}).map(([dep, d]) => [dep, d.condition]));
    expect(after('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(after('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(after('temporal-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(after('cutover-setup')).toEqual({ 'temporal-namespace': 'service_completed_successfully' });
    expect(after('worker')).toEqual({ 'cutover-setup': 'service_completed_successfully' });
    expect(after('api')).toEqual({ 'cutover-setup': 'service_completed_successfully' });
    expect(service('cutover-setup').command).toEqual(['node', 'dist/cli/main.js', 'setup', '--wait', '60']);
    expect(model.volumes).toHaveProperty('temporal-db');
    expect(service('postgresql').volumes!.map((v) => `${v.source}:${v.target}`)).toContain('temporal-db:/var/lib/postgresql/data');
  });

  it('runs two workers that stop after their shutdown grace, with their own health check', () => {
    const worker = service('worker');
    expect(worker.deploy?.replicas).toBe(2);
    expect(worker.ports ?? []).toEqual([]);
    const settings = workerProcessSettings(workerEnv());
    expect(parseInt(worker.stop_grace_period!)).toBeGreaterThan(settings.shutdownGraceSeconds);
    expect(worker.healthcheck!.test).toEqual(['CMD', 'node', 'bin/healthcheck.mjs', `http://127.0.0.1:${settings.healthPort}/readyz`]);
    expect(temporalSettings(envOf('worker'))).toMatchObject({ connection: { address: 'temporal:7233' }, namespace: 'default' });
  });

  it('logs at LOG_LEVEL from both processes, and leaves worker versioning to .env', () => {
    expect(workerProcessSettings(workerEnv()).logLevel).toBe('info');
    expect(envOf('api').LOG_LEVEL).toBe(envOf('worker').LOG_LEVEL);
    // Passed through only when set: both unset here, so versioning is off.
    expect(service('worker').environment).toMatchObject({ CUTOVER_DEPLOYMENT_NAME: null, CUTOVER_BUILD_ID: null });
    expect(workerProcessSettings(workerEnv()).deployment).toBeUndefined();
  });

  it('gives the worker its notification channels as a secret file its settings accept', () => {
    const channels = model.secrets[service('worker').secrets![0].source];
    expect(channels.file).toBe(path.join(ROOT, 'deploy/notify-channels.example.json'));
    expect(envOf('worker').CUTOVER_NOTIFY_CHANNELS_FILE).toBe(`/run/secrets/${service('worker').secrets![0].source}`);
    expect(Object.keys(workerProcessSettings(workerEnv()).notify.channels ?? {})).toEqual(['platform-oncall', 'shop-team']);
  });

  it("gives the API settings its own config accepts, with the example tokens file as the tokens secret", () => {
    const api = service('api');
    const tokens = model.secrets[api.secrets![0].source];
    expect(tokens.file).toBe(path.join(ROOT, 'deploy/tokens.example.json'));
    const env = envOf('api');
    expect(env.CUTOVER_TOKENS_FILE).toBe(`/run/secrets/${api.secrets![0].source}`);
    const config = loadApiConfig({ ...env, CUTOVER_TOKENS_FILE: tokens.file });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, temporal: { namespace: 'default', connection: { address: 'temporal:7233' } } });
    expect(config.tokens.size).toBe(Object.keys(JSON.parse(readFileSync(tokens.file, 'utf8'))).length);
    expect(config.awsEndpoint).toBeUndefined(); // aws mode: real AWS
    expect(api.healthcheck!.test).toEqual(['CMD', 'node', 'bin/healthcheck.mjs', `http://127.0.0.1:${config.port}/readyz`]);
    expect(api.ports).toEqual([expect.objectContaining({ target: config.port, published: '8080' })]);
  });

  it('publishes Temporal and its unauthenticated UI on loopback only', () => {
    expect(service('temporal').ports).toEqual([expect.objectContaining({ host_ip: '127.0.0.1', target: 7233 })]);
    expect(service('temporal-ui').ports).toEqual([expect.objectContaining({ host_ip: '127.0.0.1', target: 8080 })]);
  });

  it('passes AWS credentials through by the standard variables or a mounted ~/.aws profile', () => {
    for (const name of ['worker', 'api']) {
      const s = service(name);
      for (const v of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) expect(s.environment, `${name} ${v}`).toHaveProperty(v);
      expect(s.volumes).toContainEqual(expect.objectContaining({ type: 'bind', target: '/home/node/.aws', read_only: true }));
      expect(envOf(name).CUTOVER_MODE).toBe('aws');
    }
  });

  it('names only variables the processes read', () => {
    // CUTOVER_* from the app's own sources; TEMPORAL_* from @temporalio/envconfig, which reads them.
    const sources = ['api', 'worker', 'activities', 'cli']
      .flatMap((dir) => readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, dir, f)))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const envconfig = readdirSync(path.join(ROOT, 'node_modules/@temporalio/envconfig/lib'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(ROOT, 'node_modules/@temporalio/envconfig/lib', f), 'utf8'))
      .join('\n');
    for (const name of ['worker', 'api', 'cutover-setup']) {
      for (const v of Object.keys(service(name).environment ?? {})) {
        if (v.startsWith('CUTOVER_')) expect(sources, `${name}: ${v}`).toContain(v);
        else if (v.startsWith('TEMPORAL_')) expect(envconfig, `${name}: ${v}`).toContain(`'${v}'`);
        else expect(['LOG_LEVEL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'], `${name}: ${v}`).toContain(v);
      }
    }
  });

  it('mounts files that exist: the dynamic config and a Prometheus config scraping Temporal, the workers and the API', () => {
    for (const s of Object.values(model.services)) {
      for (const v of s.volumes ?? []) if (v.type === 'bind' && v.source.startsWith(ROOT)) expect(existsSync(v.source), v.source).toBe(true);
    }
    const prometheus = parseYaml(readFileSync(path.join(ROOT, 'deploy/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((c) => [...(c.static_configs ?? []).flatMap((s) => s.targets), ...(c.dns_sd_configs ?? []).flatMap((d) => d.names.map((name) => `${name}:${d.port}`))]);
    // Each worker replica on the port its settings serve metrics on; the API on its own port.
    const workerMetrics = workerProcessSettings(workerEnv()).metricsPort;
    expect(workerMetrics).toBeDefined();
    expect(targets).toEqual(expect.arrayContaining(['temporal:8000', `worker:${workerMetrics}`, `api:${envOf('api').CUTOVER_API_PORT}`]));
    expect(prometheus.scrape_configs.every((c) => (c.metrics_path ?? '/metrics') === '/metrics')).toBe(true);
    expect(envOf('temporal').PROMETHEUS_ENDPOINT).toBe('0.0.0.0:8000');
  });
});
