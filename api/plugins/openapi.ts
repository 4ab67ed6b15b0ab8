// OpenAPI 3 from the routes' own schemas: /openapi.json and the docs UI at /docs. Registered
// before the routes, so it sees every one of them; what it serves cannot drift from the code.
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TAGS } from '../schemas.js';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Cutover',
          version: '0.1.0',
          description: 'Blue/green EKS cluster migrations on Temporal. Every error has the same body: error, message, requestId, and errors[] naming each bad field.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
        tags: Object.values(TAGS).map((name) => ({ name })),
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi', fastify: '5.x' },
);
