// The Route 53 limiter: no one-second window at Route 53 may hold more than the account's rate,
// even when requests arrive with their own delays after they leave.
import { expect, it } from 'vitest';
import { RequestSpacer } from '../../activities/rate-limit.js';

it('lets a burst of the rate leave at once (5 not delayed), and the next only once a one-second window at Route 53 cannot hold both', async () => {
  const spacer = new RequestSpacer(5);
  const t0 = performance.now();
  const left: number[] = [];
  await Promise.all(Array.from({ length: 11 }, () => spacer.turn().then(() => left.push(performance.now() - t0))));
  left.sort((a, b) => a - b);
  // Any 6 requests in a row span more than a second plus the delays they may arrive with.
  for (let i = 0; i + 5 < left.length; i++) expect(left[i + 5] - left[i]).toBeGreaterThan(1_150);
  expect(spacer.stats).toMatchObject({ requests: 11, delayed: 6 });
});
