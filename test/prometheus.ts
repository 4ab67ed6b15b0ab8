// A real Prometheus for the metric-check tests (built by `scripts/tools.sh --tests`), scraping a
// tiny exporter the test runs on loopback: the test sets a gauge, Prometheus scrapes it every
// second, and a query answers it once a scrape has stored it.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ProcessGroup, waitUntil } from '../scripts/stack/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The Prometheus binary, building it first if needed (the first time takes minutes). */
export function prometheusBin(): string {
  const env = process.env;
  if (!env.CUTOVER_PROMETHEUS_BIN) {
    const exports = execFileSync('bash', [path.join(ROOT, 'scripts/tools.sh'), '--tests'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    for (const m of exports.matchAll(/^export (\w+)='([^']*)'$/gm)) env[m[1]] = m[2];
  }
  return env.CUTOVER_PROMETHEUS_BIN!;
}

/** Building Prometheus the first time takes minutes. */
export const PROMETHEUS_TIMEOUT_MS = 30 * 60_000;

export interface TestPrometheus {
  url: string;
  /** Sets gauge `name{labels}` to `value` on the exporter; Prometheus has it after its next scrape. */
  set(name: string, labels: Record<string, string>, value: number): void;
  /** The value of an instant query now (undefined: empty), straight from Prometheus's API. */
  query(promql: string): Promise<number | undefined>;
  /** Waits (polling, never sleeping blindly) until `promql` answers `value`. */
  until(promql: string, value: number): Promise<void>;
  close(): Promise<void>;
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`)
    .join(',');

/** A user and the bcrypt hash of its password (cost 4), for a Prometheus that asks for basic auth. */
export const PROMETHEUS_USER = { name: 'cutover', password: 'cutover-prometheus-password', bcrypt: '$2a$04$FyTHE7q7fmmXsN23NUiFx.IkNtz4BoCrqj947XLFFC9c8oiTy3Faq' };

/** With `basicAuth`, Prometheus answers only PROMETHEUS_USER (its web config file), as a shared one behind credentials does. */
export async function startPrometheus(opts: { basicAuth?: boolean } = {}): Promise<TestPrometheus> {
  const gauges = new Map<string, { name: string; labels: string; value: number }>();
  const exporter = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end([...gauges.values()].map((g) => `${g.name}{${g.labels}} ${g.value}\n`).join(''));
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  const exporterPort = (exporter.address() as AddressInfo).port;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: app',
      `    static_configs: [{ targets: ["127.0.0.1:${exporterPort}"] }]`,
      '',
    ].join('\n'),
  );
  const webConfig = path.join(dir, 'web.yml');
  if (opts.basicAuth) writeFileSync(webConfig, `basic_auth_users:\n  ${PROMETHEUS_USER.name}: ${PROMETHEUS_USER.bcrypt}\n`);
  const port = await freePort();
  const group = new ProcessGroup(path.join(dir, 'logs'));
  const proc = group.start('prometheus', prometheusBin(), [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(opts.basicAuth ? [`--web.config.file=${webConfig}`] : []),
  ]);
  const authorization = opts.basicAuth ? { authorization: `Basic ${Buffer.from(`${PROMETHEUS_USER.name}:${PROMETHEUS_USER.password}`).toString('base64')}` } : undefined;
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(`Prometheus on ${url}`, async () => (await fetch(`${url}/-/ready`, { headers: authorization })).ok, { process: proc, timeoutMs: 60_000 });
  } catch (err) {
    exporter.close();
    await group.stop();
    throw err;
  }

  const query = async (promql: string): Promise<number | undefined> => {
    const answer = (await (await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, { headers: authorization })).json()) as { data: { result: { value: [number, string] }[] } };
    const raw = answer.data.result[0]?.value[1];
    return raw === undefined ? undefined : Number(raw);
  };
  return {
    url,
    set(name, labels, value) {
      const text = labelText(labels);
      gauges.set(`${name}{${text}}`, { name, labels: text, value });
    },
    query,
    async until(promql, value) {
      await waitUntil(`${promql} == ${value} in Prometheus`, async () => (await query(promql)) === value, { process: proc, timeoutMs: 30_000 });
    },
    async close() {
      exporter.close();
      await group.stop();
    },
  };
}
