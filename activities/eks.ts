// EKS: describe blue, check the target version, create green as blue's copy (green-copy.ts:
// the cluster, node groups, Fargate profiles; eks-config.ts: add-ons, access entries, Pod
// Identity associations) or adopt it, retire a cluster.
// Calls an endpoint does not implement (moto, or an account without the feature) become
// findings, never crashes.
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteFargateProfileCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeClusterVersionsCommand,
  ListInsightsCommand,
  waitUntilClusterActive,
  waitUntilClusterDeleted,
  waitUntilFargateProfileDeleted,
  waitUntilNodegroupActive,
  waitUntilNodegroupDeleted,
  type Cluster,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type { Finding } from '../workflows/model.js';
import { compareMinor } from '../workflows/kubernetes-version.js';
import type { AwsClients } from './aws.js';
import type { ClusterProtection, ClusterRef, GreenCreatedByInput, PreflightInput, PreflightResult, ProvisionInput, ProvisionResult } from './contract.js';
import { addonFindings, addonsActive, copyClusterConfig } from './eks-config.js';
import { awsFailure, invalidSpec, isUnsupported, notFound } from './errors.js';
import { adoptDifferences, clusterRequest, copyFargateProfiles, copyFindings, describeFargateProfiles, describeNodegroups, listNodegroups, MIGRATION_TAG, nodegroupRequest } from './green-copy.js';
import { POLL_INTERVAL, pollUntil, runWaiter, type Waiter } from './poll.js';

/** A cluster tagged so (value `true`) is never deleted by a migration: decommissioning keeps it. */
export const PROTECTED_TAG = 'cutover.io/protected';

/** Whether a cluster is protected from deletion: the tag, or EKS deletion protection (where the endpoint reports it). */
function protectionOf(cluster: Cluster): ClusterProtection {
  if (cluster.tags?.[PROTECTED_TAG]?.trim().toLowerCase() === 'true') return { protected: true, reason: `tag ${PROTECTED_TAG}=true on EKS cluster ${cluster.name}` };
  if (cluster.deletionProtection === true) return { protected: true, reason: `EKS deletion protection is on for cluster ${cluster.name}` };
  return { protected: false };
}

async function describeCluster(eks: EKSClient, name: string): Promise<Cluster | undefined> {
  try {
    return (await eks.send(new DescribeClusterCommand({ name }))).cluster;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw awsFailure(err, `cluster ${name}`);
  }
}

/** Deletes every node group of `cluster` and waits until each is gone; returns their names. */
async function deleteNodegroups(eks: EKSClient, cluster: string): Promise<string[]> {
  const groups = await listNodegroups(eks, cluster);
  for (const name of groups) {
    await eks.send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: name })).catch((err) => {
      if ((err as Error).name !== 'ResourceNotFoundException') throw awsFailure(err, `deleting node group ${name}`);
    });
  }
  for (const name of groups) {
    await eksWait(`node group ${name} of ${cluster} deleted`, (params) => waitUntilNodegroupDeleted({ client: eks, ...params }, { clusterName: cluster, nodegroupName: name }));
  }
  return groups;
}

/** Deletes every Fargate profile of `cluster`, one at a time (EKS deletes one of a cluster at a time); an endpoint without them has none. */
async function deleteFargateProfiles(eks: EKSClient, cluster: string): Promise<void> {
  const profiles = await describeFargateProfiles(eks, cluster).catch((err) => {
    if (isUnsupported(err)) return [];
    throw err;
  });
  for (const { fargateProfileName: name } of profiles) {
    await eks.send(new DeleteFargateProfileCommand({ clusterName: cluster, fargateProfileName: name })).catch((err) => {
      if ((err as Error).name !== 'ResourceNotFoundException') throw awsFailure(err, `deleting Fargate profile ${name} of ${cluster}`);
    });
    await eksWait(`Fargate profile ${name} of ${cluster} deleted`, (params) => waitUntilFargateProfileDeleted({ client: eks, ...params }, { clusterName: cluster, fargateProfileName: name! }));
  }
}

/** EKS's own waiter for `describe`, polled every few seconds rather than the SDK's default half minute. */
const eksWait = (describe: string, waiter: Waiter) => runWaiter(waiter, { describe, interval: POLL_INTERVAL.eks });

export function createEksActivities(aws: AwsClients) {
  return {
    async preflight(input: PreflightInput): Promise<PreflightResult> {
      const eks = aws.eks(input.region);
      const blue = await describeCluster(eks, input.blue);
      if (!blue) throw notFound(`blue cluster ${input.blue} not found in ${input.region}`);
      const blueVersion = blue.version ?? 'unknown';
      const findings: Finding[] = [];
      if (blue.status !== 'ACTIVE') findings.push({ severity: 'blocking', source: 'eks', message: `blue ${input.blue} is ${blue.status}, not ACTIVE` });
      if (blueVersion !== 'unknown' && compareMinor(input.targetVersion, blueVersion) <= 0) {
        findings.push({ severity: 'blocking', source: 'eks', message: `target ${input.targetVersion} is not newer than blue's ${blueVersion}` });
      }
      try {
        const versions = await eks.send(new DescribeClusterVersionsCommand({ clusterVersions: [input.targetVersion] }));
        if (!versions.clusterVersions?.length) {
          findings.push({ severity: 'blocking', source: 'eks', message: `Kubernetes ${input.targetVersion} is not offered by EKS in ${input.region}` });
        }
      } catch (err) {
        if (!isUnsupported(err)) throw awsFailure(err, 'EKS cluster versions');
        findings.push({ severity: 'info', source: 'eks', message: 'EKS version catalogue not available on this endpoint; target version not checked against it' });
      }
      try {
        const insights = await eks.send(new ListInsightsCommand({ clusterName: input.blue, filter: { kubernetesVersions: [input.targetVersion] } }));
        for (const insight of insights.insights ?? []) {
          const status = insight.insightStatus?.status;
          if (status === 'ERROR' || status === 'WARNING') {
            findings.push({ severity: status === 'ERROR' ? 'blocking' : 'warning', source: 'eks-insights', message: `${insight.name}: ${insight.insightStatus?.reason ?? status}` });
          }
        }
      } catch (err) {
        if (!isUnsupported(err)) throw awsFailure(err, `EKS insights of ${input.blue}`);
        findings.push({ severity: 'info', source: 'eks-insights', message: 'EKS upgrade insights not available on this endpoint' });
      }
      // A green outside EKS is checked through its API server (activities/cluster-checks.ts).
      if (input.mode === 'adopt' && input.greenContext?.eks !== false) {
        const green = await describeCluster(eks, input.green);
        if (!green) findings.push({ severity: 'blocking', source: 'eks', message: `green ${input.green} to adopt does not exist` });
        else findings.push(...(await adoptDifferences(eks, blue, green)));
      }
      if (input.mode === 'create') {
        findings.push(...(await addonFindings(eks, input.blue, input.targetVersion)));
        findings.push(...(await copyFindings(aws, input, blue)));
      }
      const protection = protectionOf(blue);
      if (protection.protected) findings.push({ severity: 'info', source: 'eks', message: `blue is protected: it will be kept (${protection.reason}); decommissioning removes its routing and deletes nothing of it` });
      return { blueVersion, findings };
    },

    /** Creates green from blue's configuration (or verifies it in adopt mode); safe to retry. */
    async provisionGreen(input: ProvisionInput): Promise<ProvisionResult> {
      const eks = aws.eks(input.region);
      let green = await describeCluster(eks, input.green);
      if (input.mode === 'adopt') {
        if (!green) throw notFound(`green cluster ${input.green} to adopt not found in ${input.region}`);
        if (green.version !== input.targetVersion) throw invalidSpec(`green ${input.green} runs ${green.version}, spec says ${input.targetVersion}`);
      } else if (!green) {
        const blue = await describeCluster(eks, input.blue);
        if (!blue) throw notFound(`blue cluster ${input.blue} not found in ${input.region}`);
        green = (
          await eks.send(new CreateClusterCommand(clusterRequest(blue, input))).catch((err) => {
            throw awsFailure(err, `creating ${input.green}`);
          })
        ).cluster;
      }
      await eksWait(`${input.green} ACTIVE`, (params) => waitUntilClusterActive({ client: eks, ...params }, { name: input.green }));
      const created = green?.tags?.[MIGRATION_TAG] === input.migrationId;
      // Node groups only once green is ACTIVE (EKS refuses them before), and only on a green
      // this migration made; a retry creates only those not there yet.
      if (input.mode === 'create' && created) {
        const existing = new Set(await listNodegroups(eks, input.green));
        for (const ng of await describeNodegroups(eks, input.blue)) {
          if (existing.has(ng.nodegroupName!)) continue;
          await eks.send(new CreateNodegroupCommand(nodegroupRequest(ng, input))).catch((err) => {
            // Created by an attempt whose answer was lost.
            if ((err as Error).name !== 'ResourceInUseException') throw awsFailure(err, `node group ${ng.nodegroupName} of ${input.green}`);
          });
        }
      }
      for (const name of await listNodegroups(eks, input.green)) {
        await eksWait(`node group ${name} of ${input.green} ACTIVE`, (params) =>
          waitUntilNodegroupActive({ client: eks, ...params }, { clusterName: input.green, nodegroupName: name }),
        );
      }
      const findings: Finding[] = [];
      // Only a green this migration made gets blue's configuration; someone else's is left as it is.
      if (input.mode === 'create' && created) {
        await copyFargateProfiles(eks, input.blue, input).catch((err) => {
          if (!isUnsupported(err)) throw err;
          findings.push({ severity: 'info', source: 'eks', message: 'EKS Fargate profiles not available on this endpoint; skipped' });
        });
        const copied = await copyClusterConfig(eks, input.blue, input.green, input.targetVersion, { [MIGRATION_TAG]: input.migrationId });
        findings.push(...copied.findings);
        // Not EKS's add-on waiter: it gives up on DEGRADED, which an add-on can recover from;
        // only CREATE_FAILED is final (addonsActive throws on it).
        await pollUntil(() => addonsActive(eks, input.green, copied.addons), { describe: `add-ons of ${input.green} ACTIVE`, interval: POLL_INTERVAL.eks });
      }
      return { created, status: 'ACTIVE', findings };
    },

    /** Read-only: does green exist, created by this migration (its tag)? Asked after a provisioning failure. */
    async greenCreatedBy(input: GreenCreatedByInput): Promise<boolean> {
      const green = await describeCluster(aws.eks(input.region), input.green);
      return green?.tags?.[MIGRATION_TAG] === input.migrationId;
    },

    /** Read-only: is the cluster protected from deletion (tag cutover.io/protected=true, EKS deletion protection)? A cluster gone is not. */
    async clusterProtection(input: ClusterRef): Promise<ClusterProtection> {
      const cluster = await describeCluster(aws.eks(input.region), input.cluster);
      return cluster ? protectionOf(cluster) : { protected: false };
    },

    /** Deletes a cluster's node groups and waits until they are gone; a cluster or group already gone counts as done. */
    async deleteNodegroups(input: ClusterRef): Promise<{ deleted: string[] }> {
      const eks = aws.eks(input.region);
      if (!(await describeCluster(eks, input.cluster))) return { deleted: [] };
      return { deleted: await deleteNodegroups(eks, input.cluster) };
    },

    /** Deletes a cluster's node groups (any left), then the cluster; already gone counts as done. */
    async deleteCluster(input: ClusterRef): Promise<void> {
      const eks = aws.eks(input.region);
      if (!(await describeCluster(eks, input.cluster))) return;
      await deleteNodegroups(eks, input.cluster);
      await deleteFargateProfiles(eks, input.cluster);
      await eks.send(new DeleteClusterCommand({ name: input.cluster })).catch((err) => {
        if ((err as Error).name !== 'ResourceNotFoundException') throw awsFailure(err, `deleting ${input.cluster}`);
      });
      await eksWait(`${input.cluster} deleted`, (params) => waitUntilClusterDeleted({ client: eks, ...params }, { name: input.cluster }));
    },
  };
}
