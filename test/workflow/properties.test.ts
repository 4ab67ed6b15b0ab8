// Random sequences of what people, the clock, the health watcher and a flaky cloud do to a
// migration; after every step the migration's invariants must hold (check-invariants.ts).
// CUTOVER_PROPERTY_RUNS sets the number of sequences (default 25, about 2½ minutes alone on 2
// cores); the seed is printed first and a failure prints the sequence with its seed and path,
// CUTOVER_PROPERTY_SEED replays them and with CUTOVER_PROPERTY_PATH just the failing one. A step that takes over a minute prints what its run is stuck on (Run.diagnose).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BEFORE_TRAFFIC, type AuditEvent, type MigrationStatus, type Phase } from '../../workflows/model.js';
import { brokenInvariants } from './check-invariants.js';
import type { MockedActivities } from './fake-cloud.js';
import { APPROVERS, baseSpec, NoAnswerError, refusal, STARTER, type Run } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const TERMINAL: Phase[] = ['completed', 'aborted', 'cancelled', 'failed'];
const RUNS = Number(process.env.CUTOVER_PROPERTY_RUNS ?? 25);
const people = [...APPROVERS, STARTER];

type Command =
  | { kind: 'approve'; decision: 'approve' | 'reject'; actor: string; gate: string | null }
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
  [10, 6, fc.record({ kind: fc.constant('approve' as const), decision: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'reject' as const), actor: fc.constantFrom(...people, ...APPROVERS), gate: fc.option(fc.constantFrom<string>('cutover', 'step-2', 'decommission'), { freq: 8 }) as fc.Arbitrary<string | null> })],
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

async function apply(run: Run, c: Command): Promise<void> {
  switch (c.kind) {
    case 'approve': {
      const gate = c.gate ?? (await run.status()).pendingGate?.gate ?? 'cutover';
      return tolerate(run.approve(gate as never, c.actor, c.decision));
    }
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
afterAll(() => {
  console.log(`property test: ${sequences} sequences, ${steps} steps checked; sequences per phase seen ${JSON.stringify(visited)}`);
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
          const broken = brokenInvariants(run.cloud, spec, status, audit);
          expect(broken, `after ${after} (phase ${status.phase})`).toEqual([]);
          return status;
        };
        const seen = new Set<Phase>();
        let status = await watched(run, 'start', () => check('start'));
        let step = 0;
        for (const c of sc.commands) {
          seen.add(status.phase);
          if (TERMINAL.includes(status.phase)) break;
          status = await watched(run, `${++step} ${JSON.stringify(c)} (phase ${status.phase})`, async () => {
            await apply(run, c);
            return check(JSON.stringify(c));
          });
          steps++;
        }
        // Then everyone cooperates until the migration ends, so the later phases (and blue's
        // deletion) are reached after whatever the random prefix did.
        for (let i = 0; i < 15 && !TERMINAL.includes(status.phase); i++) {
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
                ? { kind: 'approve', decision: 'approve', actor: APPROVERS[i % 2], gate: status.pendingGate.gate }
                : { kind: 'advance', duration: '4 days' };
          status = await watched(run, `${++step} ${JSON.stringify(c)} (cooperative end, phase ${status.phase})`, async () => {
            await apply(run, c);
            return check(`${JSON.stringify(c)} (cooperative end)`);
          });
          steps++;
        }
        seen.add(status.phase);
        console.log(`property test: sequence ${sequences}: ${step} steps, ended ${status.phase}, ${((Date.now() - began) / 1000).toFixed(1)} s`);
        for (const p of seen) visited[p] = (visited[p] ?? 0) + 1;
      } finally {
        await run.close();
      }
    }),
    { numRuns: RUNS, seed, path: process.env.CUTOVER_PROPERTY_PATH, endOnFailure: true, verbose: 1 },
  );
});
