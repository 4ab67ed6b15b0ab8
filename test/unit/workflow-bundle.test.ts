// The workflow bundle's modules are evaluated again for every workflow a worker keeps in its
// cache, so each library in it costs memory per parked migration. TypeBox (the spec's schemas)
// cost about 0.5 MB each: workflow code reads the spec's plain values from spec-values.ts.
import { readFileSync } from 'node:fs';
import { expect, inject, it } from 'vitest';

it('keeps TypeBox out of the workflow bundle', () => {
  const code = readFileSync(inject('stack').workflowBundlePath, 'utf8');
  const packages = new Set([...code.matchAll(/node_modules\/((?:@[^/"'\s]+\/)?[^/"'\s]+)/g)].map((m) => m[1]));
  expect(packages.has('@temporalio/workflow'), 'the bundle lists its packages by path').toBe(true);
  expect([...packages]).not.toContain('typebox');
});
