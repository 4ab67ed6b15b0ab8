// GET /metrics for Prometheus (public, like the health routes): the API's requests by route
// and code, and Cutover's state computed from Temporal at scrape time — migrations by phase
// (visibility counts) and the gates waiting for a person with their age (a status query of
// each migration in a phase that can hold a gate). What only the worker sees happen (weights
// written, breaches, rollbacks) comes from the worker's own endpoint. docs/operations.md
// explains the split.
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GATE_PHASES, PHASES, TERMINAL_PHASES, type Phase } from '../../workflows/model.js';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { serverCall } from '../deadlines.js';

/** Scrapes within this long reuse the last answer: Prometheus and a person's curl do not double Temporal's load. */
export const METRICS_CACHE_MS = 10_000;
/** At most this many migrations are asked for their pending gate per scrape. */
const GATE_SCAN_LIMIT = 200;
const RUNNING_PHASES: readonly Phase[] = PHASES.filter((p) => !TERMINAL_PHASES.includes(p));

export interface MetricsPluginOptions {
  /** How long a scrape's reading of Temporal is reused (default METRICS_CACHE_MS). */
  cacheMs?: number;
}

export default fp<MetricsPluginOptions>(
  async (app, { cacheMs = METRICS_CACHE_MS }) => {
    const registry = new Registry();
    const labelNames = ['method', 'route', 'code'] as const;
    const requests = new Counter({ name: 'cutover_api_requests_total', help: 'API requests by route and status code', labelNames, registers: [registry] });
    const latency = new Histogram({
      name: 'cutover_api_request_duration_seconds',
      help: 'API request latency by route and status code',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const migrations = new Gauge({ name: 'cutover_migrations', help: 'running migrations by phase (Temporal visibility)', labelNames: ['phase'], registers: [registry] });
    const gates = new Gauge({ name: 'cutover_pending_gates', help: 'gates waiting for a person, by gate kind', labelNames: ['gate'], registers: [registry] });
    const gateAge = new Gauge({
      name: 'cutover_pending_gate_age_seconds',
      help: 'how long each pending gate has waited',
      labelNames: ['migration', 'gate'],
      registers: [registry],
    });
    const truncated = new Gauge({
      name: 'cutover_pending_gates_scan_truncated',
      help: `1 when more than ${GATE_SCAN_LIMIT} migrations could hold a gate and only that many were asked`,
      registers: [registry],
    });

    app.addHook('onResponse', async (request, reply) => {
      // The route's pattern, never the URL: one series per route, whatever the IDs.
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      const labels = { method: request.method, route, code: String(reply.statusCode) };
      requests.inc(labels);
      latency.observe(labels, reply.elapsedTime / 1000);
    });

    const count = async (query: string): Promise<number> => {
      const answer = await serverCall(app.temporal, () => app.temporal.workflowService.countWorkflowExecutions({ namespace: app.temporal.options.namespace, query }));
      return Number(answer.count ?? 0);
    };
    const running = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

    async function refresh(): Promise<void> {
      const counts = await Promise.all(RUNNING_PHASES.map((phase) => count(`${running} AND ${SEARCH_ATTRIBUTES.phase.name} = '${phase}'`)));
      migrations.reset();
      RUNNING_PHASES.forEach((phase, i) => migrations.set({ phase }, counts[i]));

      const inGatePhases = `${running} AND ${SEARCH_ATTRIBUTES.phase.name} IN (${GATE_PHASES.map((p) => `'${p}'`).join(', ')})`;
      const ids = await serverCall(app.temporal, async () => {
        const found: string[] = [];
        for await (const execution of app.temporal.workflow.list({ query: inGatePhases, pageSize: GATE_SCAN_LIMIT })) {
          if (found.length === GATE_SCAN_LIMIT) break;
          found.push(execution.workflowId);
        }
        return found;
      });
      truncated.set(ids.length === GATE_SCAN_LIMIT ? 1 : 0);
      const statuses = await Promise.all(ids.map((id) => app.migrations.status(id).catch(() => undefined)));
      gates.reset();
      gateAge.reset();
      const at = Date.now() / 1000;
      for (const status of statuses) {
        const pending = status?.pendingGate;
        if (!status || !pending) continue;
        const kind = pending.gate.startsWith('step-') ? 'step' : pending.gate;
        gates.inc({ gate: kind });
        gateAge.set({ migration: status.id, gate: pending.gate }, Math.max(0, at - Date.parse(pending.since) / 1000));
      }
    }

    let fresh: { at: number; done: Promise<void> } | undefined;
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!fresh || Date.now() - fresh.at >= cacheMs) fresh = { at: Date.now(), done: refresh() };
      try {
        await fresh.done;
      } catch (err) {
        // The request series still answer; the state series keep their last values.
        fresh = undefined;
        request.log.warn({ err }, 'metrics: could not read migrations from Temporal');
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['temporal'] },
);
