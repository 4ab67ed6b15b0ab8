// The waits a person sees the workflow sit out, on the time-skipping server: a shift waits for
// the routing to serve the new weights, then for the records' TTL, then observes; the status
// says which wait it is, why, and until when.
import { describe, expect, it } from 'vitest';
import { APPROVERS } from './harness.js';
import { useRuns } from './runs.js';

const start = useRuns();
const [alice] = APPROVERS;

describe('DNS waits in the status', () => {
  it('shows the wait for INSYNC, then the TTL with its end, and observes only after the TTL', async () => {
    const run = await start({
      cloud: (c) => {
        c.settleSeconds = 300;
        c.settleReason = 'TTL 300 s of app.example.com. CNAME';
        c.holdInsync = (w) => w.green === 20;
      },
    });
    await run.until((s) => s.pendingGate?.gate === 'cutover', 'cutover gate');
    await run.approve('cutover', alice);

    const insync = await run.until((s) => !!s.waiting?.what.includes('INSYNC'), 'the INSYNC wait');
    expect(insync.waiting).toEqual({ what: 'until Route 53 reports the change INSYNC: blue 80 green 20', since: expect.any(String) });

    run.cloud.releaseInsync();
    const ttl = (await run.until((s) => s.waiting?.seconds === 300, 'the TTL wait')).waiting!;
    expect(ttl.what).toBe('TTL 300 s of app.example.com. CNAME, after the routing serves blue 80 green 20: resolvers may keep the old answer this long');
    expect(Date.parse(ttl.until!) - Date.parse(ttl.since)).toBe(300_000);
    await run.settle();
    expect(run.cloud.routing).toEqual({ blue: 80, green: 20 });
    expect((await run.status()).waiting?.seconds).toBe(300); // still sitting it out

    await run.advance('5m');
    const observe = (await run.until((s) => !!s.waiting?.what.startsWith('observe'), 'the observe window')).waiting!;
    expect(observe).toMatchObject({ what: 'observe green at 20% for 10m', seconds: 600 });
    expect(Date.parse(observe.since)).toBeGreaterThanOrEqual(Date.parse(ttl.until!));
  });
});
