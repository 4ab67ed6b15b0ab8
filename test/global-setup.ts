// Starts the real peers once per test run (docs/architecture.md, "Tests and their peers") and
// bundles the workflow code once; tests receive the addresses through vitest's inject().
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, WORKFLOW_INTERCEPTORS_PATH } from '../worker/worker.js';
import { resolveTools, startKube, startMoto, startTemporal, type KubeEndpoint } from '../scripts/stack/peers.js';
import { freePort, ProcessGroup } from '../scripts/stack/processes.js';
import { POLICY_FILE, ungrantedActions } from './iam-policy.js';

export interface StackInfo {
  temporalAddress: string;
  motoUrl: string;
  kube: Record<string, KubeEndpoint>;
  workflowBundlePath: string;
  testServerPath: string;
  toxiproxyPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-test-'));
  const group = new ProcessGroup(path.join(dir, 'logs'));
  const tools = resolveTools();
  // CUTOVER_TEST_PEERS=none (the soak sets it): workflow tests only, each on a test server of
  // its own, so the shared peers would only idle; idle, the kube-apiservers alone use a tenth of a core.
  const peers = process.env.CUTOVER_TEST_PEERS !== 'none';
  try {
    const [temporal, motoUrl, kube, bundle] = await Promise.all([
      peers ? startTemporal(group, tools, { port: await freePort(), httpPort: await freePort(), metricsPort: await freePort() }) : { address: '' },
      peers ? startMoto(group, tools, { port: await freePort() }) : '',
      peers
        ? startKube(group, tools, {
            dir: path.join(dir, 'kube'),
            etcdPort: await freePort(),
            etcdPeerPort: await freePort(),
            ports: { blue: await freePort(), green: await freePort(), management: await freePort() },
          })
        : {},
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH], logger: quietLogger }),
    ]);
    const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, bundle.code);
    project.provide('stack', {
      temporalAddress: temporal.address,
      motoUrl,
      kube,
      workflowBundlePath,
      testServerPath: tools.testServer,
      toxiproxyPath: tools.toxiproxy,
    });
  } catch (err) {
    await group.stop();
    throw err;
  }
  // Every call the tests make through the client factory is logged (`service:Action`); at the
  // end each must be granted by deploy/iam-policy.json. Set before the test workers start, so
  // they inherit it.
  const actionLog = path.join(dir, 'aws-actions.log');
  process.env.CUTOVER_AWS_ACTION_LOG = actionLog;
  return async () => {
    await group.stop();
    const ungranted = existsSync(actionLog) ? ungrantedActions(readFileSync(actionLog, 'utf8')) : [];
    if (ungranted.length) {
      // Thrown from the teardown: vitest reports it and the run exits non-zero.
      throw new Error(`the tests made AWS calls that ${path.relative(process.cwd(), POLICY_FILE)} does not grant: ${ungranted.join(', ')} (log: ${actionLog})`);
    }
  };
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
