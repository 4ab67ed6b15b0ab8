// Prints vitest's JSON report as the one line CI reads, last: "N passed, M failed".
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const file = process.argv[2] ?? '.data/test-results.json';
if (!existsSync(file)) {
  console.error(`no test report at ${file}: the tests did not run (see the output above)`);
  console.log('0 passed, 0 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
// Name each failure beside the count: CI output is often read only from its tail.
for (const suite of report.testResults ?? []) {
  const name = path.relative(process.cwd(), suite.name);
  for (const test of suite.assertionResults ?? []) {
    if (test.status !== 'failed') continue;
    const firstLine = (test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
    console.log(`FAILED ${name} > ${test.fullName}: ${firstLine}`);
  }
  if (suite.status === 'failed' && !(suite.assertionResults ?? []).length) console.log(`FAILED ${name}: ${(suite.message ?? '').split('\n')[0]}`);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (skipped) console.log(`${skipped} skipped`);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed`);
process.exit(report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0);
