// The API process: validated config, one Temporal client, graceful close on signals.
import { Client, Connection } from '@temporalio/client';
import { buildApp } from './app.js';
import { ConfigError, loadApiConfig } from './config.js';

let config;
try {
  config = loadApiConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`cutover api: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const connection = await Connection.connect(config.temporal.connection);
const temporal = new Client({ connection, namespace: config.temporal.namespace });
const app = await buildApp({
  config,
  temporal,
  logger: { level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] },
});
app.addHook('onClose', async () => connection.close());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
await app.listen({ host: config.host, port: config.port });
