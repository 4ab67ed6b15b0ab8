// AWS SDK waiters run under activities/poll.ts against moto: how a wait that cannot end well
// fails, as the workflow's retry policy and a person reading the failure see it.
import { waitUntilClusterActive, waitUntilClusterDeleted } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { runWaiter } from '../../activities/poll.js';
import { stack, uniqueName } from '../helpers.js';
import { failureOf, runActivity, seedWorld } from './support.js';

const eks = () => createAwsClients({ endpoint: stack().motoUrl }).eks('us-east-1');

describe('AWS waiters in activities', () => {
  it('a wait AWS keeps answering with an error runs out of time retryably, naming the answer', async () => {
    const missing = uniqueName('nope');
    const failure = await failureOf(
      runActivity(() => runWaiter((params) => waitUntilClusterActive({ client: eks(), ...params }, { name: missing }), { describe: `${missing} ACTIVE`, interval: '500ms', timeout: '2s' })),
    );
    expect(failure).toMatchObject({ type: 'WaitTimedOut', nonRetryable: false });
    expect(failure.message).toMatch(new RegExp(`^${missing} ACTIVE: not reached within 2s; AWS answered 404: No cluster found for name: ${missing}`));
  });

  it('a wait for a state the resource will not reach fails for good, naming its status', async () => {
    const { world } = await seedWorld();
    const failure = await failureOf(
      runActivity(() => runWaiter((params) => waitUntilClusterDeleted({ client: eks(), ...params }, { name: world.blue }), { describe: `${world.blue} deleted`, interval: '500ms' })),
    );
    expect(failure).toEqual({ type: 'WaitFailed', nonRetryable: true, message: `${world.blue} deleted: will not happen (status ACTIVE)` });
  });
});
