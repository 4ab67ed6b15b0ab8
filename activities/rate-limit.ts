// Route 53 allows an account 5 API requests a second, across all its callers: past that it
// answers Throttling. One worker may shift a hundred migrations at once, so every Route 53
// request of the process, per account, goes through one shared limiter that spaces them out —
// retries and waiter polls included — instead of each migration finding the limit on its own.
import type { Route53Client } from '@aws-sdk/client-route-53';

/** Route 53's documented per-account rate. */
export const ROUTE53_DEFAULT_RPS = 5;
/** After a Throttling answer the whole account waits this long before its next request (the SDK retries with jitter on top). */
const THROTTLED_PAUSE_MS = 1_000;
/**
 * Each token comes back this much later than one second after its use. Requests leave in
 * bursts and reach Route 53 each with its own delay: with a window of exactly one second, a
 * burst that left a few milliseconds late landed in the same second as the next one (the
 * 100-migration benchmark saw 10 requests in one second and 218 Throttling answers).
 */
const ARRIVAL_MARGIN_MS = 200;

/**
 * A token bucket of `rps` tokens where a token comes back a little over a second after it was
 * used: a burst of up to `rps` requests leaves at once (a rollback's read and change are not
 * held back), and no one-second window at Route 53 holds more than `rps` requests, even when
 * they arrive up to ARRIVAL_MARGIN_MS apart from when they left. Turns are handed out in
 * arrival order.
 */
export class RequestSpacer {
  /** When the last `capacity` requests left (or will leave), ascending. */
  private readonly sent: number[] = [];
  private readonly capacity: number;
  private readonly windowMs: number;
  private pausedUntil = 0;
  /** Requests, those that waited for their turn, and Throttling answers seen. */
  readonly stats = { requests: 0, delayed: 0, throttled: 0 };

  constructor(rps: number) {
    this.capacity = Math.max(1, Math.floor(rps));
    this.windowMs = (this.capacity * 1000) / rps + ARRIVAL_MARGIN_MS;
  }

  /** Resolves when this request may go. */
  async turn(): Promise<void> {
    const now = performance.now();
    const oldest = this.sent.length >= this.capacity ? this.sent[this.sent.length - this.capacity] + this.windowMs : 0;
    const at = Math.max(now, oldest, this.pausedUntil);
    this.sent.push(at);
    if (this.sent.length > this.capacity) this.sent.shift();
    this.stats.requests++;
    if (at > now) {
      this.stats.delayed++;
      await new Promise((r) => setTimeout(r, at - now));
    }
  }

  /** Route 53 said Throttling: someone else shares the account (another tool, another worker); hold everyone back a moment. */
  throttled(): void {
    this.stats.throttled++;
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + THROTTLED_PAUSE_MS);
  }
}

/** The configured rate: CUTOVER_ROUTE53_RPS, else Route 53's default. */
export function route53Rps(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CUTOVER_ROUTE53_RPS;
  if (raw === undefined || raw === '') return ROUTE53_DEFAULT_RPS;
  const rps = Number(raw);
  if (!(rps > 0)) throw new Error(`CUTOVER_ROUTE53_RPS must be a positive number of requests per second, got "${raw}"`);
  return rps;
}

/** One spacer per account in this process, keyed by the account ID of the DNS role the client assumes (aws.ts), or 'default' for the worker's own credentials. */
const spacers = new Map<string, RequestSpacer>();
const limited = new WeakSet<Route53Client>();
type Middleware = Parameters<Route53Client['middlewareStack']['addRelativeTo']>[0];

export function route53Spacer(account: string): RequestSpacer {
  let spacer = spacers.get(account);
  if (!spacer) spacers.set(account, (spacer = new RequestSpacer(route53Rps())));
  return spacer;
}

/**
 * Puts every request of `client` — each attempt, after the SDK's retry step — through the
 * account's shared limiter. Idempotent per client: call it where the client is made (with the
 * account it acts in) or before each use.
 */
export function limitRoute53(client: Route53Client, account = 'default'): Route53Client {
  if (limited.has(client)) return client;
  limited.add(client);
  const spacer = route53Spacer(account);
  type Next = (args: unknown) => Promise<unknown>;
  const middleware = ((next: Next) => async (args: unknown) => {
    await spacer.turn();
    try {
      return await next(args);
    } catch (err) {
      if ((err as { name?: string }).name === 'Throttling') spacer.throttled();
      throw err;
    }
  }) as unknown as Middleware;
  client.middlewareStack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'cutoverRoute53RateLimit' });
  return client;
}
