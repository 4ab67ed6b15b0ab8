// What a cluster carries beyond its control plane and nodes, copied from blue to green:
// add-ons (at the version EKS recommends for the target), access entries with their access
// policies, and Pod Identity associations. Each copy is idempotent (an existing item is left
// as it is), and an endpoint or account without the feature yields a finding, not a failure.
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreateAddonCommand,
  CreatePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribePodIdentityAssociationCommand,
  ListAccessEntriesCommand,
  ListAddonsCommand,
  ListAssociatedAccessPoliciesCommand,
  ListPodIdentityAssociationsCommand,
  type AddonInfo,
  type EKSClient,
} from '@aws-sdk/client-eks';
import { ApplicationFailure } from '@temporalio/common';
import type { Finding } from '../workflows/model.js';
import { awsFailure, isUnsupported } from './errors.js';

const exists = (err: unknown) => (err as Error).name === 'ResourceInUseException';

/** Runs `copy`; a call the endpoint lacks becomes one info finding naming what was not copied. */
async function feature(findings: Finding[], what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!isUnsupported(err)) throw err;
    findings.push({ severity: 'info', source: 'eks', message: `${what} not available on this endpoint; skipped` });
  }
}

/** Every item of a paginated EKS list (nextToken). */
export async function pages<T>(fetch: (nextToken?: string) => Promise<{ items?: T[]; nextToken?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    all.push(...(page.items ?? []));
    token = page.nextToken;
  } while (token);
  return all;
}

/** Every add-on name of `cluster`. */
export const listAddons = (eks: EKSClient, cluster: string) =>
  pages(async (nextToken) => {
    const r = await eks.send(new ListAddonsCommand({ clusterName: cluster, nextToken }));
    return { items: r.addons, nextToken: r.nextToken };
  });

/** The version EKS marks default for `k8s`, else the newest compatible one. */
export function addonVersionFor(info: AddonInfo | undefined, k8s: string): string | undefined {
  const versions = info?.addonVersions ?? [];
  const compatible = versions.filter((v) => v.compatibilities?.some((c) => c.clusterVersion === k8s));
  return (compatible.find((v) => v.compatibilities?.some((c) => c.clusterVersion === k8s && c.defaultVersion)) ?? compatible[0])?.addonVersion;
}

async function addonInfo(eks: EKSClient, addonName: string, k8s: string): Promise<AddonInfo | undefined> {
  const r = await eks.send(new DescribeAddonVersionsCommand({ addonName, kubernetesVersion: k8s }));
  return r.addons?.find((a) => a.addonName === addonName);
}

/** Preflight: every add-on blue runs must have a version for the target. */
export async function addonFindings(eks: EKSClient, blue: string, target: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  await feature(findings, 'EKS add-ons', async () => {
    for (const name of await listAddons(eks, blue)) {
      const version = addonVersionFor(await addonInfo(eks, name, target), target);
      findings.push(
        version
          ? { severity: 'info', source: 'eks-addons', message: `add-on ${name} will be installed at ${version} on ${target}` }
          : { severity: 'blocking', source: 'eks-addons', message: `add-on ${name} has no version compatible with Kubernetes ${target}` },
      );
    }
  });
  return findings;
}

/** Copies blue's add-ons, access entries and Pod Identity associations to green. */
export async function copyClusterConfig(eks: EKSClient, blue: string, green: string, target: string, tags: Record<string, string>): Promise<{ findings: Finding[]; addons: string[] }> {
  const findings: Finding[] = [];
  const addons: string[] = [];

  await feature(findings, 'EKS add-ons', async () => {
    for (const name of await listAddons(eks, blue)) {
      const current = (await eks.send(new DescribeAddonCommand({ clusterName: blue, addonName: name }))).addon;
      const version = addonVersionFor(await addonInfo(eks, name, target), target);
      if (!version) {
        findings.push({ severity: 'warning', source: 'eks-addons', message: `add-on ${name} has no version for ${target}; not installed on ${green}` });
        continue;
      }
      await eks
        .send(
          new CreateAddonCommand({
            clusterName: green,
            addonName: name,
            addonVersion: version,
            serviceAccountRoleArn: current?.serviceAccountRoleArn,
            configurationValues: current?.configurationValues,
            resolveConflicts: 'OVERWRITE',
            tags: { ...current?.tags, ...tags },
          }),
        )
        .catch((err) => {
          if (!exists(err)) throw awsFailure(err, `add-on ${name} on ${green}`);
        });
      addons.push(name);
    }
  });

  await feature(findings, 'EKS access entries', async () => {
    const principals = await pages(async (nextToken) => {
      const r = await eks.send(new ListAccessEntriesCommand({ clusterName: blue, nextToken }));
      return { items: r.accessEntries, nextToken: r.nextToken };
    });
    for (const principalArn of principals) {
      const entry = (await eks.send(new DescribeAccessEntryCommand({ clusterName: blue, principalArn }))).accessEntry;
      await eks
        .send(new CreateAccessEntryCommand({ clusterName: green, principalArn, kubernetesGroups: entry?.kubernetesGroups, username: entry?.username, type: entry?.type, tags }))
        .catch((err) => {
          if (!exists(err)) throw awsFailure(err, `access entry ${principalArn} on ${green}`);
        });
      const policies = await pages(async (nextToken) => {
        const r = await eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: blue, principalArn, nextToken }));
        return { items: r.associatedAccessPolicies, nextToken: r.nextToken };
      });
      for (const p of policies) {
        // Associating the same policy again updates it in place: safe to retry.
        await eks.send(new AssociateAccessPolicyCommand({ clusterName: green, principalArn, policyArn: p.policyArn, accessScope: p.accessScope })).catch((err) => {
          throw awsFailure(err, `access policy ${p.policyArn} for ${principalArn} on ${green}`);
        });
      }
    }
  });

  await feature(findings, 'EKS Pod Identity associations', async () => {
    const associations = await pages(async (nextToken) => {
      const r = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: blue, nextToken }));
      return { items: r.associations, nextToken: r.nextToken };
    });
    for (const a of associations) {
      const full = (await eks.send(new DescribePodIdentityAssociationCommand({ clusterName: blue, associationId: a.associationId }))).association;
      await eks
        .send(new CreatePodIdentityAssociationCommand({ clusterName: green, namespace: a.namespace, serviceAccount: a.serviceAccount, roleArn: full?.roleArn, tags: { ...full?.tags, ...tags } }))
        .catch((err) => {
          if (!exists(err)) throw awsFailure(err, `Pod Identity association ${a.namespace}/${a.serviceAccount} on ${green}`);
        });
    }
  });

  return { findings, addons };
}

/** True once every named add-on on `cluster` is ACTIVE (DEGRADED and failures are errors to see). */
export async function addonsActive(eks: EKSClient, cluster: string, addons: string[]): Promise<boolean> {
  for (const addonName of addons) {
    const addon = (await eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName }))).addon;
    if (addon?.status === 'CREATE_FAILED') {
      const issues = addon.health?.issues?.map((i) => i.message).join('; ') || 'no reason given';
      throw ApplicationFailure.create({ type: 'AddonCreateFailed', nonRetryable: true, message: `add-on ${addonName} on ${cluster} failed to create: ${issues}` });
    }
    if (addon?.status !== 'ACTIVE') return false;
  }
  return true;
}
