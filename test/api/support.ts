// Plumbing for the API tests, which run the worker and the API of test/helpers.ts
// (startHarness): requests as a token, Route 53's weights in moto, a migration at its cutover gate.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createAwsClients } from '../../activities/aws.js';
import { readRoute53Weights } from '../../activities/route53.js';
import { resolveSpec } from '../../workflows/spec-defaults.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { auth, eventually, stack, type Harness } from '../helpers.js';

export { seededSpec } from '../helpers.js';

export type Call = Omit<InjectOptions, 'headers'> & { token?: string };

/** One request through the app; `token` becomes the bearer header. */
export function call(app: FastifyInstance, { token, ...options }: Call) {
  return app.inject({ ...options, headers: token ? auth(token) : {} });
}

/** The weights Route 53 (moto) serves for each of the spec's records. */
export const weightsInMoto = (spec: MigrationSpec) => readRoute53Weights(createAwsClients({ endpoint: stack().motoUrl }).route53('us-east-1'), resolveSpec(spec).traffic.route53!);

/** Starts a migration as `token` and waits until it waits at the cutover gate. */
export async function startAtCutover(api: Harness, spec: MigrationSpec, token = 'dev-operator') {
  const started = await call(api.app, { method: 'POST', url: '/v1/migrations', token, payload: spec });
  if (started.statusCode !== 201) throw new Error(`start failed: ${started.statusCode} ${started.body}`);
  const id: string = started.json().id;
  const status = () => call(api.app, { method: 'GET', url: `/v1/migrations/${id}`, token: 'dev-viewer' }).then((r) => r.json());
  await eventually(status, (s) => s.pendingGate?.gate === 'cutover');
  return { id, status };
}
