// Cutover's own series that only the worker sees happen, emitted through the activity's
// Temporal metric meter, so they leave on the worker's Prometheus endpoint beside the SDK's.
// The Runtime's `temporal_` prefix is for the SDK's own series only: these keep their names.
// Labelled by migration (the workflow ID). Outside an activity (tests calling drivers
// directly) nothing is recorded.
import type { Weights } from '../workflows/model.js';
import { activityContext } from './poll.js';

/** Green's share of traffic, set each time weights are written. */
export function recordWeights(weights: Weights): void {
  const context = activityContext();
  if (!context) return;
  context.metricMeter
    .createGauge('cutover_green_weight', 'int', '%', "green's share of the migration's traffic, as last written")
    .set(weights.green, { migration: context.info.workflowExecution?.workflowId ?? 'unknown' });
}

/** A breach the health watcher found (what it led to follows spec.health.onBreach). */
export function recordBreach(): void {
  const context = activityContext();
  if (!context) return;
  context.metricMeter
    .createCounter('cutover_health_breaches_total', '1', 'health breaches of green found by the watcher')
    .add(1, { migration: context.info.workflowExecution?.workflowId ?? 'unknown' });
}
