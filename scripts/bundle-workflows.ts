// Bundles the workflow code once, at build time (`npm run build`, the image build), into
// dist/workflow-bundle.js, which the compiled worker loads instead of bundling at every start.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BUILT_WORKFLOW_BUNDLE, WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH } from '../worker/worker.js';

const out = process.argv[2] ?? BUILT_WORKFLOW_BUNDLE;
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH], logger: quiet() });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, from ${WORKFLOWS_PATH})`);

/** The bundler logs every module at info; keep warnings and errors. */
function quiet() {
  const drop = () => {};
  return { log: drop, trace: drop, debug: drop, info: drop, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
}
