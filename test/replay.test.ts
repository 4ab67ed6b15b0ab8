// Replays recorded migrations (test/histories/*.json) against the current workflow code: a
// change that would break a running migration fails here as non-determinism. Keep the
// fixtures; a change to what running migrations do goes behind wf.patched() with a new
// scenario recorded with it, or ships as a new worker deployment version.
//
// Recording new fixtures (time-skipping server, mocked activities; a few seconds each):
//   CUTOVER_RECORD_HISTORIES=1 npx vitest run test/replay.test.ts
// writes every scenario below that has no fixture yet (delete a file to record it again).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import * as proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleEdited, OTHER_DEFAULTS } from './edited-bundle.js';
import { APPROVERS, baseSpec, rolledBackAtStep2, STARTER, type Run } from './workflow/harness.js';
import { useRuns } from './workflow/runs.js';

const DIR = fileURLToPath(new URL('./histories/', import.meta.url));

// Histories as the standard protobuf JSON (what `temporal workflow show -o json` prints). Not the
// SDK's historyToJSON/historyFromJSON: in this install @temporalio/common and @temporalio/proto
// each carry their own protobufjs copy, and those helpers fail with "type must be a Type".
type History = proto.temporal.api.history.v1.IHistory;
const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as { toJson(t: unknown, m: unknown): unknown; fromJson(t: unknown, j: unknown): History };
const historyType = (proto as unknown as { lookupType(name: string): { fromObject(o: unknown): unknown } }).lookupType('temporal.api.history.v1.History');
const historyToJSON = (h: History) => JSON.stringify(protojson.toJson(historyType, historyType.fromObject(h)), null, 1);
const historyFromJSON = (json: string): History => protojson.fromJson(historyType, JSON.parse(json));
const [alice, bob, carol] = APPROVERS;

async function shifted(run: Run) {
  await run.until((s) => s.pendingGate?.gate === 'cutover');
  await run.approve('cutover', alice);
  await run.advance('40m');
  await run.until((s) => s.phase === 'baking');
}

/**
 * A retry chosen while paused is taken at once, the next phase waits for the resume, and an
 * abort sent meanwhile: before patch choice-kept-until-next-phase it was accepted and lingered
 * until the next hold, which it ended as aborted with green serving; now it is refused.
 */
async function choiceWhilePaused(start: ReturnType<typeof useRuns>): Promise<Run> {
  const run = await rolledBackAtStep2(start);
  await run.settle(); // rolled back and waiting for a choice: the retry below is taken at once
  await run.pause(STARTER);
  await run.retry(STARTER);
  await run.abort(STARTER).catch(() => undefined); // accepted before the patch, refused after it
  await run.resume(STARTER);
  await run.until((s) => s.pendingGate?.gate === 'cutover');
  run.cloud.fail('setWeights', { times: 1, afterEffect: true, nonRetryable: true });
  await run.approve('cutover', alice);
  const held = await run.until((s) => s.phase === 'needs-attention' || s.phase === 'aborted');
  if (held.phase === 'needs-attention') {
    await run.rollback(bob, 'held: step 1 failed', true);
    await run.abort(STARTER);
  }
  await run.outcome();
  return run;
}

const scenarios: Record<string, { run: (start: ReturnType<typeof useRuns>) => Promise<Run> }> = {
  // Recorded before patch choice-kept-until-next-phase: the lingering abort ends the run at the hold.
  'choice-while-paused-unpatched': { run: choiceWhilePaused },
  // Patch choice-kept-until-next-phase: the abort is refused; the hold waits, is rolled back, then aborted.
  'choice-while-paused': { run: choiceWhilePaused },
  'happy-path': {
    run: async (start) => {
      const run = await start();
      await shifted(run);
      await run.advance('10 days');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', bob);
      await run.outcome();
      return run;
    },
  },
  'rollback-retry': {
    run: async (start) => {
      const run = await rolledBackAtStep2(start);
      await run.retry(STARTER);
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20);
      expect(await run.breach('smoke checks failing')).toBe(true);
      await run.until((s) => s.phase === 'rolled-back');
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  cancel: {
    run: async (start) => {
      const run = await start();
      await shifted(run);
      await run.pause(STARTER);
      await run.cancel(STARTER, 'postponed');
      await run.outcome();
      return run;
    },
  },
  // GitOps around the freeze, zero-length observe windows, a rollback that resumes blue's auto-sync.
  'gitops-rollback-in-freeze': {
    run: async (start) => {
      const spec = { ...baseSpec(), gitops: { argocd: { managementContext: 'mgmt', registerCluster: true } } };
      spec.traffic.observe = '0s';
      const run = await start({ spec });
      await shifted(run);
      await run.advance('7 days');
      await run.until((s) => s.phase === 'frozen');
      await run.rollback(bob, 'latency regression', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Green's targets not ready: the step holds, the migration pauses, a person resumes it.
  'green-targets-pause-resume': {
    run: async (start) => {
      const blocking = { severity: 'blocking' as const, source: 'green-targets', message: 'no healthy target in green-tg' };
      const run = await start({ cloud: (c) => void (c.greenTargetFindings = [[blocking]]) });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.advance('5m');
      await run.until((s) => s.paused);
      run.cloud.greenTargetFindings = [[]];
      await run.resume(STARTER);
      await run.advance('40m');
      await run.until((s) => s.phase === 'baking');
      await run.advance('10 days');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', bob);
      await run.outcome();
      return run;
    },
  },
  // Cancel in the freeze runs the whole saga: auto-sync resumed, green deregistered, then deleted.
  'gitops-cancel-in-freeze': {
    run: async (start) => {
      const run = await start({ spec: { ...baseSpec(), gitops: { argocd: { managementContext: 'mgmt', registerCluster: true } } } });
      await shifted(run);
      await run.advance('7 days');
      await run.until((s) => s.phase === 'frozen');
      await run.cancel(STARTER, 'project stopped');
      await run.outcome();
      return run;
    },
  },
  // Preflight reads the routing (patch preflight-routing); a weight change that fails for good
  // holds the run in needs-attention, a rollback from there puts blue back, then abort.
  'needs-attention-rollback': {
    run: async (start) => {
      const run = await start();
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20);
      run.cloud.fail('setWeights', { times: 1, nonRetryable: true });
      await run.advance('10m');
      await run.until((s) => s.phase === 'needs-attention');
      await run.rollback(bob, 'held at step 2', true);
      await run.until((s) => s.phase === 'rolled-back');
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Decommissioning in steps (patch decommission-steps): blue's load balancers not gone in
  // time hold the run in needs-attention; once they are gone, a retry goes on to the cluster.
  'decommission-held-retry': {
    run: async (start) => {
      const run = await start({ cloud: (c) => void (c.stuckFinalizers = true) });
      await shifted(run);
      await run.advance('10 days');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', bob);
      await run.until((s) => s.phase === 'needs-attention');
      run.cloud.stuckFinalizers = false;
      await run.retry();
      await run.outcome();
      return run;
    },
  },
  // Metric checks (patch metric-checks): a comparison with blue watched in shifting alone, breached with its numbers: rolled back, then aborted.
  'metric-breach-rollback': {
    run: async (start) => {
      const spec = baseSpec();
      spec.health = {
        smoke: [],
        metrics: [{ name: 'p99-vs-blue', prometheus: { query: 'max(p99_seconds{cluster="{{cluster}}"})' }, compareToBlue: { relative: 0.2 } }],
        interval: '2h',
        onBreach: 'rollback',
      };
      const run = await start({ spec });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20 && s.health.watching);
      const check = { check: 'p99-vs-blue', outcome: 'fail' as const, phase: 'shifting' as const, value: 0.9, blue: 0.5, above: 0.6, failsWhen: 'green > blue + 20 %', window: '5m', consecutiveFailures: 3, failureThreshold: 3, at: '2026-12-04T18:00:00.000Z' };
      expect(await run.breach('metric check p99-vs-blue failed', check)).toBe(true);
      await run.until((s) => s.phase === 'rolled-back');
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // GitOps does not converge, bootstrap-override rejected: held (patch bootstrap-reject-holds), then cancelled.
  'bootstrap-reject-held-cancel': {
    run: async (start) => {
      const spec = { ...baseSpec(), gitops: { argocd: { managementContext: 'mgmt', registerCluster: true } } };
      const run = await start({ spec, cloud: (c) => void (c.gitopsReady = false) });
      await run.until((s) => s.pendingGate?.gate === 'bootstrap-override');
      await run.approve('bootstrap-override', alice, 'reject', 'apps must sync first');
      await run.until((s) => s.phase === 'needs-attention');
      await run.cancel(STARTER, 'not this week');
      await run.outcome();
      return run;
    },
  },
  // A bake over peak windows (patch bake-peaks): windows from the local activity, one missed
  // while paused and asked for again, then the freeze, a rollback and an abort.
  'bake-peaks': {
    run: async (start) => {
      const spec = baseSpec();
      spec.bake = { minimum: '1 day', peaks: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '23:00', timeZone: 'Europe/Berlin' }] };
      const run = await start({ spec });
      await shifted(run);
      await run.settle();
      await run.pause(STARTER);
      await run.advance('2 days');
      await run.until((s) => !!s.bake?.windows[0].missed);
      await run.settle();
      await run.resume(STARTER);
      await run.advance('2 days');
      await run.until((s) => s.phase === 'frozen');
      await run.rollback(bob, 'latency regression', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Step 1's share observed, step 2's never within tolerance: held (patch observed-share), rolled back, aborted.
  'observed-share-held-rollback': {
    run: async (start) => {
      const spec = baseSpec();
      const source = { prometheus: { query: 'sum(rate(http_requests_total{cluster="{{cluster}}"}[{{window}}]))' } };
      spec.traffic.observedShare = { green: source, blue: source, tolerance: 5, within: '30m' };
      const run = await start({ spec });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => !!s.waiting?.what.startsWith('observe green at 20%'));
      run.cloud.greenShare = 20;
      await run.settle();
      await run.advance('10m');
      await run.until((s) => s.phase === 'needs-attention');
      await run.rollback(bob, 'traffic does not follow the weights', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Preflight fails for good (patch hold-before-traffic): held, retried once fixed, then
  // cancelled at the cutover gate. Started with the plan fixed in its input.
  'preflight-held-retry': {
    run: async (start) => {
      const run = await start({ cloud: (c) => c.fail('preflight', { times: 1, nonRetryable: true }) });
      await run.until((s) => s.phase === 'needs-attention');
      await run.retry(STARTER);
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.cancel(STARTER, 'not this week');
      await run.outcome();
      return run;
    },
  },
  // Provisioning keeps failing after it made green (patch interruptible-checks): a cancel gives
  // the activity up at once, and the undo deletes green.
  'provisioning-cancel-while-retrying': {
    run: async (start) => {
      const spec = baseSpec();
      spec.green.deleteOnCancel = true;
      const run = await start({ spec, cloud: (c) => c.fail('provisionGreen', { times: 1_000_000, afterEffect: true }) });
      await run.until((s) => s.phase === 'provisioning' && !!s.waiting);
      await run.until(() => run.cloud.calls('provisionGreen').length >= 2);
      await run.cancel(STARTER, 'wrong account');
      await run.outcome();
      return run;
    },
  },
  // A spec that leaves steps and observe to the defaults, its plan fixed at the start: shifted
  // two steps, rolled back, aborted. Replayed below also under other defaults.
  'plan-fixed-defaults': {
    run: async (start) => {
      const spec = baseSpec();
      delete spec.traffic.steps;
      delete spec.traffic.observe;
      const run = await start({ spec });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20);
      await run.settle();
      await run.advance('10m');
      await run.until((s) => s.step?.greenWeight === 50);
      await run.rollback(bob, 'error rate up', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // A company-wide change freeze (patch change-freezes) added while the run waits at its cutover
  // gate holds step 2 until its window ends, then step 2 shifts by itself; rolled back, aborted.
  'freeze-holds-step-2': {
    run: async (start) => {
      const run = await start();
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      const now = await run.env.currentTimeMs();
      const window = { name: 'quarter-close', reason: 'quarter close', timeZone: 'UTC', from: new Date(now + 5 * 60_000).toISOString(), to: new Date(now + 3 * 3600_000).toISOString() };
      run.cloud.freezeCalendars = { company: { companyWide: true, windows: [window] } };
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20);
      await run.settle();
      await run.advance('10m');
      await run.until((s) => !!s.freeze);
      await run.settle();
      await run.advance('3h');
      await run.until((s) => (s.step?.index ?? 0) >= 2);
      await run.settle();
      await run.rollback(bob, 'error rate up after the freeze', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Patch guarded-destroy: a last delay after the decommission gate, cancelled by keep-blue (back
  // to the gate), approved again and run out; blue protected, so kept with its routing removed.
  'guarded-destroy': {
    run: async (start) => {
      const run = await start({
        spec: { ...baseSpec(), decommission: { lastDelay: '1h' } },
        cloud: (cloud) => cloud.protectedClusters.set('prod-blue', 'tag cutover.io/protected=true on EKS cluster prod-blue'),
      });
      await shifted(run);
      await run.advance('10 days');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', bob);
      await run.until((s) => !!s.lastDelay);
      await run.keepBlue(alice, 'keep blue one more week');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', bob);
      await run.until((s) => !!s.lastDelay);
      await run.advance('1h');
      await run.outcome();
      return run;
    },
  },
  'forward-retry-throttled': {
    run: async (start) => {
      const run = await start();
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      run.cloud.fail('setWeights', { times: 4 });
      await run.approve('cutover', alice);
      await run.until((s) => !!s.retrying);
      await run.settle();
      await run.advance('1m');
      await run.until((s) => s.step?.greenWeight === 20);
      await run.rollback(bob, 'throttled step done, rolling back', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Patch governance: cutover 2 of leads, a promote from step 1 to 100 %, a step-back from the
  // bake to 80 % held at gate step-4, then the bake, and decommission by two other people.
  'governance-promote-step-back': {
    run: async (start) => {
      const spec = { ...baseSpec(), bake: '1h', freeze: '1h', approvals: { cutover: { required: 2, groups: ['leads'] } } };
      const run = await start({ spec });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approveAs('cutover', alice, ['leads']);
      await run.approveAs('cutover', bob, ['leads']);
      await run.until((s) => s.step?.greenWeight === 20);
      await run.promote(carol);
      await run.settle();
      await run.advance('10m');
      await run.until((s) => s.weights.green === 100);
      await run.settle();
      await run.advance('10m');
      await run.until((s) => s.phase === 'baking');
      await run.stepBack(carol, 'p99 up in the bake', 80);
      await run.until((s) => s.pendingGate?.gate === 'step-4');
      await run.approve('step-4', alice);
      await run.until((s) => s.weights.green === 100);
      await run.settle();
      await run.advance('10m');
      await run.until((s) => s.phase === 'baking');
      await run.advance('3h');
      await run.until((s) => s.pendingGate?.gate === 'decommission');
      await run.approve('decommission', carol);
      await run.approve('decommission', 'dave@example');
      await run.outcome();
      return run;
    },
  },
  // Patch governance: a cutover gate that expires, escalates, then holds; a retry opens it again.
  'governance-expiry-escalate-hold': {
    run: async (start) => {
      const cutover = { expiresAfter: '1h', onExpiry: 'escalate' as const, escalate: { channel: 'sre', after: '30m', then: 'hold' as const } };
      const run = await start({ spec: { ...baseSpec(), approvals: { cutover } } });
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.advance('1h');
      await run.until((s) => !!s.pendingGate?.escalated);
      await run.settle();
      await run.advance('30m');
      await run.until((s) => s.phase === 'needs-attention');
      await run.retry(STARTER);
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.approve('cutover', alice);
      await run.until((s) => s.step?.greenWeight === 20);
      await run.rollback(bob, 'errors', true);
      await run.abort(STARTER);
      await run.outcome();
      return run;
    },
  },
  // Patch stateful-carry-over: blue's workload scaled to zero and its volume copied before validation; a rollback undoes the copy, a retry copies afresh, a cancel undoes it again.
  'stateful-rollback-retry-cancel': {
    run: async (start) => {
      const run = await start({ spec: { ...baseSpec(), stateful: { quiesce: { mode: 'scale-to-zero', workloads: ['shop/StatefulSet/db'] }, zones: { 'eu-west-1a': 'eu-west-1b' } } } });
      await shifted(run);
      await run.rollback(bob, 'orders look wrong', true);
      await run.settle();
      await run.retry(STARTER);
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.cancel(STARTER, 'postponed');
      await run.outcome();
      return run;
    },
  },
  // Patch stateful-carry-over with gate stateful: a person confirms blue's writes stopped, then the copy.
  'stateful-gate': {
    run: async (start) => {
      const run = await start({ spec: { ...baseSpec(), stateful: { quiesce: { mode: 'gate' } } } });
      await run.until((s) => s.pendingGate?.gate === 'stateful');
      await run.approve('stateful', alice);
      await run.until((s) => s.pendingGate?.gate === 'cutover');
      await run.cancel(STARTER, 'postponed');
      await run.outcome();
      return run;
    },
  },
};

const recording = !!process.env.CUTOVER_RECORD_HISTORIES;

describe.runIf(recording)('recording histories', () => {
  const start = useRuns();
  for (const [name, scenario] of Object.entries(scenarios)) {
    const file = path.join(DIR, `${name}.json`);
    it.skipIf(existsSync(file))(`records ${name}`, async () => {
      const run = await scenario.run(start);
      writeFileSync(file, historyToJSON(await run.handle.fetchHistory()) + '\n');
    });
  }
});

describe.skipIf(recording)('replay', () => {
  const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  const load = (f: string) => historyFromJSON(readFileSync(path.join(DIR, f), 'utf8'));
  const options = () => ({ workflowBundle: { codePath: inject('stack').workflowBundlePath } });

  it('has a fixture for every scenario', () => {
    expect(fixtures.sort()).toEqual(Object.keys(scenarios).map((n) => `${n}.json`).sort());
  });

  it('replays every recorded migration with the current workflow code', async () => {
    const failures: string[] = [];
    const histories = fixtures.map((f) => ({ workflowId: f, history: load(f) }));
    for await (const result of Worker.runReplayHistories(options(), histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it("replays migrations started with a fixed plan unchanged under a later build's other defaults", { timeout: 120_000 }, async () => {
    // Only runs that began with their plan fixed in the input; older ones resolve it on replay.
    const input = (h: History) => JSON.parse(Buffer.from(h.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data!).toString()) as { fixed?: unknown };
    const fixed = fixtures.map((f) => ({ workflowId: f, history: load(f) })).filter((h) => !!input(h.history).fixed);
    expect(fixed.map((h) => h.workflowId)).toContain('plan-fixed-defaults.json');
    const code = await bundleEdited(OTHER_DEFAULTS);
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, fixed)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('notices a history the code would not produce', async () => {
    const history = load('happy-path.json');
    // Pretend the first activity the workflow ran was a different one.
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    scheduled.activityType = { name: 'provisionGreen' };
    await expect(Worker.runReplayHistory(options(), history, 'tampered')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
