// Vitest glue: every test gets its own run (server, worker, task queue, workflow ID), closed after it.
import { appendFileSync } from 'node:fs';
import { afterEach, inject } from 'vitest';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { Run, type RunOptions } from './harness.js';

// Workers log every activity at INFO; tests only want to hear about trouble. To see what the
// workers' core did (polls, tasks, completions the server refused), CUTOVER_CORE_LOG=<prefix>
// also writes its DEBUG log to <prefix>.<pid>.log, one file per test process (~1 MB a run).
const coreLog = process.env.CUTOVER_CORE_LOG;
if (coreLog) {
  const file = `${coreLog}.${process.pid}.log`;
  const warn = new DefaultLogger('WARN');
  Runtime.install({
    logger: new DefaultLogger('TRACE', (e: LogEntry) => {
      appendFileSync(file, `${new Date(Number(e.timestampNanos / 1_000_000n)).toISOString()} ${e.level} ${e.message} ${JSON.stringify(e.meta, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);
      if (e.level === 'WARN' || e.level === 'ERROR') warn.log(e.level, e.message, e.meta);
    }),
    telemetryOptions: { logging: { filter: { core: 'DEBUG', other: 'WARN' }, forward: {} } },
  });
} else {
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export function useRuns(): (opts?: Partial<RunOptions>) => Promise<Run> {
  // Only the open ones: a test that closes its runs itself (the property test runs thousands in
  // one test) must not keep each closed run's worker, with its copy of the bundle, until it ends.
  const open = new Set<Run>();
  afterEach(async () => {
    await Promise.all([...open].map((r) => r.close()));
  });
  return async (opts = {}) => {
    const { testServerPath, workflowBundlePath } = inject('stack');
    const run: Run = await Run.start({ testServerPath, workflowBundlePath, ...opts, onClose: () => open.delete(run) });
    open.add(run);
    return run;
  };
}
