// The worker process: checks its settings (notification channels, smoke-check hosts), connects
// to Temporal, builds real AWS clients and the cluster-access seam (CUTOVER_KUBE_CLUSTERS,
// KUBECONFIG contexts, EKS tokens in aws mode), and runs until signalled.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { clusterAccessFromEnv } from '../activities/kubernetes.js';
import { awsEndpoint, temporalSettings } from '../config/connections.js';
import { loadWorkerConfig, WorkerConfigError, type WorkerConfig } from './config.js';
import { createCutoverWorker } from './worker.js';

let config: WorkerConfig;
try {
  config = loadWorkerConfig();
} catch (err) {
  if (err instanceof WorkerConfigError) {
    console.error(`cutover worker: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const settings = temporalSettings();
const connection = await NativeConnection.connect(settings.connection);
const aws = createAwsClients({ endpoint: awsEndpoint() });
const activities = createActivities({
  aws,
  clusters: clusterAccessFromEnv(aws),
  notify: config.notify,
  health: config.health,
});
const worker = await createCutoverWorker({ connection, namespace: settings.namespace, activities });
console.log(`cutover worker polling task queue on ${settings.connection.address} (namespace ${settings.namespace})`);
// Worker.run() shuts down gracefully on SIGINT/SIGTERM.
await worker.run();
await connection.close();
