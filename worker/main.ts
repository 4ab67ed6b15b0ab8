// The worker process: checks its settings (notification channels, smoke-check hosts and the
// rest), connects to Temporal, checks the namespace has Cutover's search attributes, builds
// real AWS clients and the cluster-access seam (CUTOVER_KUBE_CLUSTERS, KUBECONFIG contexts,
// EKS tokens in aws mode), and runs until signalled.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { clusterAccessFromEnv } from '../activities/kubernetes.js';
import { userRowsFromEnv, type ApiLifecycle } from '../activities/removed-apis.js';
import { awsEndpoint, temporalSettings } from '../config/connections.js';
import { serveWorkerHealth } from './health.js';
import { workerProcessSettings, type WorkerProcessSettings } from './process-settings.js';
import { describeProblems, inspectSearchAttributes } from './search-attributes.js';
import { installTelemetry } from './telemetry.js';
import { promoteIfFirstVersion } from './versioning.js';
import { createCutoverWorker } from './worker.js';

let processSettings: WorkerProcessSettings;
// CUTOVER_REMOVED_APIS_FILE is checked now: a bad row stops the start with its row and field named.
let removedApis: ApiLifecycle[];
try {
  processSettings = workerProcessSettings();
  removedApis = userRowsFromEnv();
} catch (err) {
  console.error(`cutover worker: ${(err as Error).message}`);
  process.exit(2);
}
// Before anything talks to Temporal: the Runtime carries the logger and the metrics exporter.
const log = installTelemetry({ logLevel: processSettings.logLevel, metricsPort: processSettings.metricsPort });
const settings = temporalSettings();
const connection = await NativeConnection.connect(settings.connection);

// A namespace without the search attributes fails every start and every phase change: say
// so now, with the fix, rather than in a workflow task that retries forever.
try {
  const problems = describeProblems(settings.namespace, await inspectSearchAttributes(connection, settings.namespace));
  if (problems) {
    // Like a wrong setting: plain text on stderr, for the person who pastes the fix.
    console.error(`cutover worker: ${problems}`);
    await connection.close();
    process.exit(1);
  }
} catch (err) {
  // Some Temporal Cloud API keys may not list search attributes; the worker can still run.
  log.warn(`cutover worker: could not check the search attributes of namespace ${settings.namespace}: ${(err as Error).message}`);
}

const aws = createAwsClients({ endpoint: awsEndpoint() });
const activities = createActivities({
  aws,
  clusters: clusterAccessFromEnv(aws),
  clusterChecks: { removedApis },
  notify: processSettings.notify,
  health: processSettings.health,
  freezeCalendars: processSettings.freezeCalendars,
});
const worker = await createCutoverWorker({
  connection,
  namespace: settings.namespace,
  taskQueue: settings.taskQueue,
  activities,
  workflowBundle: processSettings.workflowBundle ? { codePath: processSettings.workflowBundle } : undefined,
  shutdownGraceTime: `${processSettings.shutdownGraceSeconds}s`,
  cachedWorkflows: processSettings.cachedWorkflows,
  deployment: processSettings.deployment,
});
const health = processSettings.healthPort !== undefined ? await serveWorkerHealth(() => worker.getState(), processSettings.healthPort) : undefined;
log.info(
  {
    taskQueue: settings.taskQueue,
    namespace: settings.namespace,
    workflows: processSettings.workflowBundle ?? 'bundled at start',
    healthPort: health?.port,
    metricsPort: processSettings.metricsPort,
    deployment: processSettings.deployment,
  },
  `cutover worker polling task queue ${settings.taskQueue} on ${settings.connection.address}`,
);
// Worker.run() shuts down gracefully on SIGINT/SIGTERM.
const running = worker.run();
running.catch(() => undefined); // awaited below; not "unhandled" while the promotion runs
if (processSettings.deployment) await promoteIfFirstVersion(connection, settings.namespace, processSettings.deployment, log);
await running;
await health?.close();
await connection.close();
