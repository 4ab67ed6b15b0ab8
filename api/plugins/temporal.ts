// The Temporal client as a plugin: one connection for the app's life, shared by every route
// (never one per request), the migration reader over it, and who polls the task queue. The app closes the connection
// it opened when it closes; a client handed in (tests) stays its owner's to close.
import fp from 'fastify-plugin';
import { Client } from '@temporalio/client';
import type { TemporalSettings } from '../../config/connections.js';
import { migrationReader, type MigrationReader } from '../migrations.js';
import { workers, type Workers } from '../workers.js';
import { connectClient } from '../../config/connections.js';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
    migrations: MigrationReader;
    workers: Workers;
  }
}

export interface TemporalPluginOptions {
  settings: TemporalSettings;
  /** Use this client instead of connecting with `settings`. */
  client?: Client;
  /** The task queue migrations run on. */
  taskQueue: string;
  /** How long a status Query waits for a worker. */
  queryTimeoutMs: number;
}

export default fp<TemporalPluginOptions>(
  async (app, { settings, client, taskQueue, queryTimeoutMs }) => {
    let temporal = client;
    if (!temporal) {
      const connection = await connectClient(settings.connection);
      app.addHook('onClose', async () => connection.close());
      temporal = new Client({ connection, namespace: settings.namespace });
    }
    const polling = workers(temporal, taskQueue);
    app.decorate('temporal', temporal);
    app.decorate('workers', polling);
    app.decorate('migrations', migrationReader(temporal, settings.uiUrl, polling, queryTimeoutMs));
  },
  { name: 'temporal', fastify: '5.x' },
);
