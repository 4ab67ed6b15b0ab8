// Prints the test runs' vitest JSON reports (one per Node.js version, in the folder given;
// scripts/test.sh writes them) as the one line CI reads, last: "N passed, M failed", summed over
// the runs. A report left empty is a run that ended without one, and a run with errors outside
// its tests failed too, although no test did: either fails the summary.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '.data/test-results';
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
if (!files.length) {
  console.error(`no test report in ${dir}: the tests did not run (see the output above)`);
  console.log('0 passed, 0 failed');
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
let total = 0;
let broken = 0;
for (const file of files) {
  const run = path.basename(file, '.json'); // node-20, node-24
  const text = readFileSync(path.join(dir, file), 'utf8');
  if (!text.trim()) {
    console.log(`FAILED ${run}: the run ended without a report (see the output above)`);
    broken++;
    continue;
  }
  const report = JSON.parse(text);
  // Name each failure beside the count: CI output is often read only from its tail.
  for (const suite of report.testResults ?? []) {
    const name = path.relative(process.cwd(), suite.name);
    for (const test of suite.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const firstLine = (test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
      console.log(`FAILED ${run} ${name} > ${test.fullName}: ${firstLine}`);
    }
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).length) console.log(`FAILED ${run} ${name}: ${(suite.message ?? '').split('\n')[0]}`);
  }
  // Vitest's own verdict also fails on errors outside any test (a peer that did not start).
  if (!report.success && !report.numFailedTests) {
    console.log(`FAILED ${run}: errors outside the tests (see the output above)`);
    broken++;
  }
  console.log(`${run}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  total += report.numTotalTests;
}
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken > 0 || total === 0 ? 1 : 0);
