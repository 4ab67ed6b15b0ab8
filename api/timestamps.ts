// Temporal's protobuf timestamps (seconds a Long or a number, plus nanos) as the API shows them.
import type { Timestamp } from '@temporalio/common';

/** Milliseconds since the epoch; 0 for none. */
export function timestampMs(ts: Timestamp | null | undefined): number {
  return ts ? Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000) : 0;
}

/** ISO time; undefined for none. */
export function isoTime(ts: Timestamp | null | undefined): string | undefined {
  return ts ? new Date(timestampMs(ts)).toISOString() : undefined;
}
