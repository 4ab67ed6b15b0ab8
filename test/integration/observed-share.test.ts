// The observed-share check against a real Prometheus scraping an exporter the test runs:
// green's share of traffic, green / (green + blue), must come within the tolerance of the
// step's weight; otherwise the last reading is the answer at the deadline.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createObservedShareActivities } from '../../activities/observed-share.js';
import { createSignals } from '../../activities/signals/index.js';
import type { ResolvedObservedShare } from '../../workflows/spec-defaults.js';
import { uniqueName } from '../helpers.js';
import { PROMETHEUS_TIMEOUT_MS, startPrometheus, type TestPrometheus } from '../prometheus.js';
import { startActivity } from './support.js';

interface ShareBeat {
  intended: number;
  observed?: number;
  reason?: string;
}

describe("observed traffic share (green's and blue's traffic from a real Prometheus)", () => {
  let prom: TestPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  }, PROMETHEUS_TIMEOUT_MS);
  afterAll(async () => prom?.close());

  const acts = () => createObservedShareActivities(createSignals({ prometheus: { servers: { main: prom.url } } }));
  /** Both sides read with one query: {{cluster}} is green's name for green and blue's for blue. */
  const check = (app: string): ResolvedObservedShare => {
    const source = { prometheus: { server: 'main', query: `max(requests_per_second{app="${app}",cluster="{{cluster}}"})` } };
    return { green: source, blue: source, tolerance: 5, window: '10s', within: '1m' };
  };
  const wait = (c: ResolvedObservedShare, intended: number, deadlineInMs: number) =>
    startActivity(acts().waitObservedShare, { region: 'eu-west-1', blue: 'prod-blue', green: 'prod-green', check: c, intended, deadline: Date.now() + deadlineInMs });

  it("answers once green's share is within the tolerance of the weight, heartbeating each reading", async () => {
    const app = uniqueName('app');
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 90);
    prom.set('requests_per_second', { app, cluster: 'prod-green' }, 10);
    await prom.until(`count(requests_per_second{app="${app}"})`, 2);
    const running = wait(check(app), 50, 120_000);
    const beats = running.heartbeats as ShareBeat[];
    await vi.waitFor(() => expect(beats.some((b) => b.observed === 10 && b.reason === 'green carries 10 %, 40 points off 50 % (tolerance 5)')).toBe(true), { timeout: 30_000, interval: 200 });

    // Resolvers let go of blue's old answer: green now carries 48 of 100.
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 52);
    prom.set('requests_per_second', { app, cluster: 'prod-green' }, 48);
    expect(await running.result).toMatchObject({ within: true, observed: 48 });
  }, 120_000);

  it('answers with the last reading at the deadline while the share stays off; no traffic at all is not a share', async () => {
    const app = uniqueName('app');
    prom.set('requests_per_second', { app, cluster: 'prod-blue' }, 30);
    prom.set('requests_per_second', { app, cluster: 'prod-green' }, 10);
    await prom.until(`count(requests_per_second{app="${app}"})`, 2);
    expect(await wait(check(app), 100, 2_000).result).toMatchObject({ within: false, observed: 25, reason: 'green carries 25 %, 75 points off 100 % (tolerance 5)' });

    const idle = uniqueName('idle');
    prom.set('requests_per_second', { app: idle, cluster: 'prod-blue' }, 0);
    prom.set('requests_per_second', { app: idle, cluster: 'prod-green' }, 0);
    await prom.until(`count(requests_per_second{app="${idle}"})`, 2);
    const none = await wait(check(idle), 0, 2_000).result;
    expect(none).toMatchObject({ within: false, reason: 'no traffic on either cluster over the window' });
    expect(none.observed).toBeUndefined();

    const missing = await wait(check(uniqueName('none')), 0, 2_000).result;
    expect(missing).toMatchObject({ within: false, reason: 'no data from green and blue' });
  }, 120_000);
});
