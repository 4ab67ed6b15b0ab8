// The API process: validated config, the app (which connects to Temporal and closes that
// connection when it closes), graceful close on SIGINT/SIGTERM.
import { buildApp } from './app.js';
import { eksClusterVersions } from './blue-version.js';
import { ConfigError, loadApiConfig, type ApiConfig } from './config.js';

/** After a signal, open requests get this long to finish before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

let config: ApiConfig;
try {
  config = loadApiConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`cutover api: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const app = await buildApp({ config, logger: { level: config.logLevel }, blueVersion: eksClusterVersions(config.awsEndpoint) });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down: refusing new work, finishing open requests');
    setTimeout(() => {
      app.log.warn('shutdown grace period over; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
await app.listen({ host: config.host, port: config.port });
