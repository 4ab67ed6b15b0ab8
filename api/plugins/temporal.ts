// The Temporal client as a plugin: one connection for the app's life, shared by every route
// (never one per request), and the migration reader over it. The app closes the connection
// it opened when it closes; a client handed in (tests) stays its owner's to close.
import fp from 'fastify-plugin';
import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from '../../config/connections.js';
import { migrationReader, type MigrationReader } from '../migrations.js';

declare module 'fastify' {
  interface FastifyInstance {
    temporal: Client;
    migrations: MigrationReader;
  }
}

export interface TemporalPluginOptions {
  settings: TemporalSettings;
  /** Use this client instead of connecting with `settings`. */
  client?: Client;
}

export default fp<TemporalPluginOptions>(
  async (app, { settings, client }) => {
    let temporal = client;
    if (!temporal) {
      const connection = await Connection.connect(settings.connection);
      app.addHook('onClose', async () => connection.close());
      temporal = new Client({ connection, namespace: settings.namespace });
    }
    app.decorate('temporal', temporal);
    app.decorate('migrations', migrationReader(temporal, settings.uiUrl));
  },
  { name: 'temporal', fastify: '5.x' },
);
