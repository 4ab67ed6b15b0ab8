// The worker's kubeconfig: the files of KUBECONFIG merged as kubectl merges them (first file
// wins per name), contexts found by name, by an EKS cluster's ARN (as `aws eks
// update-kubeconfig` names them) or through a renamed (--alias) context's cluster entry, and
// the cluster reached through them answering with its version.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../activities/aws.js';
import { clusterAccessFromEnv, findContext, loadKubeconfigs, requireCluster, serverMinor } from '../../activities/kubernetes.js';
import { stack } from '../helpers.js';
import { failureOf } from './support.js';

const ARN = (name: string) => `arn:aws:eks:us-east-1:111122223333:cluster/${name}`;

/** A kubeconfig file: each context named → [cluster entry name, which apiserver]. */
function kubeconfig(dir: string, file: string, contexts: Record<string, [string, 'blue' | 'green']>, current?: string): string {
  const entries = Object.entries(contexts);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map(([, [cluster, role]]) => ({ name: cluster, cluster: { server: stack().kube[role].server, 'certificate-authority': stack().kube[role].caFile } })),
    users: entries.map(([, [cluster, role]]) => ({ name: `${cluster}-user`, user: { token: stack().kube[role].token } })),
    contexts: entries.map(([name, [cluster]]) => ({ name, context: { cluster, user: `${cluster}-user` } })),
    ...(current && { 'current-context': current }),
  };
  const at = path.join(dir, file);
  writeFileSync(at, JSON.stringify(config), { mode: 0o600 });
  return at;
}

function files() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutover-kubeconfig-'));
  // The first file: a context renamed with --alias (its cluster entry keeps the ARN) and one named "shared".
  const first = kubeconfig(dir, 'first.yaml', { prod: [ARN('prod-blue'), 'blue'], shared: ['shared-a', 'blue'] });
  // The second: an EKS context named by ARN, and another "shared" that the first file's hides.
  const second = kubeconfig(dir, 'second.yaml', { [ARN('prod-green')]: [ARN('prod-green'), 'green'], shared: ['shared-b', 'green'] }, 'shared');
  return { first, second, missing: path.join(dir, 'missing.yaml') };
}

describe('kubeconfig files merged as kubectl merges them', () => {
  it('keeps the first file’s entry of each name and the first current-context set, skipping files that do not exist', () => {
    const f = files();
    const kc = loadKubeconfigs([f.first, f.missing, f.second]);
    expect(kc.getContexts().map((c) => c.name).sort()).toEqual([ARN('prod-green'), 'prod', 'shared'].sort());
    expect(kc.getContextObject('shared')?.cluster).toBe('shared-a');
    expect(kc.getCurrentContext()).toBe('shared');
  });

  it('finds a context by name, by the EKS cluster’s ARN, or by a renamed context’s cluster entry', () => {
    const kc = loadKubeconfigs([files().first, files().second]);
    expect(findContext(kc, 'shared')?.name).toBe('shared');
    expect(findContext(kc, 'prod-green')?.name).toBe(ARN('prod-green'));
    expect(findContext(kc, 'prod-blue')?.name).toBe('prod');
    // A name is matched whole: "prod" is not the ARN of "blue".
    expect(findContext(kc, 'blue')).toBeUndefined();
  });

  it('reaches the cluster of a context and reads its version; a context the spec names is looked up instead of the name', async () => {
    const f = files();
    const access = clusterAccessFromEnv(createAwsClients({ endpoint: stack().motoUrl }), { KUBECONFIG: `${f.first}:${f.missing}:${f.second}` });
    const green = await access.connect('prod-green', 'us-east-1');
    expect(green?.server).toBe(stack().kube.green.server);
    expect(await serverMinor(green!)).toBe('1.34');
    const shared = await access.connect('edge', 'us-east-1', { context: 'shared', eks: false });
    expect(shared).toMatchObject({ name: 'edge', server: stack().kube.blue.server, eks: false });
  });

  it('never asks EKS about a cluster the spec names by context alone, and says which context is missing', async () => {
    const f = files();
    // In aws mode, with an EKS endpoint nothing listens on: asking it would fail, not return.
    const access = clusterAccessFromEnv(createAwsClients({ endpoint: 'http://127.0.0.1:1' }), { KUBECONFIG: f.first, CUTOVER_MODE: 'aws' });
    expect(await access.connect('anywhere', 'us-east-1', { context: 'anywhere', eks: false })).toBeUndefined();
    const failure = await failureOf(requireCluster(access, 'anywhere', 'us-east-1', { context: 'anywhere', eks: false }));
    expect(failure).toMatchObject({ type: 'NotFound', nonRetryable: true });
    expect(failure.message).toBe("no access to cluster anywhere's API server is configured on this worker (kubeconfig context anywhere)");
  });
});
