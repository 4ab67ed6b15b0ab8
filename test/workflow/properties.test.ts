// Random sequences of what people, the clock, the health watcher and a flaky cloud do to a
// migration; after every step the migration's invariants must hold (check-invariants.ts).
// People approve under the spec's approval policies (2 of a group for some gates, drawn per
// sequence), as themselves with their groups: the starter, repeats, people outside the groups;
// they step back (to plan weights, the step before, or weights no step names) and promote; a
// company-wide change freeze opens around the current time and is lifted. The test tells the
// invariants which windows it set (server time) and which rollbacks it sent where one applies.
// CUTOVER_PROPERTY_RUNS sets the number of sequences (default 25, about 2½ minutes alone on 2
// cores); the seed is printed first and a failure prints the sequence with its seed and path,
// CUTOVER_PROPERTY_SEED replays them and with CUTOVER_PROPERTY_PATH just the failing one. A step that takes over a minute prints what its run is stuck on (Run.diagnose).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BEFORE_TRAFFIC, ROLLBACK_PHASES, type AuditEvent, type MigrationStatus, type Phase } from '../../workflows/model.js';
import type { ApprovalPolicy } from '../../workflows/spec.js';
import { brokenInvariants, type Expectations, type FreezeSet } from './check-invariants.js';
import type { MockedActivities } from './fake-cloud.js';
import { APPROVERS, baseSpec, NoAnswerError, refusal, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const TERMINAL: Phase[] = ['completed', 'aborted', 'cancelled', 'failed'];
const RUNS = Number(process.env.CUTOVER_PROPERTY_RUNS ?? 25);
const people = [...APPROVERS, STARTER];
/** Who may act, with their groups: dave is in both groups, erin in none, the starter a lead. */
const GROUPS: Record<string, string[]> = {
  [APPROVERS[0]]: ['leads', 'sre'],
  [APPROVERS[1]]: ['leads'],
  [APPROVERS[2]]: ['sre'],
  'dave@example': ['leads', 'sre'],
  'erin@example': [],
  [STARTER]: ['leads'],
};
const voters = Object.keys(GROUPS);
const MINUTE = 60_000;

type Command =
  | { kind: 'approve'; decision: 'approve' | 'reject'; actor: string; gate: string | null; groups?: string[] }
  | { kind: 'approve-eligible' }
  | { kind: 'step-back'; actor: string; weight?: number }
  | { kind: 'promote'; actor: string }
  | { kind: 'freeze'; minutesBefore: number; minutesAfter: number }
  | { kind: 'thaw' }
  | { kind: 'advance'; duration: string }
  | { kind: 'rollback'; actor: string }
  | { kind: 'pause' | 'resume' | 'retry' | 'abort' | 'cancel' | 'cancel-workflow' | 'slow-dns' }
  | { kind: 'breach' }
  | { kind: 'fault'; activity: keyof MockedActivities; times: number; afterEffect: boolean; nonRetryable: boolean };

const rarely = fc.integer({ min: 0, max: 5 }).map((n) => n === 0);
const faultable: (keyof MockedActivities)[] = [
  'preflight',
  'checkRouting',
  'provisionGreen',
  'greenCreatedBy',
  'validateGreen',
  'checkGreenTargets',
  'setWeights',
  'waitWeightsApplied',
  'readWeights',
  'removeBlueRouting',
  'deleteBlueLoadBalancers',
  'waitBlueLoadBalancersGone',
  'deleteNodegroups',
  'deleteCluster',
  'notify',
];

/** Commands with weights for [calm, chaotic] sequences: calm ones mostly approve and let time pass. */
const commands: [number, number, fc.Arbitrary<Command>][] = [
  [3, 2, fc.record({ kind: fc.constant('approve' as const), decision: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'reject' as const), actor: fc.constantFrom(...people, ...APPROVERS), gate: fc.option(fc.constantFrom<string>('cutover', 'step-2', 'decommission'), { freq: 8 }) as fc.Arbitrary<string | null> })],
  // Approvals by many people under the spec's policies (with their groups, as the API sends them): the starter, repeats, people outside the groups.
  [6, 4, fc.record({ kind: fc.constant('approve' as const), decision: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'approve' as const, 'reject' as const), actor: fc.constantFrom(...voters), gate: fc.option(fc.constantFrom<string>('cutover', 'step-2', 'step-3', 'step-4', 'decommission', 'promote'), { freq: 6 }) as fc.Arbitrary<string | null>, groups: fc.constant(undefined) }).map((c) => ({ ...c, groups: GROUPS[c.actor] }))],
  // Someone the pending gate's policy lets approve does (so the sequence gets to shifting, where step-back and promote apply).
  [8, 4, fc.record({ kind: fc.constant('approve-eligible' as const) })],
  // Step-back to a plan step, to none (the step before), or to weights no step names.
  [2, 3, fc.record({ kind: fc.constant('step-back' as const), actor: fc.constantFrom(...voters), weight: fc.option(fc.constantFrom(0, 20, 50, 80, 100, 35, -10, 150), { nil: undefined, freq: 3 }) })],
  [2, 2, fc.record({ kind: fc.constant('promote' as const), actor: fc.constantFrom(...voters) })],
  // A company-wide freeze window around the current time, or none any more.
  [2, 2, fc.record({ kind: fc.constant('freeze' as const), minutesBefore: fc.constantFrom(0, 5, 90), minutesAfter: fc.constantFrom(1, 30, 180, 600) })],
  [1, 1, fc.record({ kind: fc.constant('thaw' as const) })],
  [10, 6, fc.record({ kind: fc.constant('advance' as const), duration: fc.constantFrom('10m', '2h', '1 day', '4 days') })],
  [1, 3, fc.record({ kind: fc.constant('rollback' as const), actor: fc.constantFrom(...people) })],
  [1, 4, fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'retry' as const, 'abort' as const, 'slow-dns' as const) })],
  [0, 1, fc.record({ kind: fc.constantFrom('cancel' as const, 'cancel-workflow' as const) })],
  [1, 2, fc.record({ kind: fc.constant('breach' as const) })],
  [
    2,
    2,
    fc.record({
      kind: fc.constant('fault' as const),
      activity: fc.constantFrom(...faultable),
      times: fc.integer({ min: 1, max: 2 }),
      afterEffect: fc.boolean(),
      nonRetryable: rarely,
    }),
  ],
];
const sequence = (mood: 0 | 1) =>
  fc.array(fc.oneof(...commands.filter((c) => c[mood] > 0).map((c) => ({ weight: c[mood], arbitrary: c[2] }))), { minLength: 8, maxLength: 30, size: 'max' });

const scenario = fc.record({
  stepApproval: fc.constantFrom('auto' as const, 'manual' as const),
  onBreach: fc.constantFrom('rollback' as const, 'pause' as const, 'notify' as const),
  mode: fc.constantFrom('create' as const, 'adopt' as const),
  deleteOnCancel: fc.boolean(),
  // A bake over a daily peak window: the bake also waits for it, missing it while paused or breached.
  bakeOverPeaks: fc.boolean(),
  preflightBlocks: rarely,
  // Approval policies of the spec: 2 of a group for some gates (absent: the defaults).
  policies: fc.record({
    cutover: fc.constantFrom<ApprovalPolicy | undefined>(undefined, { required: 2, groups: ['leads'] }),
    step: fc.constantFrom<ApprovalPolicy | undefined>(undefined, { required: 2 }, { groups: ['sre'] }),
    promote: fc.constantFrom<ApprovalPolicy | undefined>(undefined, { required: 2, groups: ['leads', 'sre'] }),
    decommission: fc.constantFrom<ApprovalPolicy | undefined>(undefined, { required: 2, groups: ['leads', 'sre'] }),
  }),
  validations: fc.array(fc.integer({ min: 0, max: 4 }).map((n) => n > 0), { minLength: 1, maxLength: 3 }), // true = passes
  commands: fc.oneof(sequence(0), sequence(1)),
});

/** Refusals and requests to a closed workflow are part of the game; anything else is a failure. */
async function tolerate(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NoAnswerError) throw err; // its diagnosis may well say "completed"
    if (err instanceof WorkflowUpdateFailedError) return;
    if (/completed|not found|closed/i.test(String((err as Error).message))) return;
    throw err;
  }
}

/** The freeze windows this sequence set (server time), for the freeze invariant. */
async function setFreeze(run: Run, freezes: FreezeSet[], c: Extract<Command, { kind: 'freeze' | 'thaw' }>): Promise<void> {
  const now = await run.call('current time', () => run.env.currentTimeMs());
  for (const f of freezes) f.clearedAt ??= now;
  if (c.kind === 'thaw') {
    run.cloud.freezeCalendars = {};
    return;
  }
  const from = now - c.minutesBefore * MINUTE;
  const to = now + c.minutesAfter * MINUTE;
  const iso = (ms: number) => new Date(ms).toISOString();
  run.cloud.freezeCalendars = { company: { companyWide: true, windows: [{ name: 'property-freeze', reason: 'property test freeze', timeZone: 'UTC', from: iso(from), to: iso(to) }] } };
  freezes.push({ from, to, setAt: now });
}

async function apply(run: Run, c: Command, freezes: FreezeSet[] = []): Promise<void> {
  switch (c.kind) {
    case 'approve': {
      const gate = c.gate ?? (await run.status()).pendingGate?.gate ?? 'cutover';
      return tolerate(c.groups ? run.approveAs(gate as never, c.actor, c.groups, c.decision) : run.approve(gate as never, c.actor, c.decision));
    }
    case 'approve-eligible': {
      const status = await run.status();
      if (!status.pendingGate) return;
      const { actor, groups } = eligible(status, 0);
      return tolerate(run.approveAs(status.pendingGate.gate, actor, groups));
    }
    case 'step-back':
      return tolerate(run.stepBack(c.actor, 'property test step-back', c.weight));
    case 'promote':
      return tolerate(run.promote(c.actor, GROUPS[c.actor]));
    case 'freeze':
    case 'thaw':
      return setFreeze(run, freezes, c);
    case 'advance':
      run.cloud.releaseInsync(); // time passing lets DNS catch up (a held wait also holds the clock)
      await run.settle();
      return run.advance(c.duration);
    case 'rollback':
      return tolerate(run.rollback(c.actor, 'property test'));
    case 'pause':
    case 'resume':
    case 'retry':
    case 'abort':
      return tolerate(run[c.kind](STARTER));
    case 'cancel':
      return tolerate(run.cancel(STARTER));
    case 'cancel-workflow':
      return tolerate(run.cancelWorkflow());
    case 'slow-dns':
      run.cloud.holdInsync = (w) => w.green > 0;
      return;
    case 'breach':
      await run.breach('property test breach');
      return;
    case 'fault': {
      run.cloud.fail(c.activity, { times: c.times, afterEffect: c.afterEffect, nonRetryable: c.nonRetryable });
      return;
    }
  }
}

type Seen = Partial<MigrationStatus> & Pick<MigrationStatus, 'phase' | 'weights'>;

/**
 * Whether a rollback sent now must be accepted: a phase of ROLLBACK_PHASES, not held before any
 * traffic moved, blue's retirement not begun (decommission progress or a routing removal asked
 * for), no cancel asked for.
 */
function rollbackApplies(run: Run, s: Seen, cancelAsked: boolean): boolean {
  if (!ROLLBACK_PHASES.includes(s.phase) || cancelAsked) return false;
  if (s.phase === 'needs-attention' && !!s.attention && BEFORE_TRAFFIC.includes(s.attention.phase) && s.weights.green === 0) return false;
  return !s.decommission && run.cloud.calls('removeBlueRouting').length === 0;
}

/** Someone the pending gate's policy lets approve (its groups, not excluded), else alice or bob. */
function eligible(s: Seen, i: number): { actor: string; groups: string[] } {
  const may = s.pendingGate?.mayApprove;
  const actor = may && voters.find((v) => v !== STARTER && !may.except.includes(v) && (!may.groups || may.groups.some((g) => GROUPS[v].includes(g))));
  return actor ? { actor, groups: GROUPS[actor] } : { actor: APPROVERS[i % 2], groups: GROUPS[APPROVERS[i % 2]] };
}

/**
 * Runs one step; one that has not finished within a minute prints what its run is stuck on
 * each minute, and fails after five (each call to the server has its own deadline too).
 */
async function watched<T>(run: Run, what: string, fn: () => Promise<T>): Promise<T> {
  const since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(async () => {
      const seconds = Math.round((Date.now() - since) / 1000);
      const report = `property test: sequence ${sequences}, step ${what} still running after ${seconds} s\n  ${await run.diagnose()}`;
      if (seconds >= 300) reject(new Error(report));
      else console.error(report);
    }, 60_000);
  });
  try {
    return await Promise.race([fn(), stalled]);
  } finally {
    clearInterval(timer);
  }
}

let sequences = 0;
let steps = 0;
const visited: Partial<Record<Phase, number>> = {}; // in how many sequences each phase was seen
/** What the new invariants had to judge: messages accepted and refused, windows set, rollbacks owed, blue retired under a quorum, forward moves held by a freeze. */
const exercised: Record<string, number> = {};
const tally = (key: string, n = 1) => void (exercised[key] = (exercised[key] ?? 0) + n);
afterAll(() => {
  console.log(`property test: ${sequences} sequences, ${steps} steps checked; sequences per phase seen ${JSON.stringify(visited)}`);
  console.log(`property test: exercised ${JSON.stringify(exercised)}`);
  // What a sequence costs: this process (test, worker, workflows) and the test servers it ran.
  const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const hz = 100;
  const own = (Number(stat[11]) + Number(stat[12])) / hz;
  const servers = (Number(stat[13]) + Number(stat[14])) / hz;
  console.log(`property test: CPU ${own.toFixed(1)} s in this process, ${servers.toFixed(1)} s in the test servers`);
});

it(`keeps the migration's invariants under ${RUNS} random sequences of messages, faults and health verdicts`, { timeout: Math.max(900_000, RUNS * 60_000) }, async () => {
  const seed = process.env.CUTOVER_PROPERTY_SEED ? Number(process.env.CUTOVER_PROPERTY_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`property test: seed ${seed} (CUTOVER_PROPERTY_SEED replays it)`);
  await fc.assert(
    fc.asyncProperty(scenario, async (sc) => {
      sequences++;
      const began = Date.now();
      const spec = baseSpec();
      spec.traffic.stepApproval = sc.stepApproval;
      spec.health!.onBreach = sc.onBreach;
      spec.health!.interval = '6h'; // fewer clock steps per skipped day (see Run.advance)
      // Fewer reminders (4h by default: 250 events per 4 days at a gate), so the history stays
      // short and the queries on a closed run, which replay all of it, stay quick.
      spec.approvals = { ...spec.approvals!, reminderInterval: '1 day' };
      for (const [kind, policy] of Object.entries(sc.policies)) if (policy) spec.approvals[kind as keyof typeof sc.policies] = policy;
      spec.green.mode = sc.mode;
      spec.green.deleteOnCancel = sc.deleteOnCancel;
      if (sc.bakeOverPeaks) spec.bake = { minimum: '7 days', peaks: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '10:00', to: '12:00', timeZone: 'Europe/Berlin' }] };
      const run = await start({
        spec,
        cloud: (cloud) => {
          if (sc.mode === 'adopt') cloud.clusters.add(spec.green.cluster);
          if (sc.preflightBlocks) cloud.preflightFindings = [{ severity: 'blocking', source: 'insights', message: 'deprecated APIs in use' }];
          cloud.validationFindings = sc.validations.map((ok) => (ok ? [] : [{ severity: 'blocking', source: 'drift', message: 'configmap only in blue' }]));
        },
      });
      try {
        const expected: Required<Expectations> = { freezes: [], rollbacksOwed: [], starter: STARTER };
        let cancelAsked = false;
        let audit: AuditEvent[] = [];
        let audited = -1;
        const check = async (after: string) => {
          await run.settle();
          // A query on a closed run replays its whole history (seconds, under load): its result
          // says the same. Queries go one at a time.
          const closed = (await run.describe()).status.name !== 'RUNNING';
          const status: Partial<MigrationStatus> & Pick<MigrationStatus, 'phase' | 'weights'> = closed
            ? await run.result().catch((err: unknown) => {
                if (err instanceof WorkflowFailedError) return { phase: 'failed' as const, weights: run.cloud.routing };
                throw err;
              })
            : await run.status();
          // The trail only needs reading again when the cloud changed (queries are the slow part).
          if (run.cloud.mutations().length !== audited || TERMINAL.includes(status.phase)) {
            audit = await run.audit();
            audited = run.cloud.mutations().length;
          }
          const broken = brokenInvariants(run.cloud, spec, status, audit, expected);
          expect(broken, `after ${after} (phase ${status.phase})`).toEqual([]);
          return status;
        };
        const seen = new Set<Phase>();
        let status = await watched(run, 'start', () => check('start'));
        let step = 0;
        for (const c of sc.commands) {
          seen.add(status.phase);
          if (TERMINAL.includes(status.phase)) break;
          const before = status;
          status = await watched(run, `${++step} ${JSON.stringify(c)} (phase ${status.phase})`, async () => {
            const sentFrom = run.cloud.log.length;
            await apply(run, c, expected.freezes);
            if (c.kind === 'cancel' || c.kind === 'cancel-workflow') cancelAsked = true;
            if (c.kind === 'rollback' && rollbackApplies(run, before, cancelAsked)) {
              const index = run.cloud.log.findIndex((e, i) => i >= sentFrom && e.kind === 'message' && e.name === 'rollback');
              if (index >= 0) expected.rollbacksOwed.push({ index, phase: before.phase });
            }
            return check(JSON.stringify(c));
          });
          steps++;
        }
        // Then everyone cooperates until the migration ends (25 turns: gates under a policy of 2
        // take two approvals each), so the later phases (and blue's
        // deletion) are reached after whatever the random prefix did.
        for (let i = 0; i < 25 && !TERMINAL.includes(status.phase); i++) {
          seen.add(status.phase);
          // A paused migration is resumed first: a choice it already took waits for the resume.
          const held = status.phase === 'needs-attention' && !status.paused;
          const retiring = held && (await run.audit()).some((e) => e.action === 'remove-blue-routing');
          if (retiring) {
            // Blue's routing removal was asked for: no way back to blue, a retry finishes.
            status = await watched(run, `${++step} retry of a held decommission`, async () => {
              run.cloud.clearFaults(); // a person fixed what was broken
              expect((await refusal(run.rollback(STARTER, 'held: property test', true))).message).toMatch(/retirement began/);
              await run.retry(STARTER);
              return check('retry of a held decommission');
            });
            steps++;
            continue;
          }
          if (held && !!status.attention && BEFORE_TRAFFIC.includes(status.attention.phase) && status.weights.green === 0) {
            // Held before any weight moved: nothing to roll back (refused, saying so); abort ends it on blue.
            status = await watched(run, `${++step} abort of a migration held before traffic`, async () => {
              expect((await refusal(run.rollback(STARTER, 'held: property test', true))).message).toMatch(/nothing to roll back/);
              await run.abort(STARTER);
              const after = await check('abort of a migration held before traffic');
              expect(after.phase, 'a migration held before traffic aborted').toBe('aborted');
              expect(run.cloud.routing, 'a migration held before traffic aborted').toEqual({ blue: 100, green: 0 });
              return after;
            });
            steps++;
            continue;
          }
          if (held) {
            // Every other held migration can be rolled back, and then carries 100 % on blue.
            status = await watched(run, `${++step} rollback of a held migration`, async () => {
              run.cloud.clearFaults(); // a person fixed what was broken
              run.cloud.releaseInsync();
              await run.rollback(STARTER, 'held: property test', true);
              const after = await check('rollback of a held migration');
              expect(after.phase, 'a held migration rolled back').toBe('rolled-back');
              expect(run.cloud.routing, 'a held migration rolled back').toEqual({ blue: 100, green: 0 });
              return after;
            });
            steps++;
            continue;
          }
          const c: Command = status.paused
            ? { kind: 'resume' }
            : status.phase === 'rolled-back'
              ? { kind: 'retry' }
              : status.pendingGate?.gate === 'preflight-override'
                ? { kind: 'approve', decision: 'approve', actor: APPROVERS[i % 2], gate: 'preflight-override' }
                : status.pendingGate
                ? { kind: 'approve', decision: 'approve', gate: status.pendingGate.gate, ...eligible(status, i) }
                : { kind: 'advance', duration: '4 days' };
          status = await watched(run, `${++step} ${JSON.stringify(c)} (cooperative end, phase ${status.phase})`, async () => {
            await apply(run, c, expected.freezes);
            return check(`${JSON.stringify(c)} (cooperative end)`);
          });
          steps++;
        }
        seen.add(status.phase);
        for (const e of run.cloud.log) if (e.kind === 'message' && ['approve', 'step-back', 'promote', 'rollback'].includes(e.name)) tally(`${e.name} ${e.accepted ? 'accepted' : 'refused'}`);
        tally('freeze windows set', expected.freezes.length);
        tally('rollbacks owed', expected.rollbacksOwed.length);
        if (run.cloud.mutations().some((m) => m.what === 'remove-blue-routing')) tally('blue retired');
        if (run.cloud.calls('notify').some((n) => (n.input as { event: string }).event === 'freeze')) tally('sequences held by a freeze');
        console.log(`property test: sequence ${sequences}: ${step} steps, ended ${status.phase}, ${((Date.now() - began) / 1000).toFixed(1)} s`);
        for (const p of seen) visited[p] = (visited[p] ?? 0) + 1;
      } finally {
        await run.close();
      }
    }),
    { numRuns: RUNS, seed, path: process.env.CUTOVER_PROPERTY_PATH, endOnFailure: true, verbose: 1 },
  );
});
