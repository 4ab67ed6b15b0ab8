// Vitest glue: every test gets its own run (server, worker, task queue, workflow ID), closed after it.
import { afterEach, inject } from 'vitest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Run, type RunOptions } from './harness.js';

// Workers log every activity at INFO; tests only want to hear about trouble.
Runtime.install({ logger: new DefaultLogger('WARN') });

export function useRuns(): (opts?: Partial<RunOptions>) => Promise<Run> {
  const runs: Run[] = [];
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.close()));
  });
  return async (opts = {}) => {
    const { testServerPath, workflowBundlePath } = inject('stack');
    const run = await Run.start({ testServerPath, workflowBundlePath, ...opts });
    runs.push(run);
    return run;
  };
}
