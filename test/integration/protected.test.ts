// A blue cluster marked protected against moto: the tag cutover.io/protected=true reads as
// protected (clusterProtection, and an info finding of preflight); an untagged or missing one
// does not. (EKS deletion protection reads the same way where the endpoint reports it; moto
// does not, so only the tag is checked against it here.)
import { DescribeClusterCommand, TagResourceCommand } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { PROTECTED_TAG } from '../../activities/eks.js';
import { stack, uniqueName } from '../helpers.js';
import { activitiesWith, seedWorld } from './support.js';

const eks = (region: string) => createAwsClients({ endpoint: stack().motoUrl }).eks(region);

async function protect(region: string, cluster: string, value = 'true'): Promise<void> {
  const { cluster: described } = await eks(region).send(new DescribeClusterCommand({ name: cluster }));
  await eks(region).send(new TagResourceCommand({ resourceArn: described!.arn!, tags: { [PROTECTED_TAG]: value } }));
}

describe('protected blue', () => {
  it('reads a cluster tagged cutover.io/protected=true as protected, naming the tag; preflight says blue will be kept', async () => {
    const { world } = await seedWorld();
    const acts = activitiesWith();
    expect(await acts.clusterProtection({ region: world.region, cluster: world.blue })).toEqual({ protected: false });

    await protect(world.region, world.blue);
    expect(await acts.clusterProtection({ region: world.region, cluster: world.blue })).toEqual({
      protected: true,
      reason: `tag ${PROTECTED_TAG}=true on EKS cluster ${world.blue}`,
    });
    const preflight = await acts.preflight({ region: world.region, blue: world.blue, green: world.green, targetVersion: '1.34', mode: 'create' });
    expect(preflight.findings).toContainEqual({ severity: 'info', source: 'eks', message: expect.stringMatching(/^blue is protected: it will be kept \(tag cutover\.io\/protected=true/) });
    expect(preflight.findings.filter((f) => f.severity === 'blocking')).toEqual([]);
  });

  it('does not read another value of the tag, or a cluster that is gone, as protected', async () => {
    const { world } = await seedWorld();
    await protect(world.region, world.blue, 'no');
    const acts = activitiesWith();
    expect(await acts.clusterProtection({ region: world.region, cluster: world.blue })).toEqual({ protected: false });
    expect(await acts.clusterProtection({ region: world.region, cluster: uniqueName('gone') })).toEqual({ protected: false });
  });
});
