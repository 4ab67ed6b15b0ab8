// Plumbing for the API tests: the real app factory on the harness's worker and task queue,
// with the extras main.ts wires in (blue's version from moto, request logs captured), and
// specs for worlds seeded in moto.
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createAwsClients } from '../../activities/aws.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { buildApp } from '../../api/app.js';
import { eksClusterVersions } from '../../api/blue-version.js';
import { sandboxApiConfig, type ApiConfig } from '../../api/config.js';
import type { Activities } from '../../activities/index.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, eventually, stack, startHarness, type Harness } from '../helpers.js';

export { seededSpec } from '../helpers.js';

export interface ApiHarness {
  harness: Harness;
  app: FastifyInstance;
  /** Every log line the app wrote (pino JSON). */
  logs: string[];
  close(): Promise<void>;
}

/** The app with the sandbox tokens, plus `extra` settings (OIDC, other tokens), on a worker with `activities` (default: real ones on moto). */
export async function startApi(extra: Partial<ApiConfig> = {}, activities?: Activities): Promise<ApiHarness> {
  const harness = await startHarness(activities);
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp({
    config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test', { eventsPollMs: 100, ...extra }),
    temporal: harness.client,
    taskQueue: harness.taskQueue,
    blueVersion: eksClusterVersions(stack().motoUrl),
    logger: { level: 'info', stream },
  });
  return {
    harness,
    app,
    logs,
    async close() {
      await app.close();
      await harness.close();
    },
  };
}


export type Call = Omit<InjectOptions, 'headers'> & { token?: string };

/** One request through the app; `token` becomes the bearer header. */
export function call(app: FastifyInstance, { token, ...options }: Call) {
  return app.inject({ ...options, headers: token ? auth(token) : {} });
}

/** The weights Route 53 (moto) serves for each of the spec's records. */
export const weightsInMoto = (spec: MigrationSpec) => readRoute53Weights(createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1'), resolveSpec(spec).traffic.route53!);

/** Starts a migration as `token` and waits until it waits at the cutover gate. */
export async function startAtCutover(api: ApiHarness, spec: MigrationSpec, token = 'dev-operator') {
  const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token, payload: spec });
  if (started.statusCode !== 201) throw new Error(`start failed: ${started.statusCode} ${started.body}`);
  const id: string = started.json().id;
  const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
  await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
  return { id, status };
}
