// The worker process: connects to Temporal, builds real AWS clients and the cluster-access
// seam (CUTOVER_KUBE_CLUSTERS, KUBECONFIG contexts, EKS tokens in aws mode), and runs until signalled.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { clusterAccessFromEnv } from '../activities/kubernetes.js';
import { awsEndpoint, temporalSettings } from '../config/connections.js';
import { createCutoverWorker } from './worker.js';

const settings = temporalSettings();
const connection = await NativeConnection.connect(settings.connection);
const aws = createAwsClients({ endpoint: awsEndpoint() });
const activities = createActivities({
  aws,
  clusters: clusterAccessFromEnv(aws),
  webhookUrl: process.env.CUTOVER_WEBHOOK_URL,
});
const worker = await createCutoverWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue, activities });
console.log(`cutover worker polling task queue ${settings.taskQueue} on ${settings.connection.address} (namespace ${settings.namespace})`);
// Worker.run() shuts down gracefully on SIGINT/SIGTERM.
await worker.run();
await connection.close();
