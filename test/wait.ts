// The one way tests wait for a state: poll it until it holds.
import { onTestFailed, onTestFinished } from 'vitest';

/**
 * Polls `read` until `done` holds. No deadline of its own (a busy machine is slow, not wrong):
 * only the test's timeout bounds the wait, and if the test fails while it waits, the report
 * says what it waited for and the last value seen.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  // A value `done` cannot read (an API's 503 "try again shortly" in place of a status) is not
  // the state waited for: poll on; the report names it if the state never comes.
  const holds = (value: T): boolean => {
    try {
      return done(value);
    } catch {
      return false;
    }
  };
  let last: T = await read();
  if (holds(last)) return last;
  let waiting = true;
  let testOver = false;
  try {
    onTestFinished(() => void (testOver = true));
    onTestFailed(() => {
      if (waiting) throw new Error(`eventually: still waiting for ${String(done)}; last value: ${JSON.stringify(last)}`);
    });
  } catch {
    // Called from a hook, not a test: hookTimeout bounds the wait.
  }
  // A test that timed out is abandoned, not stopped: stop polling its (closed) peers, and settle
  // never, so no rejection surfaces after the test has already been reported.
  const abandoned = () => new Promise<never>(() => {});
  while (!holds(last)) {
    await new Promise((r) => setTimeout(r, 100)); // poll interval
    if (testOver) return abandoned();
    try {
      last = await read();
    } catch (err) {
      if (testOver) return abandoned();
      throw err;
    }
  }
  waiting = false;
  return last;
}
