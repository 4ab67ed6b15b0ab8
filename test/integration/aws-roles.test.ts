// Roles per account against moto's STS: every call a migration's activities make goes out
// under the role its spec names for that call's account (EKS and ELBv2 under the clusters
// role, Route 53 under the DNS role), in a session named after the migration.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, runInAccounts, sessionName } from '../../activities/aws.js';
import { createActivities } from '../../activities/index.js';
import { route53Spacer } from '../../activities/rate-limit.js';
import { eksClusterAccess } from '../../activities/kubernetes.js';
import type { AwsAccounts } from '../../workflows/spec.js';
import { auth, eventually, seededSpec, stack, startHarness } from '../helpers.js';
import { albTraffic, route53Traffic, seedWorld, startFaultProxy, type FaultProxy } from './support.js';

// moto keeps each account's resources apart, and the seeded world lives in its default
// account: both roles are in that one here (in production they would be in two accounts).
const ACCOUNT = '123456789012';
const ACCOUNTS: AwsAccounts = {
  clusters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/cutover-clusters`, externalId: 'clusters-ext-id' },
  dns: { roleArn: `arn:aws:iam::${ACCOUNT}:role/cutover-dns` },
};

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy();
});
afterAll(() => proxy.close());

/** Who moto says a key belongs to (GetCallerIdentity with moto's answer to AssumeRole as credentials). */
async function whoIs(accessKeyId: string): Promise<string> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: proxy.url, credentials: { accessKeyId, secretAccessKey: 'unchecked-by-moto' } });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  } finally {
    sts.destroy();
  }
}

describe('roles per account', () => {
  it('runs EKS, ELBv2 and the EKS token as the clusters role and Route 53 as the DNS role, sessions named after the migration', async () => {
    const w = await seedWorld();
    const region = w.world.region;
    const migration = `migration-${region}-${w.world.blue}`;
    const aws = createAwsClients({ endpoint: proxy.url });
    const activities = createActivities({ aws });
    const start = proxy.calls.length;
    const spaced = route53Spacer(ACCOUNT).stats.requests;

    const token = await runInAccounts({ accounts: ACCOUNTS, session: migration }, async () => {
      expect(await activities.readWeights({ region, traffic: route53Traffic(w) })).toEqual([{ blue: 100, green: 0 }]);
      expect(await activities.readWeights({ region, traffic: albTraffic(w) })).toHaveLength(1);
      const blue = await eksClusterAccess(aws).connect(w.world.blue, region);
      return blue!.kc.getCurrentUser()!.token!;
    });

    const calls = proxy.calls.slice(start);
    const keysOf = (service: string) => new Set(calls.filter((c) => c.service === service).map((c) => c.accessKeyId!));
    const [route53, elb, eks] = [keysOf('route53'), keysOf('elasticloadbalancing'), keysOf('eks')];
    expect([route53.size, elb.size, eks.size]).toEqual([1, 1, 1]);
    // Route 53's requests took their turns in the DNS account's rate limiter.
    expect(route53Spacer(ACCOUNT).stats.requests - spaced).toBe(calls.filter((c) => c.service === 'route53').length);
    expect(calls.filter((c) => c.action === 'AssumeRole')).toHaveLength(2); // once per role, shared by its clients

    const [dnsKey] = route53;
    const [clustersKey] = eks;
    expect(elb).toEqual(eks);
    expect(dnsKey).not.toBe(clustersKey);
    expect(dnsKey).not.toBe('testing'); // not the worker's own credentials
    const session = sessionName(migration);
    expect(await whoIs(clustersKey)).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/cutover-clusters/${session}`);
    expect(await whoIs(dnsKey)).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/cutover-dns/${session}`);

    // The EKS token is signed with the clusters role's key too.
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.searchParams.get('X-Amz-Credential')?.split('/')[0]).toBe(clustersKey);
  });

  it('a migration started with roles in its spec makes its activities\' calls under them (the workflow hands the accounts on)', async () => {
    const { spec } = await seededSpec({ aws: ACCOUNTS });
    const harness = await startHarness(createActivities({ aws: createAwsClients({ endpoint: proxy.url }) }));
    try {
      const started = await harness.app.inject({ method: 'POST', url: '/v1/migrations', headers: auth('dev-operator'), payload: spec });
      expect(started.statusCode).toBe(201);
      const id = started.json<{ id: string }>().id;
      // Preflight describes blue in EKS: that call must come signed with an assumed role's key.
      const eksCall = await eventually(
        async () => proxy.calls.find((c) => c.service === 'eks' && c.path.includes(spec.blue.cluster) && c.accessKeyId !== 'testing'),
        (call) => call !== undefined,
      );
      expect(await whoIs(eksCall!.accessKeyId!)).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/cutover-clusters/${sessionName(id)}`);
      await harness.client.workflow.getHandle(id).terminate('test done');
    } finally {
      await harness.close();
    }
  });

  it('without roles, calls use the worker\'s own credentials', async () => {
    const w = await seedWorld();
    const start = proxy.calls.length;
    await createActivities({ aws: createAwsClients({ endpoint: proxy.url }) }).readWeights({ region: w.world.region, traffic: route53Traffic(w) });
    const calls = proxy.calls.slice(start);
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.accessKeyId))).toEqual(new Set(['testing']));
  });

  it('names sessions as STS allows (2–64 of [\\w+=,.@-])', () => {
    expect(sessionName('migration-eu-west-1-prod blue/1')).toBe('migration-eu-west-1-prod-blue-1');
    expect(sessionName(`migration-us-east-1-${'x'.repeat(100)}`)).toHaveLength(64);
  });

  it('signs Route 53 for the global region of the migration region\'s partition (the SDK\'s endpoint rules)', async () => {
    const signedFor = async (region: string) => {
      const client = createAwsClients({}).route53(region);
      const endpoint = client.config.endpointProvider({ Region: await client.config.region(), UseFIPS: false, UseDualStack: false });
      return [endpoint.url.host, (endpoint.properties?.authSchemes as { signingRegion: string }[])[0].signingRegion];
    };
    expect(await signedFor('eu-west-1')).toEqual(['route53.amazonaws.com', 'us-east-1']);
    expect(await signedFor('us-gov-east-1')).toEqual(['route53.us-gov.amazonaws.com', 'us-gov-west-1']);
    expect(await signedFor('cn-north-1')).toEqual(['route53.amazonaws.com.cn', 'cn-northwest-1']);
  });

  it('logs the calls made on a migration\'s behalf for the IAM policy check, not a test\'s own', async () => {
    const w = await seedWorld();
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-actions-')), 'aws-actions.log');
    const activities = createActivities({ aws: createAwsClients({ endpoint: stack().motoUrl, actionLog: log }) });
    await activities.readWeights({ region: w.world.region, traffic: route53Traffic(w) });
    expect(existsSync(log)).toBe(false);
    await runInAccounts({ accounts: { dns: ACCOUNTS.dns }, session: 'migration-logged' }, () => activities.readWeights({ region: w.world.region, traffic: route53Traffic(w) }));
    expect(new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))).toEqual(new Set(['sts:AssumeRole', 'route53:ListResourceRecordSets']));
  });
});
