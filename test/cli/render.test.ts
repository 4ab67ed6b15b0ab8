// The CLI's pure parts: reading an event stream in arbitrary chunks, and what a person sees.
import { describe, expect, it } from 'vitest';
import type { PlanBody, StatusBody } from '../../api/schemas.js';
import { COLOUR, PLAIN, wantsColour } from '../../cli/colour.js';
import { humanDuration, progressLine, renderInspection, renderList, renderPlan, renderStatus, type ListItem } from '../../cli/render.js';
import { readEvents } from '../../cli/sse.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

describe('readEvents', () => {
  it('parses events split anywhere, skipping heartbeats, keeping the last retry', async () => {
    const text = 'retry: 3000\n\nevent: status\nid: 1\ndata: {"a":1}\n\n: heartbeat 12:00\n\nevent: end\r\ndata: {"b":\r\ndata: 2}\r\n\r\n';
    const chunked = text.match(/.{1,7}/gs)!;
    const events = [];
    for await (const e of readEvents(streamOf(chunked))) events.push(e);
    expect(events).toEqual([
      { event: 'status', data: '{"a":1}', id: '1', retry: 3000 },
      { event: 'end', data: '{"b":\n2}', id: undefined, retry: 3000 },
    ]);
  });
});

const status: StatusBody = {
  id: 'migration-us-east-1-blue',
  phase: 'baking',
  workflowStatus: 'RUNNING',
  paused: false,
  weights: { blue: 0, green: 100 },
  step: { index: 3, of: 3, greenWeight: 100 },
  findings: [{ severity: 'warning', source: 'smoke', message: 'no smoke checks configured' }],
  timers: [{ name: 'bake', firesAt: '2026-01-08T12:00:00.000Z' }],
  health: { watching: true, lastVerdict: 'healthy' },
  greenCreatedByMigration: true,
  blueDeleted: false,
  startedBy: 'ops@sandbox',
  audit: [{ at: '2026-01-01T11:59:00.000Z', actor: 'alice@sandbox', action: 'gate-approve', reason: 'go' }],
  plan: { phases: ['baking'], steps: [], gates: ['cutover'], timers: [], decommission: { removeRouting: true, steps: ['remove-blue-routing'] } },
  activities: [],
  links: { temporalUi: 'http://ui/namespaces/default/workflows/migration-us-east-1-blue' },
};

describe('rendering', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');

  it('counts timers down in two units', () => {
    expect(humanDuration(7 * 86_400_000)).toBe('7d 00h');
    expect(humanDuration(3_725_000)).toBe('1h 02m');
    expect(humanDuration(65_000)).toBe('1m 05s');
    expect(humanDuration(-5)).toBe('0s');
  });

  it('shows a status as a table a person can read', () => {
    const text = renderStatus(status, now);
    expect(text).toContain('migration-us-east-1-blue  (RUNNING)');
    expect(text).toMatch(/weights\s+blue 0 %\s+green 100 %\s+\[#{20}\]/);
    expect(text).toMatch(/step\s+3\/3 \(green 100 %\)/);
    expect(text).toMatch(/timer\s+bake fires in 7d 00h/);
    expect(text).toMatch(/warning\s+smoke\s+no smoke checks configured/);
    expect(text).toMatch(/alice@sandbox\s+gate-approve\s+go/);
  });

  it("shows how far decommissioning got, step by step, where it is held", () => {
    const held: StatusBody = {
      ...status,
      phase: 'needs-attention',
      decommission: {
        steps: [
          { step: 'remove-blue-routing', status: 'done' },
          { step: 'delete-load-balancers', status: 'failed' },
          { step: 'delete-cluster', status: 'pending' },
        ],
      },
    };
    expect(renderStatus(held, now)).toMatch(/decommission\s+remove-blue-routing done → delete-load-balancers failed → delete-cluster pending/);
    expect(renderStatus(status, now)).not.toMatch(/decommission/);
  });

  it("shows the drain check's last reading of blue's traffic against its threshold", () => {
    const drain = { drained: false, value: 42, below: 1, window: '5m', source: 'Prometheus main: sum(rate(requests[{{window}}]))', reason: '42 is not below 1', at: new Date(now).toISOString() };
    const held: StatusBody = { ...status, phase: 'needs-attention', decommission: { steps: [{ step: 'drain-check', status: 'failed' }], drain } };
    expect(renderStatus(held, now)).toMatch(/blue drain\s+not drained: 42, below 1 for 5m \(Prometheus main: sum\(rate\(requests\[\{\{window\}\}\]\)\)\), read .*; 42 is not below 1/);
  });

  it("shows the step's observed share of traffic against its weight", () => {
    const observedShare = { intended: 50, observed: 20, tolerance: 10, within: false, source: 'green: Prometheus main: g; blue: Prometheus main: b', reason: 'green carries 20 %', at: now.toISOString() };
    const held: StatusBody = { ...status, phase: 'needs-attention', step: { index: 2, of: 3, greenWeight: 50, observedShare } };
    expect(renderStatus(held, now)).toMatch(/observed share\s+intended 50 %, observed 20 %: not within 10 points \(green: Prometheus main: g; blue: Prometheus main: b\), read .*; green carries 20 %/);
  });

  it("shows each metric check's last reading: the numbers, the rule and how many failed in a row", () => {
    const checks: StatusBody['health']['checks'] = [
      { check: 'p99-vs-blue', outcome: 'fail', phase: 'shifting', value: 0.9, blue: 0.5, above: 0.6, failsWhen: 'green > blue + 20 %', window: '5m', consecutiveFailures: 1, failureThreshold: 3, at: now.toISOString() },
      { check: 'errors', outcome: 'no-data', phase: 'shifting', failsWhen: 'value > 0.01', window: '5m', reason: 'the query found no data for green', consecutiveFailures: 0, failureThreshold: 3, at: now.toISOString() },
    ];
    const text = renderStatus({ ...status, health: { watching: true, checks } }, now);
    expect(text).toMatch(/metric\s+p99-vs-blue: fail 0.9 \(blue 0.5\); fails when green > blue \+ 20 % over 5m; 1\/3 failed in a row/);
    expect(text).toMatch(/metric\s+errors: no-data no data \(the query found no data for green\); fails when value > 0.01 over 5m; 0\/3 failed in a row/);
  });

  it('shows the activities the migration waits on, one that keeps failing prominently with its attempt, since when and its last error', () => {
    const retrying = {
      activity: 'preflight',
      state: 'waiting-to-retry' as const,
      attempt: 7,
      since: '2026-01-01T11:40:00.000Z',
      lastError: 'getaddrinfo ENOTFOUND eks.us-east-1.amazonaws.com',
      lastFailedAt: '2026-01-01T11:59:50.000Z',
      nextAttemptAt: '2026-01-01T12:00:20.000Z',
    };
    const waiting = { activity: 'waitClusterActive', state: 'running' as const, attempt: 1, since: '2026-01-01T11:55:00.000Z' };
    const text = renderStatus({ ...status, phase: 'preflight', activities: [retrying, waiting] }, now);
    expect(text).toMatch(/RETRYING\s+preflight: attempt 7 since \d\d:40:00, last error: getaddrinfo ENOTFOUND eks\.us-east-1\.amazonaws\.com; next attempt \d\d:00:20/);
    expect(text).toMatch(/activity\s+waitClusterActive: running since \d\d:55:00/);
    const line = progressLine({ ...status, phase: 'preflight', activities: [retrying, waiting] }, now);
    expect(line).toMatch(/RETRYING preflight: attempt 7 since \d\d:40:00, last error: getaddrinfo ENOTFOUND/);
    expect(line).not.toContain('waitClusterActive');
  });

  it('prints one progress line per change for pipes', () => {
    expect(progressLine({ ...status, phase: 'shifting', pendingGate: { gate: 'step-2', since: now.toISOString() } }, now)).toMatch(
      /phase shifting\s+blue 0\/green 100\s+step 3\/3\s+waiting for gate step-2\s+bake fires in 7d 00h/,
    );
  });

  it('shows the wait the workflow sits out: what, why and how long is left, or how long so far when its end is unknown', () => {
    const ttl = { what: 'TTL 300 s of app.example.com. CNAME, after the routing serves blue 80 green 20', since: now.toISOString(), seconds: 300, until: '2026-01-01T12:05:00.000Z' };
    expect(renderStatus({ ...status, phase: 'shifting', waiting: ttl }, new Date('2026-01-01T12:01:00.000Z'))).toMatch(
      /waiting\s+TTL 300 s of app\.example\.com\. CNAME, after the routing serves blue 80 green 20 \(4m 00s left, until [^)]+\)/,
    );
    const insync = { what: 'until Route 53 reports the change INSYNC: blue 80 green 20', since: '2026-01-01T11:59:30.000Z' };
    expect(progressLine({ ...status, phase: 'shifting', waiting: insync }, now)).toContain('waiting: until Route 53 reports the change INSYNC: blue 80 green 20 (for 30s so far)');
  });

  it("shows a plan with what each step waits for once its weights are written", () => {
    const step = { weights: { blue: 80, green: 20 }, observe: '10m', applied: "Route 53 reports the change INSYNC, then the records' TTL as Route 53 holds it" };
    const text = renderPlan({
      id: 'migration-us-east-1-blue',
      plan: { phases: ['shifting'], steps: [{ index: 1, ...step }], gates: ['cutover'], timers: [], decommission: { removeRouting: true, steps: ['remove-blue-routing'] } },
      links: status.links,
    } as PlanBody);
    expect(text).toContain("each step, once the weights are written, waits until Route 53 reports the change INSYNC, then the records' TTL as Route 53 holds it");
    expect(text).not.toContain('observe window, until');

    const observedShare = "green's share of traffic within 10–30 % over 5m (green: g; blue: b), waited for at most 30m";
    const withShare = renderPlan({
      id: 'migration-us-east-1-blue',
      plan: { phases: ['shifting'], steps: [{ index: 1, ...step, observedShare }], gates: ['cutover'], timers: [], decommission: { removeRouting: true, steps: ['remove-blue-routing'] } },
      links: status.links,
    } as PlanBody);
    expect(withShare).toContain(`then, before its observe window, until\n    1. ${observedShare}`);
    const overridden = renderPlan({
      id: 'migration-us-east-1-blue',
      plan: { phases: ['provisioning'], steps: [], gates: ['cutover'], timers: [], greenOverrides: ['nodegroups.*.amiType: AL2023_x86_64_STANDARD'], decommission: { removeRouting: true, steps: ['remove-blue-routing'] } },
      links: status.links,
    } as PlanBody);
    expect(overridden).toContain("green   blue's copy at the target, except\n    nodegroups.*.amiType: AL2023_x86_64_STANDARD");
    expect(text).not.toContain("blue's copy");
  });

  it("shows the carry-over of blue's volumes: the plan's steps and zones, the status' claims, the snapshots' progress", () => {
    const text = renderPlan({
      id: 'migration-us-east-1-blue',
      plan: {
        phases: ['validating'],
        steps: [],
        gates: ['stateful', 'cutover'],
        timers: [],
        stateful: { phase: 'validating', carryOver: ['claims: shop/data-db-0', 'quiesce: gate stateful'], zones: { 'us-east-1a': 'us-east-1b' }, zonesByDefault: 'a zone not mapped maps to itself' },
        decommission: { removeRouting: true, steps: ['remove-blue-routing'] },
      },
      links: status.links,
    } as PlanBody);
    expect(text).toContain('  stateful  carried over as validating begins:\n    claims: shop/data-db-0\n    quiesce: gate stateful\n    zones: us-east-1a → us-east-1b; a zone not mapped maps to itself');
    const carrying = renderStatus(
      {
        ...status,
        phase: 'validating',
        stateful: { step: 'snapshots', scaled: [{ workload: 'shop/StatefulSet/db', replicas: 3 }], claims: [{ claim: 'shop/data-db-0', volumeId: 'vol-1', zone: 'us-east-1a', greenZone: 'us-east-1b', sizeGiB: 10, encrypted: true, snapshotId: 'snap-1' }] },
        activities: [{ activity: 'snapshotBlueVolumes', state: 'running', attempt: 1, since: '2026-01-01T11:59:00.000Z', progress: [{ claim: 'shop/data-db-0', progress: '40%', state: 'pending' }] }],
      },
      now,
    );
    expect(carrying).toMatch(/stateful\s+carry-over snapshots; scaled to 0 in blue: shop\/StatefulSet\/db \(was 3\)/);
    expect(carrying).toContain('shop/data-db-0: vol-1 us-east-1a → us-east-1b; snapshot snap-1');
    expect(carrying).toContain('snapshotBlueVolumes: running since 11:59:00 (shop/data-db-0: 40% pending)');
  });

  it('shows a bake over peaks: the windows still to pass, those that passed, and why one was missed', () => {
    const bake = {
      since: '2026-01-01T12:00:00.000Z',
      minimumEndsAt: '2026-01-02T12:00:00.000Z',
      endsAt: '2026-01-06T10:00:00.000Z',
      windows: [
        { peak: 'mon–fri 09:00–11:00 Europe/Berlin', from: '2026-01-06T08:00:00.000Z', to: '2026-01-06T10:00:00.000Z', passed: false, missed: ['2026-01-05T08:00:00.000Z – 2026-01-05T10:00:00.000Z: health breach'] },
        { peak: 'sat, sun 12:00–14:00 UTC', from: '2026-01-03T12:00:00.000Z', to: '2026-01-03T14:00:00.000Z', passed: true },
      ],
    };
    const text = renderStatus({ ...status, bake }, now);
    expect(text).toMatch(/bake\s+ends 2026-01-06 10:00:00 at the earliest \(minimum until 2026-01-02 12:00:00\)/);
    expect(text).toContain('mon–fri 09:00–11:00 Europe/Berlin: to pass 2026-01-06 08:00:00 – 2026-01-06 10:00:00; missed 1: 2026-01-05T08:00:00.000Z – 2026-01-05T10:00:00.000Z: health breach');
    expect(text).toContain('sat, sun 12:00–14:00 UTC: passed 2026-01-03 12:00:00 – 2026-01-03 14:00:00');
  });
});

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[/;

describe('colour and -o wide', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');
  const gated: StatusBody = { ...status, phase: 'needs-attention', pendingGate: { gate: 'cutover', since: '2026-01-01T11:59:00.000Z' } };

  it('colours the phase, a finding by severity and the pending gate, and keeps the columns aligned', () => {
    const coloured = renderStatus(gated, now, { paint: COLOUR });
    expect(coloured).toContain('  phase         \x1b[31mneeds-attention\x1b[0m\n');
    expect(coloured).toContain('  pending gate  \x1b[1;35mcutover\x1b[0m, waiting 1m 00s');
    expect(coloured).toContain('    \x1b[33mwarning\x1b[0m  smoke');
    // Escape codes take no width: without them, the same text as plain.
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderStatus(gated, now));
    expect(renderStatus(gated, now)).not.toMatch(ESCAPES);
    expect(renderStatus(gated, now, { paint: PLAIN })).not.toMatch(ESCAPES);

    const inspection = { workflowId: 'inspect-1', tookMs: 1000, findings: [{ severity: 'blocking', source: 'eks', message: 'no green' }], checks: [] } as never;
    expect(renderInspection(inspection, COLOUR)).toContain('  \x1b[31mblocking\x1b[0m (1)');
    const plan = { id: 'm', plan: { phases: ['shifting'], steps: [{ index: 1, weights: { blue: 50, green: 50 }, observe: '5m', applied: 'now', approvalGate: 'step-1' }], gates: ['step-1'], timers: [], decommission: { removeRouting: true, steps: [] } }, links: status.links } as unknown as PlanBody;
    expect(renderPlan(plan, COLOUR)).toContain('after gate \x1b[1;35mstep-1\x1b[0m');
    expect(renderPlan(plan)).not.toMatch(ESCAPES);
  });

  it('colours only a terminal, never with NO_COLOR set or --no-color', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: true }, {}, true)).toBe(false);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });

  it('wide: the status adds the plan with this phase marked, its gates and every recent event with details', () => {
    const audit = Array.from({ length: 12 }, (_, i) => ({ at: '2026-01-01T11:00:00.000Z', actor: 'ops@sandbox', action: `act-${i}`, reason: 'r', ...(i === 11 && { detail: { step: 2 } }) }));
    const s = { ...status, audit, plan: { ...status.plan, phases: ['shifting', 'baking', 'frozen'], gates: ['cutover', 'decommission'] } } as StatusBody;
    const narrow = renderStatus(s, now);
    const wide = renderStatus(s, now, { wide: true });
    expect(narrow).not.toMatch(/act-3\b/);
    expect(narrow).not.toMatch(/^ {2}plan/m);
    expect(wide).toMatch(/^ {2}plan\s+shifting → \[baking\] → frozen$/m);
    expect(wide).toMatch(/^ {2}gates\s+cutover, decommission$/m);
    expect(wide).toMatch(/act-0\b/);
    expect(wide).toMatch(/act-11\s+r\s+\{"step":2\}/);
  });

  it('wide: the list adds team, green weight, pending gate, who started it and its age', () => {
    const item = (id: string, phase: string): ListItem => ({ id, phase, workflowStatus: 'RUNNING', blue: 'b', green: 'g', targetVersion: '1.34', startTime: '2026-01-01T10:30:00.000Z', links: status.links as never });
    const items = [item('m-1', 'awaiting-cutover'), item('m-2', 'shifting')];
    const statuses = new Map<string, StatusBody | undefined>([
      ['m-1', { ...status, phase: 'awaiting-cutover', weights: { blue: 100, green: 0 }, pendingGate: { gate: 'cutover', since: now.toISOString() }, startedBy: 'ops@sandbox' }],
      ['m-2', undefined],
    ]);
    const wide = renderList(items, { statuses }, now).split('\n');
    expect(wide[0]).toMatch(/^ID\s+PHASE\s+STATUS\s+BLUE → GREEN\s+TARGET\s+TEAM\s+GREEN %\s+GATE\s+STARTED BY\s+AGE\s+STARTED$/);
    expect(wide[1]).toMatch(/^m-1\s+awaiting-cutover\s+RUNNING\s+b → g\s+1\.34\s+-\s+0\s+cutover\s+ops@sandbox\s+1h 30m\s+10:30:00$/);
    expect(wide[2]).toMatch(/^m-2\s+shifting\s+RUNNING\s+b → g\s+1\.34\s+-\s+\?\s+-\s+\?\s+1h 30m/);
    expect(renderList(items, {}, now).split('\n')[0]).toMatch(/^ID\s+PHASE\s+STATUS\s+BLUE → GREEN\s+TARGET\s+STARTED$/);
    expect(renderList(items, { paint: COLOUR }, now)).toContain('\x1b[36mshifting\x1b[0m');
  });
});
