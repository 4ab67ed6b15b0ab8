// The drain check against a real Prometheus scraping an exporter the test runs: blue's traffic
// must read under the threshold for a whole window; a busy blue, no data (per noData) and a
// source that cannot be read answer "not drained" at the deadline, with the reason.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDrainActivities } from '../../activities/drain.js';
import { createSignals } from '../../activities/signals/index.js';
import type { ResolvedDrain } from '../../workflows/spec-defaults.js';
import { uniqueName } from '../helpers.js';
import { PROMETHEUS_TIMEOUT_MS, startPrometheus, type TestPrometheus } from '../prometheus.js';
import { startActivity } from './support.js';

interface DrainBeat {
  value?: number;
  underSince?: string;
  reason?: string;
}

describe("drain check (blue's traffic from a real Prometheus)", () => {
  let prom: TestPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  }, PROMETHEUS_TIMEOUT_MS);
  afterAll(async () => prom?.close());

  const acts = () => createDrainActivities(createSignals({ prometheus: { servers: { main: prom.url } } }));
  const drain = (query: string, extra: Partial<ResolvedDrain> = {}): ResolvedDrain => ({ prometheus: { server: 'main', query }, below: 1, window: '10s', within: '1m', noData: 'fail', ...extra });
  const wait = (d: ResolvedDrain, deadlineInMs: number) => startActivity(acts().waitBlueDrained, { region: 'eu-west-1', blue: 'prod-blue', drain: d, deadline: Date.now() + deadlineInMs });

  it("answers once blue's traffic has read under the threshold for a whole window ({{cluster}} is blue), heartbeating each reading", async () => {
    const app = uniqueName('app');
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 5);
    prom.set('requests_per_second', { app, cluster: 'prod-green' }, 50);
    await prom.until(`count(requests_per_second{app="${app}"})`, 2);
    const running = wait(drain(`max(requests_per_second{app="${app}",cluster="{{cluster}}"})`), 120_000);
    const beats = running.heartbeats as DrainBeat[];
    await vi.waitFor(() => expect(beats.some((b) => b.value === 5 && b.reason === '5 is not below 1')).toBe(true), { timeout: 30_000, interval: 200 });

    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 0); // the last clients left blue
    const result = await running.result;
    expect(result).toMatchObject({ drained: true, value: 0 });
    const underSince = beats.at(-1)?.underSince;
    expect(underSince).toBeDefined();
    // Under for a whole window, counted from the first reading under (after the busy ones).
    expect(Date.parse(result.at) - Date.parse(underSince!)).toBeGreaterThanOrEqual(10_000);
    expect(beats.findIndex((b) => b.underSince)).toBeGreaterThan(beats.findIndex((b) => b.value === 5));
  }, 120_000);

  it('answers not drained at the deadline with the last value while blue is busy', async () => {
    const app = uniqueName('app');
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 3);
    await prom.until(`requests_per_second{app="${app}"}`, 3);
    expect(await wait(drain(`max(requests_per_second{app="${app}",cluster="{{cluster}}"})`), 2_000).result).toMatchObject({ drained: false, value: 3, reason: '3 is not below 1' });
  }, 60_000);

  it('takes no data as not drained, unless noData is pass; a source it cannot read is never drained', async () => {
    const nothing = `max(requests_per_second{app="${uniqueName('none')}",cluster="{{cluster}}"})`;
    const noData = await wait(drain(nothing), 2_000).result;
    expect(noData).toMatchObject({ drained: false, reason: expect.stringMatching(/^no data/) });
    expect(noData.value).toBeUndefined();

    expect(await wait(drain(nothing, { noData: 'pass' }), 60_000).result).toMatchObject({ drained: true });

    const unknown = await wait({ ...drain('vector(0)'), prometheus: { server: 'elsewhere', query: 'vector(0)' } }, 2_000).result;
    expect(unknown).toMatchObject({ drained: false, reason: 'not read: Prometheus server "elsewhere" is not configured in the worker (CUTOVER_PROMETHEUS_SERVERS)' });
  }, 120_000);

  it('reads the source once at validation: a value or no data is information, a source it cannot read blocks', async () => {
    const app = uniqueName('app');
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 7);
    await prom.until(`requests_per_second{app="${app}"}`, 7);
    const finding = (d: ResolvedDrain) => acts().drainFinding({ region: 'eu-west-1', blue: 'prod-blue', drain: d });
    expect(await finding(drain(`max(requests_per_second{app="${app}",cluster="{{cluster}}"})`))).toEqual({
      severity: 'info',
      source: 'decommission',
      message: "decommission.drain: blue prod-blue's traffic reads 7 now (drained below 1)",
    });
    expect((await finding(drain(`max(requests_per_second{app="${uniqueName('none')}"})`))).severity).toBe('info');
    expect(await finding(drain('sum(rate(requests_per_second[{{window}}]'))).toMatchObject({ severity: 'blocking', message: expect.stringMatching(/^decommission.drain cannot be read: .*parse error/) });
  });
});
