// What the Temporal Web UI and the metrics tell of a run (the start's summary and details,
// set by whoever starts the workflow, are workflows/start-summary.ts): the run's current
// details kept current at each change a person cares about (`tell`), a summary on each durable timer,
// and the rollback counter. None of it is history the workflow decides on: user metadata
// and metrics are not checked on replay, and metrics are not emitted while replaying.
import * as wf from '@temporalio/workflow';
import type { Actor } from '../model.js';
import { WATCHER_ACTOR } from '../model.js';
import type { Run } from './types.js';

/**
 * How a person approves the pending gate, ready to paste into a shell: the CLI, or curl. Both
 * read the API's URL and the person's token from CUTOVER_API_URL and CUTOVER_TOKEN, as the CLI
 * does. Each command is a code span, so Markdown (the Web UI, Slack) shows it as it is.
 */
export function approveCommand(id: string, gate: string): string {
  const cli = `cutover approve ${id} --gate ${gate}`;
  const curl = `curl -X POST "$CUTOVER_API_URL/v1/migrations/${id}/approvals" -H "Authorization: Bearer $CUTOVER_TOKEN" -H 'content-type: application/json' -d '{"gate":"${gate}","decision":"approve"}'`;
  return `\`${cli}\` (or: \`${curl}\`)`;
}

/** How a person keeps blue during the last delay before it is deleted, ready to paste: the CLI, or curl. */
export function keepBlueCommand(id: string): string {
  const cli = `cutover keep-blue ${id} --reason R`;
  const curl = `curl -X POST "$CUTOVER_API_URL/v1/migrations/${id}/keep-blue" -H "Authorization: Bearer $CUTOVER_TOKEN" -H 'content-type: application/json' -d '{"reason":"R"}'`;
  return `\`${cli}\` (or: \`${curl}\`)`;
}

/** Rewrites the run's current details from its state: phase, weights, pending gate, timers. */
export function tell(run: Run): void {
  const { state } = run;
  const lines = [`**Phase** ${state.phase}${state.paused ? ' (paused)' : ''}`, `**Weights** blue ${state.weights.blue} / green ${state.weights.green}`];
  const gate = state.pendingGate;
  if (gate) {
    const count = gate.required !== undefined ? ` (${gate.approvals?.length ?? 0} of ${gate.required} approvals${gate.approvals?.length ? `: ${gate.approvals.map((a) => a.actor).join(', ')}` : ''})` : '';
    lines.push(`**Waiting for** gate ${gate.gate}${count} since ${gate.since}`);
    if (gate.reason) lines.push(`**Why** ${gate.reason}`);
    if (gate.policy) lines.push(`**Policy** ${gate.policy}${gate.mayApprove?.except.length ? `; not ${gate.mayApprove.except.join(', ')}` : ''}`);
    if (gate.escalated) lines.push(`**Escalated** to ${gate.escalated.channel}; acts at ${gate.escalated.actsAt}`);
    else if (gate.expiresAt) lines.push(`**Expires** ${gate.expiresAt}`);
    lines.push(`**Approve with** ${approveCommand(run.id, gate.gate)}`);
  }
  if (state.promotion) lines.push(`**Promote** ${state.promotion.approvals.length} of ${state.promotion.required} approvals${state.promotion.met ? ': met' : ''}`);
  for (const timer of state.timers) lines.push(`**Timer** ${timer.name} until ${timer.firesAt}`);
  if (state.freeze) lines.push(`**Change freeze** ${state.freeze.window} until ${state.freeze.until} (${state.freeze.timeZone}): ${state.freeze.reason}; holds ${state.freeze.holds}`);
  if (state.lastDelay) lines.push(`**Blue is deleted at** ${state.lastDelay.endsAt}; **keep blue with** ${keepBlueCommand(run.id)}`);
  if (state.waiting) lines.push(`**Waiting** ${state.waiting.what}${state.waiting.until ? ` until ${state.waiting.until}` : ''}`);
  const carry = state.stateful;
  if (carry) {
    const claims = carry.claims.map((c) => `${c.claim} ${c.volumeId} ${c.zone} → ${c.greenZone}${c.greenVolumeId ? ` (${c.greenVolumeId}${c.phase ? `, ${c.phase}` : ''})` : ''}`);
    lines.push(`**Carry-over** ${carry.step}${claims.length ? `: ${claims.join('; ')}` : ''}${carry.scaled?.length ? `; blue scaled to 0: ${carry.scaled.map((w) => w.workload).join(', ')}` : ''}`);
  }
  wf.setCurrentDetails(lines.join('\n'));
}

/** The summary of a durable timer, as the UI lists it in the history. */
export const timerSummary = (name: string, firesAt: string) => `${name} until ${firesAt}`;

/**
 * The summary of any other activity: what it is about (a cluster, or blue → green), so the
 * history reads as the migration's steps rather than function names.
 */
export function activitySummary(activityType: string, args: unknown[]): string {
  const input = (args[0] ?? {}) as { cluster?: unknown; blue?: unknown; green?: unknown };
  if (typeof input.cluster === 'string') return `${activityType} ${input.cluster}`;
  if (typeof input.blue === 'string' && typeof input.green === 'string') return `${activityType} ${input.blue} → ${input.green}`;
  return activityType;
}

/** The summary of a weight change, as the UI lists it in the history. */
export const weightsSummary = (weights: { blue: number; green: number }) => `weights blue ${weights.blue} / green ${weights.green}`;

/** A rollback carried out, by its cause: the health watcher or a person. */
export function countRollback(actor: Actor): void {
  wf.metricMeter.createCounter('cutover_rollbacks_total', '1', 'rollbacks carried out, by cause').add(1, { cause: actor === WATCHER_ACTOR ? 'watcher' : 'person' });
}
