// The workflow code as a later worker build would bundle it: the same source with a few edits
// (a changed default). Tests run running migrations' histories and tasks against it, to show
// what a deploy during a long bake does to them.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SourceEdit {
  /** Text that occurs exactly once in workflows/ (wherever a refactor moved it). */
  from: string;
  to: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

/** Bundles workflows/ with `edits` applied; returns the bundle's code. */
export async function bundleEdited(edits: SourceEdit[]): Promise<string> {
  // Inside the repository, so the copy resolves the same node_modules.
  mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, '.data', 'edited-bundle-'));
  try {
    for (const folder of ['workflows', 'activities']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
    const sources = filesUnder(path.join(dir, 'workflows')).filter((f) => f.endsWith('.ts'));
    for (const edit of edits) {
      const hits = sources.filter((f) => readFileSync(f, 'utf8').split(edit.from).length === 2);
      const all = sources.reduce((n, f) => n + readFileSync(f, 'utf8').split(edit.from).length - 1, 0);
      if (hits.length !== 1 || all !== 1) throw new Error(`edit "${edit.from}": found ${all} times in workflows/, expected once`);
      writeFileSync(hits[0], readFileSync(hits[0], 'utf8').replace(edit.from, edit.to));
    }
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(dir, 'workflows', 'index.ts'),
      workflowInterceptorModules: [path.join(dir, 'workflows', 'interceptors.ts')],
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A later build's defaults for specs that name none: one step straight to 100 %, a shorter observe window. */
export const OTHER_DEFAULTS: SourceEdit[] = [
  { from: 'steps: [20, 50, 80, 100],', to: 'steps: [100],' },
  { from: "observe: '10m',", to: "observe: '1m'," },
];
