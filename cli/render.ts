// How the CLI shows things to a person: a status as a table, timers as countdowns, a list,
// a plan, and one-line progress for `watch` when stdout is not a terminal.
import type { AuditBody, ListBody, PlanBody, StatusBody } from '../api/schemas.js';
import { PLAIN, visibleLength, type Paint } from './colour.js';

export type ListItem = ListBody['migrations'][number];
export type AuditEntry = AuditBody['entries'][number];

/** "6d 23h", "1h 02m", "4m 05s", "12s": two units are enough to read at a glance. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (d) return `${d}d ${two(h)}h`;
  if (h) return `${h}h ${two(m)}m`;
  if (m) return `${m}m ${two(sec)}s`;
  return `${sec}s`;
}

function clock(iso: string, now: Date): string {
  const t = new Date(iso);
  const sameDay = t.toDateString() === now.toDateString();
  return sameDay ? t.toLocaleTimeString('en-GB', { hour12: false }) : t.toISOString().replace('T', ' ').slice(0, 19);
}

function weightBar(green: number, width = 20): string {
  const filled = Math.round((green / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function timerLine(t: { name: string; firesAt: string }, now: Date): string {
  const left = Date.parse(t.firesAt) - now.getTime();
  return left > 0 ? `${t.name} fires in ${humanDuration(left)} (${clock(t.firesAt, now)})` : `${t.name} firing now`;
}

/** The wait the workflow sits out: what and why, and how long is left when that is known. */
export function waitingLine(w: NonNullable<StatusBody['waiting']>, now: Date): string {
  if (!w.until) return `${w.what} (for ${humanDuration(now.getTime() - Date.parse(w.since))} so far)`;
  const left = Date.parse(w.until) - now.getTime();
  return `${w.what} (${left > 0 ? `${humanDuration(left)} left, until ${clock(w.until, now)}` : 'ending now'})`;
}

/** A carry-over activity's progress (spec.stateful): each snapshot's percent, each volume's state, each claim's phase. */
function progressOf(a: StatusBody['activities'][number]): string {
  const items = (a.progress ?? []) as { claim?: string; volumeId?: string; progress?: string; state?: string; phase?: string }[];
  const each = items.map((i) => (typeof i === 'string' ? i : `${i.claim ?? i.volumeId}: ${[i.progress, i.state ?? i.phase].filter(Boolean).join(' ')}`));
  return each.length ? ` (${each.join('; ')})` : '';
}

/** An activity the migration waits on; one that failed before says so, with its last error. */
export function activityLine(a: StatusBody['activities'][number], now: Date): string {
  if (a.attempt === 1) return `${a.activity}: ${a.state} since ${clock(a.since, now)}${progressOf(a)}`;
  const next = a.nextAttemptAt ? `; next attempt ${clock(a.nextAttemptAt, now)}` : '';
  return `${a.activity}: attempt ${a.attempt} since ${clock(a.since, now)}, last error: ${a.lastError ?? 'unknown'}${next}`;
}

function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i] ?? '')))) ?? [];
  const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(0, width - visibleLength(cell)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]))).join('  ').trimEnd());
}

/** A pending gate: how long it waits, its policy's count, who approved, who may still, when it expires. */
function gateRows(id: string, gate: NonNullable<StatusBody['pendingGate']>, now: Date, paint: Paint): string[][] {
  const count = gate.required !== undefined ? `, ${gate.approvals?.length ?? 0} of ${gate.required} approvals` : '';
  const rows = [['pending gate', `${paint.gate(gate.gate)}, waiting ${humanDuration(now.getTime() - Date.parse(gate.since))}${count}  →  cutover approve ${id} ${gate.gate}`]];
  if (gate.reason) rows.push(['', `why: ${gate.reason}`]);
  if (gate.policy) rows.push(['', `policy: ${gate.policy}`]);
  for (const a of gate.approvals ?? []) rows.push(['', `approved by ${a.actor} ${clock(a.at, now)}${a.comment ? `: ${a.comment}` : ''}`]);
  if (gate.mayApprove) {
    const who = gate.mayApprove.groups ? `members of ${gate.mayApprove.groups.join(' or ')}` : 'any approver';
    rows.push(['', `may approve: ${who}${gate.mayApprove.except.length ? `, except ${gate.mayApprove.except.join(', ')}` : ''}`]);
  }
  if (gate.escalated) rows.push(['', `expired, escalated to ${gate.escalated.channel}; acts ${clock(gate.escalated.actsAt, now)}`]);
  else if (gate.expiresAt) rows.push(['', `expires ${clock(gate.expiresAt, now)}`]);
  return rows;
}

export interface StatusView {
  /** -o wide: the plan's phases with this one marked, its gates, and every recent event the status carries, with details. */
  wide?: boolean;
  paint?: Paint;
}

/** Recent events shown by default; -o wide shows all the status carries (its last 20). */
const RECENT_EVENTS = 8;

export function renderStatus(s: StatusBody, now = new Date(), { wide = false, paint = PLAIN }: StatusView = {}): string {
  const rows: string[][] = [
    ['phase', `${paint.phase(s.phase)}${s.paused ? '  (PAUSED: holds at the next boundary)' : ''}`],
    ['weights', `blue ${s.weights.blue} %  green ${s.weights.green} %  ${weightBar(s.weights.green)}`],
  ];
  if (s.step) rows.push(['step', `${s.step.index}/${s.step.of} (green ${s.step.greenWeight} %)`]);
  const share = s.step?.observedShare;
  if (share) {
    const observed = share.observed === undefined ? 'not observed' : `observed ${share.observed} %`;
    const verdict = share.within ? 'within' : 'not within';
    rows.push(['observed share', `intended ${share.intended} %, ${observed}: ${verdict} ${share.tolerance} points (${share.source}), read ${clock(share.at, now)}${share.reason ? `; ${share.reason}` : ''}`]);
  }
  if (wide) {
    rows.push(['plan', s.plan.phases.map((p) => (p === s.phase ? `[${paint.phase(p)}]` : p)).join(' → ')]);
    rows.push(['gates', s.plan.gates.join(', ')]);
  }
  if (s.pendingGate) rows.push(...gateRows(s.id, s.pendingGate, now, paint));
  if (s.promotion) {
    const who = s.promotion.approvals.map((a) => a.actor).join(', ');
    rows.push(['promote', `${s.promotion.approvals.length} of ${s.promotion.required} approvals (${who})${s.promotion.met ? ': met, green goes to 100 % after this step' : `  →  cutover approve ${s.id} promote`}`]);
  }
  for (const t of s.timers) rows.push(['timer', timerLine(t, now)]);
  if (s.freeze) {
    const from = s.freeze.calendar ? `, calendar ${s.freeze.calendar}` : '';
    rows.push(['change freeze', `${s.freeze.window} (${s.freeze.timeZone}${from}): ${s.freeze.reason}; holds ${s.freeze.holds} until ${clock(s.freeze.until, now)}, then goes on by itself`]);
  }
  if (s.waiting) rows.push(['waiting', waitingLine(s.waiting, now)]);
  if (s.lastDelay) rows.push(['last delay', `blue is deleted ${clock(s.lastDelay.endsAt, now)} (gate approved by ${s.lastDelay.approvedBy})  →  cutover keep-blue ${s.id} --reason …`]);
  if (s.bake) {
    rows.push(['bake', `ends ${clock(s.bake.endsAt, now)} at the earliest (minimum until ${clock(s.bake.minimumEndsAt, now)})`]);
    for (const w of s.bake.windows) {
      const missed = w.missed?.length ? `; missed ${w.missed.length}: ${w.missed[w.missed.length - 1]}` : '';
      rows.push(['', `${w.peak}: ${w.passed ? 'passed' : 'to pass'} ${clock(w.from, now)} – ${clock(w.to, now)}${missed}`]);
    }
  }
  const health = s.health.watching ? `watching${s.health.lastVerdict ? `, last verdict ${s.health.lastVerdict}` : ''}` : 'not watching';
  rows.push(['health', `${health}${s.health.lastBreach ? `; last breach ${clock(s.health.lastBreach.at, now)}: ${s.health.lastBreach.reason}` : ''}`]);
  for (const c of s.health.checks ?? []) {
    const read = c.value === undefined ? `no data${c.reason ? ` (${c.reason})` : ''}` : `${c.value}${c.blue !== undefined ? ` (blue ${c.blue})` : ''}`;
    rows.push(['metric', `${c.check}: ${c.outcome} ${read}; fails when ${c.failsWhen} over ${c.window}; ${c.consecutiveFailures}/${c.failureThreshold} failed in a row`]);
  }
  if (s.stateful) {
    rows.push(['stateful', `carry-over ${s.stateful.step}${s.stateful.scaled?.length ? `; scaled to 0 in blue: ${s.stateful.scaled.map((w) => `${w.workload} (was ${w.replicas})`).join(', ')}` : ''}`]);
    for (const c of s.stateful.claims) {
      const made = [c.snapshotId && `snapshot ${c.snapshotId}`, c.greenVolumeId && `green ${c.greenVolumeId}`, c.phase && `claim ${c.phase}`].filter(Boolean).join(', ');
      rows.push(['', `${c.claim}: ${c.volumeId} ${c.zone} → ${c.greenZone}${made ? `; ${made}` : ''}`]);
    }
  }
  rows.push(['green', s.greenCreatedByMigration ? 'created by this migration' : 'not created by this migration']);
  if (s.blueDeleted) rows.push(['blue', 'deleted']);
  if (s.decommission) rows.push(['decommission', s.decommission.steps.map((d) => `${d.step} ${d.status}`).join(' → ')]);
  if (s.decommission?.keptBecause) rows.push(['blue', `kept: protected (${s.decommission.keptBecause})`]);
  const drain = s.decommission?.drain;
  if (drain) {
    const read = drain.value === undefined ? 'no data' : `${drain.value}`;
    rows.push(['blue drain', `${drain.drained ? 'drained' : 'not drained'}: ${read}, below ${drain.below} for ${drain.window} (${drain.source}), read ${clock(drain.at, now)}${drain.reason ? `; ${drain.reason}` : ''}`]);
  }
  rows.push(['started by', s.startedBy]);
  if (s.team) rows.push(['team', s.team]);
  if (s.attention) {
    const a = s.attention;
    const serving = a.weightsUnknown ?? `routing serves ${(a.liveWeights ?? []).map((w) => `blue ${w.blue} % green ${w.green} %`).join(', ')}`;
    rows.push(['NEEDS ATTENTION', `${a.phase}${a.step ? ` step ${a.step}` : ''} failed ${clock(a.at, now)}: ${a.error}`]);
    rows.push(['', `${serving}  →  cutover rollback ${s.id} --reason …  |  retry  |  abort (traffic on blue)  |  cancel`]);
  } else if (s.error) rows.push(['error', s.error]);
  if (s.retrying) rows.push(['retrying', `${s.retrying.activity}: ${s.retrying.attempts} attempts since ${clock(s.retrying.since, now)}, last error: ${s.retrying.lastError}`]);
  // An activity that keeps failing stands out: the migration may hang on it.
  for (const a of s.activities ?? []) rows.push([a.attempt > 1 ? 'RETRYING' : 'activity', activityLine(a, now)]);
  rows.push(['Temporal UI', s.links.temporalUi]);

  const out = [`${s.id}  (${s.workflowStatus})`, ...table(rows, '  ')];
  if (s.findings.length) {
    out.push('  findings');
    out.push(...table(s.findings.map((f) => [paint.severity(f.severity), f.source, f.message]), '    '));
  }
  if (s.audit.length) {
    out.push('  recent events');
    const shown = wide ? s.audit : s.audit.slice(-RECENT_EVENTS);
    out.push(...table(shown.map((e) => [clock(e.at, now), e.actor, e.action, e.reason, ...(wide && e.detail ? [JSON.stringify(e.detail)] : [])]), '    '));
  }
  return out.join('\n');
}

/** One line per change, for `watch` into a file or a pipe. */
export function progressLine(s: StatusBody, now = new Date()): string {
  const parts = [
    clock(now.toISOString(), now),
    `phase ${s.phase}${s.paused ? ' (paused)' : ''}`,
    `blue ${s.weights.blue}/green ${s.weights.green}`,
  ];
  if (s.step) parts.push(`step ${s.step.index}/${s.step.of}`);
  if (s.pendingGate) parts.push(`waiting for gate ${s.pendingGate.gate}`);
  for (const t of s.timers) parts.push(timerLine(t, now));
  if (s.waiting) parts.push(`waiting: ${waitingLine(s.waiting, now)}`);
  if (s.attention) parts.push(`NEEDS ATTENTION: ${s.attention.phase} failed: ${s.attention.error}`);
  else if (s.error) parts.push(`error: ${s.error}`);
  if (s.retrying) parts.push(`retrying ${s.retrying.activity} (${s.retrying.attempts} attempts): ${s.retrying.lastError}`);
  for (const a of s.activities ?? []) if (a.attempt > 1) parts.push(`RETRYING ${activityLine(a, now)}`);
  return parts.join('  ');
}

export interface ListView {
  /** -o wide: each migration's status (one more request a row; undefined where it could not be read) adds GREEN %, GATE, STARTED BY and AGE, and TEAM always. */
  statuses?: Map<string, StatusBody | undefined>;
  paint?: Paint;
}

export function renderList(items: ListItem[], { statuses, paint = PLAIN }: ListView = {}, now = new Date()): string {
  if (!items.length) return 'no migrations';
  // A TEAM column only where some migration names its team (always in wide).
  const teams = !!statuses || items.some((m) => m.team);
  const wideHeads = statuses ? ['GREEN %', 'GATE', 'STARTED BY', 'AGE'] : [];
  const rows = [['ID', 'PHASE', 'STATUS', 'BLUE → GREEN', 'TARGET', ...(teams ? ['TEAM'] : []), ...wideHeads, 'STARTED']];
  for (const m of items) {
    const s = statuses?.get(m.id);
    const wide = statuses
      ? [s ? String(s.weights.green) : '?', s?.pendingGate ? paint.gate(s.pendingGate.gate) : '-', s?.startedBy ?? '?', m.startTime ? humanDuration(now.getTime() - Date.parse(m.startTime)) : '?']
      : [];
    const phase = m.phase ? paint.phase(m.phase) : '?';
    rows.push([m.id, phase, m.workflowStatus, `${m.blue ?? '?'} → ${m.green ?? '?'}`, m.targetVersion ?? '?', ...(teams ? [m.team ?? '-'] : []), ...wide, m.startTime ? clock(m.startTime, now) : '']);
  }
  return table(rows).join('\n');
}

export function renderPlan(answer: PlanBody, paint = PLAIN): string {
  const { plan } = answer;
  const out = [`plan for ${answer.id} (nothing started)`, `  phases  ${plan.phases.join(' → ')}`, '  steps'];
  out.push(
    ...table(
      plan.steps.map((s) => [`${s.index}.`, `blue ${s.weights.blue} %`, `green ${s.weights.green} %`, `observe ${s.observe}`, s.approvalGate ? `after gate ${paint.gate(s.approvalGate)}` : '']),
      '    ',
    ),
  );
  // Every step waits the same way (one driver): said once.
  if (plan.steps[0]) out.push(`  each step, once the weights are written, waits until ${plan.steps[0].applied}`);
  const shares = plan.steps.filter((s) => s.observedShare);
  if (shares.length) out.push('  then, before its observe window, until', ...shares.map((s) => `    ${s.index}. ${s.observedShare}`));
  if (plan.greenOverrides?.length) out.push("  green   blue's copy at the target, except", ...plan.greenOverrides.map((o) => `    ${o}`));
  out.push(`  gates   ${plan.gates.join(', ')}`);
  out.push(`  timers  ${plan.timers.map((t) => `${t.name} ${t.duration}${t.peaks ? ` (minimum) and peaks ${t.peaks.join('; ')}` : ''}`).join(', ')}`);
  for (const t of plan.timers) if (t.ends) out.push(`          ${t.name} ends ${t.ends}`);
  if (plan.stateful) {
    out.push(`  stateful  carried over as ${plan.stateful.phase} begins:`, ...plan.stateful.carryOver.map((step) => `    ${step}`));
    const zones = Object.entries(plan.stateful.zones).map(([blue, green]) => `${blue} → ${green}`);
    out.push(`    zones: ${zones.length ? `${zones.join(', ')}; ` : ''}${plan.stateful.zonesByDefault}`);
  }
  if (plan.metricChecks?.length) {
    out.push('  metric checks');
    for (const c of plan.metricChecks) {
      out.push(`    ${c.name}: ${c.source}, over ${c.window}`);
      out.push(...table(c.phases.map((p) => [p.phase, `fails when ${p.failsWhen}`, `${p.failureThreshold} in a row`, `no data: ${p.noData}`]), '      '));
    }
  }
  out.push(`  finally ${plan.decommission.deleteBlueCluster ? `delete blue cluster ${plan.decommission.deleteBlueCluster}` : 'keep blue cluster'}${plan.decommission.removeRouting ? ', remove blue from routing' : ''}${plan.decommission.keptBecause ? ` (${plan.decommission.keptBecause})` : ''}`);
  out.push(`          ${plan.decommission.steps.join(' → ')}`);
  if (plan.decommission.drain) out.push(`          drain-check: ${plan.decommission.drain}`);
  if (answer.freezes) out.push(...freezeLines(answer.freezes));
  if (plan.decommission.lastDelay) out.push(`          last delay ${plan.decommission.lastDelay} after the decommission gate (cutover keep-blue cancels it)`);
  return out.join('\n');
}

const SEVERITIES = ['blocking', 'warning', 'info'] as const;

/** The dry run's answer: its findings by severity, the weights the routing serves, how each check ended. */
export function renderInspection(i: NonNullable<PlanBody['inspection']>, paint = PLAIN): string {
  const out = [`inspection ${i.workflowId} (read-only, took ${humanDuration(i.tookMs)})`];
  for (const severity of SEVERITIES) {
    const found = i.findings.filter((f) => f.severity === severity);
    if (!found.length) continue;
    out.push(`  ${paint.severity(severity)} (${found.length})`, ...table(found.map((f) => [f.source, f.message]), '    '));
  }
  if (!i.findings.length) out.push('  no findings');
  out.push(`  weights ${i.weights ? i.weights.map((w) => `blue ${w.blue} % green ${w.green} %`).join('; ') : 'not read'}`);
  out.push('  checks', ...table(i.checks.map((c) => [c.name, c.state, `${c.durationMs} ms`]), '    '));
  return out.join('\n');
}

/** The earliest time each step could run given the change freezes, and what the estimate assumes. */
function freezeLines(f: NonNullable<PlanBody['freezes']>): string[] {
  const at = (iso: string) => iso.replace('T', ' ').slice(0, 16) + ' UTC';
  const held = (h: { heldBy?: { window: string; until: string }[] }) => (h.heldBy?.length ? `  (held by ${h.heldBy.map((w) => `${w.window} until ${at(w.until)}`).join(', then ')})` : '');
  const out = ['  change freezes: the earliest each could run'];
  out.push(...table(f.steps.map((s) => [`${s.index}.`, at(s.earliest), held(s).trim()]), '    '));
  if (f.decommission) out.push(`    decommission  ${at(f.decommission.earliest)}${held(f.decommission)}`);
  if (f.note) out.push(`    ${f.note}`);
  out.push(`    assuming ${f.assumes}`);
  return out;
}

/** A migration's whole audit, one line per entry, oldest first: full times (an audit spans days), and each entry's details as compact JSON. */
export function renderAudit(id: string, entries: AuditEntry[]): string {
  if (!entries.length) return `${id}: no audit entries`;
  const rows = [['AT', 'ACTOR', 'ACTION', 'REASON', 'DETAILS']];
  for (const e of entries) rows.push([e.at, e.actor, e.action, e.reason, e.detail ? JSON.stringify(e.detail) : '']);
  return [`audit of ${id} (${entries.length} entries)`, ...table(rows)].join('\n');
}
