// green.overrides over REST: the plan shows each override; an unknown field, a field EKS sets
// itself, overrides with an adopted green, and contradictions EKS would refuse are 400s naming
// the field and why, before anything starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { sandboxApiConfig } from '../../api/config.js';
import type { MigrationSpec } from '../../workflows/spec.js';
import { connectClient } from '../../config/connections.js';
import { auth, stack, TEST_DECOMMISSION, uniqueName } from '../helpers.js';

let connection: Connection;
let app: FastifyInstance;
beforeAll(async () => {
  connection = await connectClient({ address: stack().temporalAddress });
  app = await buildApp({ config: sandboxApiConfig(stack().temporalAddress, 'http://ui.test'), temporal: new Client({ connection }), taskQueue: uniqueName('tq-nobody') });
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
});

const spec = (green: Partial<MigrationSpec['green']>): MigrationSpec => ({
  region: 'us-east-1',
  blue: { cluster: uniqueName('blue') },
  green: { cluster: 'overrides-green', kubernetesVersion: '1.34', ...green },
  traffic: { driver: 'route53', route53: { hostedZoneName: 'example.com.', records: [{ name: 'app.example.com' }] } },
  decommission: TEST_DECOMMISSION,
});
const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: { ...auth('dev-operator'), 'content-type': 'application/json' }, payload });

describe('green.overrides', () => {
  it('POST /v1/plans shows every override in the plan', async () => {
    const res = await post(
      '/v1/plans',
      spec({
        overrides: {
          cluster: { publicAccessCidrs: ['203.0.113.0/24'], logging: ['api', 'audit'] },
          nodegroups: { '*': { amiType: 'AL2023_x86_64_STANDARD' }, web: { instanceTypes: ['m7i.large'], scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 } } },
          fargateProfiles: { system: { subnets: ['subnet-1'] } },
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().plan.greenOverrides).toEqual([
      'cluster.publicAccessCidrs: 203.0.113.0/24',
      'cluster.logging: api, audit',
      'nodegroups.*.amiType: AL2023_x86_64_STANDARD',
      'nodegroups.web.instanceTypes: m7i.large',
      'nodegroups.web.scalingConfig: {"minSize":2,"maxSize":6,"desiredSize":3}',
      'fargateProfiles.system.subnets: subnet-1',
    ]);
    // A spec without overrides plans as it did.
    expect((await post('/v1/plans', spec({}))).json().plan).not.toHaveProperty('greenOverrides');
  });

  it.each(['/v1/plans', '/v1/migrations'])('POST %s: an unknown field, or one EKS sets itself, is a 400 naming it and why', async (url) => {
    const res = await post(
      url,
      spec({
        overrides: {
          cluster: { endpoint: 'https://x.example', version: '1.35', color: 'blue' },
          nodegroups: { web: { color: 'green', releaseVersion: '1.34.0-20250101' }, 'bad name!': {} },
          fargateProfiles: { '*': { selectors: [] } },
        } as never,
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/green/overrides/cluster/endpoint', message: 'green.overrides.cluster.endpoint cannot be set: EKS assigns it' },
        { path: '/green/overrides/cluster/version', message: "green.overrides.cluster.version cannot be set: green's version is green.kubernetesVersion" },
        { path: '/green/overrides/cluster/color', message: expect.stringMatching(/^green\.overrides\.cluster\.color: unknown field; settable: roleArn, subnetIds, .*publicAccessCidrs, encryptionKeyArn/) },
        { path: '/green/overrides/nodegroups/web/color', message: expect.stringMatching(/^green\.overrides\.nodegroups\.web\.color: unknown field; settable: amiType, instanceTypes/) },
        { path: '/green/overrides/nodegroups/web/releaseVersion', message: "green.overrides.nodegroups.web.releaseVersion cannot be set: EKS picks the newest AMI release for green's version" },
        { path: '/green/overrides/nodegroups/bad name!', message: expect.stringContaining('is not a node group name') },
        { path: '/green/overrides/fargateProfiles/*/selectors', message: 'green.overrides.fargateProfiles.*.selectors: unknown field; settable: subnets' },
      ]),
    );
  });

  it('is a 400 with an adopted green, and where EKS would refuse the combination', async () => {
    const adopt = await post('/v1/plans', spec({ mode: 'adopt', overrides: { nodegroups: { web: { amiType: 'AL2023_x86_64_STANDARD' } } } }));
    expect(adopt.statusCode).toBe(400);
    expect(adopt.json().errors).toEqual([{ path: '/green/overrides', message: expect.stringContaining('an adopted green is taken as it is: leave overrides out') }]);

    const both = await post('/v1/plans', spec({ overrides: { nodegroups: { web: { launchTemplate: { name: 'lt', id: 'lt-1' }, diskSize: 50 } } } }));
    expect(both.statusCode).toBe(400);
    expect(both.json().errors).toEqual([
      { path: '/green/overrides/nodegroups/web/launchTemplate', message: 'names a launch template by id or by name: exactly one of them' },
      { path: '/green/overrides/nodegroups/web/diskSize', message: 'EKS refuses a disk size with a launch template: set the size in the launch template' },
    ]);
  });
});
