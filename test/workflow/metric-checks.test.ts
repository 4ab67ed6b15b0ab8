// Metric checks in the workflow (activities simulated): the watcher runs in the phases a
// check names, is told its phase (whose rule and failure count it applies), and a breach
// carries the check's numbers into the status and the audit before it acts.
import { describe, expect, it } from 'vitest';
import type { WatchHealthInput } from '../../activities/contract.js';
import type { MetricVerdict } from '../../workflows/model.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { APPROVERS, baseSpec, openActivities } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice] = APPROVERS;

const QUERY = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{cluster="{{cluster}}"}[{{window}}])))';

function specWith(metrics: NonNullable<MigrationSpec['health']>['metrics']): MigrationSpec {
  const spec = baseSpec();
  // Metric checks alone: the watcher runs for them even without a smoke check.
  spec.health = { smoke: [], metrics, interval: '2h', failureThreshold: 3, onBreach: 'rollback' };
  return spec;
}

type Run = Awaited<ReturnType<typeof start>>;

/** The input of every watcher the workflow scheduled, in order, from its history. */
async function watcherInputs(run: Run): Promise<WatchHealthInput[]> {
  return (await run.history())
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === 'watchHealth')
    .map((a) => JSON.parse(Buffer.from(a!.input!.payloads![0].data!).toString('utf8')) as WatchHealthInput);
}

/** The phase each watcher was told. */
const watchedPhases = async (run: Run) => (await watcherInputs(run)).map((i) => i.metrics?.phase);

describe('metric checks', () => {
  it('a comparison with blue watches shifting only (blue has no traffic after it); a threshold check every watched phase, each told its own rule', async () => {
    const run = await start({
      spec: specWith([
        { name: 'p99-vs-blue', prometheus: { query: QUERY }, compareToBlue: { relative: 0.2 } },
        { name: 'errors', cloudwatch: { alarm: 'green-5xx' }, phases: { baking: { failureThreshold: 1 }, frozen: { noData: 'fail' } } },
      ]),
    });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    expect(await watcherInputs(run)).toEqual([]); // nothing is watched before traffic moves
    await run.approve('cutover', alice);
    await run.until((s) => s.phase === 'shifting' && s.health.watching, 'watching shifting');
    for (let i = 0; i < 4; i++) {
      await run.settle();
      await run.advance('10m');
    }
    await run.until((s) => s.phase === 'baking', 'baking');
    await run.settle();
    await run.advance('7 days');
    await run.until((s) => s.phase === 'frozen', 'frozen');
    await run.settle();

    expect(await watchedPhases(run)).toEqual(['shifting', 'baking', 'frozen']);
    const input = (await watcherInputs(run))[1];
    expect(input.metrics).toEqual({ phase: 'baking', region: 'eu-west-1', blue: 'prod-blue', green: 'prod-green' });
    const [comparison, alarm] = input.health.metrics!;
    expect(Object.keys(comparison.phases)).toEqual(['shifting']);
    expect(alarm.phases).toEqual({
      baking: { failureThreshold: 1, noData: 'ignore' },
      frozen: { failureThreshold: 3, noData: 'fail' },
    });
  });

  it('a phase no check runs in has no watcher', async () => {
    const run = await start({ spec: specWith([{ name: 'p99-vs-blue', prometheus: { query: QUERY }, compareToBlue: { absolute: 0.05 } }]) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    for (let i = 0; i < 4; i++) {
      await run.settle();
      await run.advance('10m');
    }
    const baking = await run.until((s) => s.phase === 'baking', 'baking');
    await run.settle();
    expect(baking.health.watching).toBe(false);
    expect(openActivities(await run.history()).filter((a) => a.type === 'watchHealth')).toEqual([]);
    expect(await watchedPhases(run)).toEqual(['shifting']);
  });

  it('a metric breach rolls back, with its numbers in the status and in the audit entry of the breach', async () => {
    const run = await start({ spec: specWith([{ name: 'p99-vs-blue', prometheus: { query: QUERY }, compareToBlue: { relative: 0.2 }, failureThreshold: 2, window: '5m' }]) });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20 && s.health.watching, 'step 1 watched');
    await run.settle();

    const verdict: MetricVerdict = {
      check: 'p99-vs-blue',
      outcome: 'fail',
      phase: 'shifting',
      value: 0.9,
      blue: 0.5,
      above: 0.6,
      failsWhen: 'green > blue + 20 %',
      window: '5m',
      consecutiveFailures: 2,
      failureThreshold: 2,
      at: '2026-12-04T18:00:00.000Z',
    };
    const reason = 'metric check p99-vs-blue: green 0.9 vs blue 0.5, fails when green > blue + 20 % (limit 0.6) over 5m, 2 failed in a row in shifting';
    expect(await run.breach(reason, verdict)).toBe(true);
    const rolledBack = await run.until((s) => s.phase === 'rolled-back', 'rolled back');
    expect(run.cloud.routing).toEqual({ blue: 100, green: 0 });
    expect(rolledBack.health.lastBreach).toMatchObject({ reason, check: verdict });
    const audit = await run.audit();
    const breach = audit.find((e) => e.action === 'health-breach');
    expect(breach).toMatchObject({ actor: 'watcher', reason, detail: { consecutiveFailures: 2, onBreach: 'rollback', check: verdict } });
    const rollback = audit.filter((e) => e.action === 'set-weights').at(-1);
    expect(rollback).toMatchObject({ actor: 'watcher', reason: `health breach: ${reason}`, detail: { blue: 100, green: 0 } });
    expect(audit.indexOf(breach!)).toBeLessThan(audit.indexOf(rollback!));
  });

  it('with onBreach notify, the watcher keeps watching: the first breach of the phase is audited, later ones update the status', async () => {
    const spec = specWith([{ name: 'errors', cloudwatch: { alarm: 'green-5xx' } }]);
    spec.health!.onBreach = 'notify';
    const run = await start({ spec });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);
    await run.until((s) => s.step?.greenWeight === 20 && s.health.watching, 'step 1 watched');
    const reading = (at: string): MetricVerdict => ({ check: 'errors', outcome: 'fail', phase: 'shifting', alarmState: 'ALARM', failsWhen: 'alarm in ALARM', window: '5m', consecutiveFailures: 3, failureThreshold: 3, at });
    expect(await run.breach('alarm green-5xx in ALARM', reading('2026-12-04T18:00:00.000Z'))).toBe(true);
    await run.until((s) => s.health.lastBreach?.check?.at === '2026-12-04T18:00:00.000Z', 'first breach seen');
    await run.settle(); // notified, and the next watcher of the phase started
    expect(await run.breach('alarm green-5xx still in ALARM', reading('2026-12-04T18:03:00.000Z'))).toBe(true);
    const status = await run.until((s) => s.health.lastBreach?.check?.at === '2026-12-04T18:03:00.000Z', 'second breach seen');
    expect(status).toMatchObject({ phase: 'shifting', weights: { blue: 80, green: 20 } }); // notify moves nothing
    const breaches = (await run.audit()).filter((e) => e.action === 'health-breach');
    expect(breaches).toEqual([expect.objectContaining({ reason: 'alarm green-5xx in ALARM', detail: expect.objectContaining({ onBreach: 'notify' }) })]);
  });
});
