// The worker process: connects to Temporal, builds real AWS clients, and runs until signalled.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createAwsClients } from '../activities/aws.js';
import { awsEndpoint, temporalSettings } from './config.js';
import { createCutoverWorker } from './worker.js';

const settings = temporalSettings();
const connection = await NativeConnection.connect(settings.connection);
const activities = createActivities({
  aws: createAwsClients({ endpoint: awsEndpoint() }),
  webhookUrl: process.env.CUTOVER_WEBHOOK_URL,
});
const worker = await createCutoverWorker({ connection, namespace: settings.namespace, activities });
console.log(`cutover worker polling task queue on ${settings.connection.address} (namespace ${settings.namespace})`);
// Worker.run() shuts down gracefully on SIGINT/SIGTERM.
await worker.run();
await connection.close();
