#!/usr/bin/env node
// The image's HEALTHCHECK: exit 0 when the URL answers 2xx within 4 s. Default: the API's
// readiness (/readyz on CUTOVER_API_PORT); the worker passes its own, e.g.
// `node bin/healthcheck.mjs http://127.0.0.1:8081/readyz`.
/* global fetch, AbortSignal */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.CUTOVER_API_PORT || process.env.PORT || 8080}/readyz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  if (!res.ok) console.error(`${url}: HTTP ${res.status} ${await res.text()}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`${url}: ${err.message}`);
  process.exit(1);
}
