// List cursors: Temporal's page token behind a checksum over the token and the list's filter.
// Temporal answers a token it did not issue with a retried "UNKNOWN", not a clean refusal,
// so the API recognises its own cursors (and one reused with other filters) before asking.
import { createHash } from 'node:crypto';
import { HttpError } from './errors.js';

const CHECKSUM_BYTES = 8;
const cursorChecksum = (token: Uint8Array, query: string) => createHash('sha256').update(query).update(token).digest().subarray(0, CHECKSUM_BYTES);
export function sealCursor(token: Uint8Array, query: string): string {
  return Buffer.concat([cursorChecksum(token, query), token]).toString('base64url');
}
export const badCursor = () =>
  new HttpError(400, 'invalid cursor', { errors: [{ path: '/querystring/cursor', message: 'is not a nextCursor this API returned for these filters' }] });
export function openCursor(cursor: string, query: string): Buffer {
  const raw = Buffer.from(cursor, 'base64url');
  const token = raw.subarray(CHECKSUM_BYTES);
  if (raw.length <= CHECKSUM_BYTES || !raw.subarray(0, CHECKSUM_BYTES).equals(cursorChecksum(token, query))) throw badCursor();
  return token;
}
