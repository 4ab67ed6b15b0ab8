// The Kubernetes side of preflight and validation, as findings: blue's use of removed APIs
// (blocking) and deprecated ones (warning), data in blue's volumes (blocking: a cutover does
// not move it), drift between blue and green (warnings: approving the cutover gate approves
// them), green's workload readiness (blocking while not ready). A cluster this worker cannot
// reach is a finding too, so a missing access entry shows up instead of a silent skip.
import { ApplicationFailure } from '@temporalio/common';
import type { Finding } from '../workflows/model.js';
import { compareMinor } from '../workflows/kubernetes-version.js';
import type { PreflightInput, PreflightResult, ProvisionInput, ProvisionResult, ValidateInput } from './contract.js';
import { FAILURE, invalidSpec } from './errors.js';
import { UNREACHABLE_AFTER_ATTEMPTS } from '../workflows/failures.js';
import { auditDrift, gibibytes, scanRemovedApis, statefulInventory, workloadReadiness, type ApiUsage, type InventoryOptions, type StatefulItem } from './kube-audit.js';
import { describeObject, KUBE_UNAVAILABLE, listAll, requireCluster, serverMinor, type ClusterAccess, type KubeCluster } from './kubernetes.js';
import { activityContext } from './poll.js';
import { withUserRows, type ApiLifecycle } from './removed-apis.js';

/** Findings listed one by one per category before the rest is summed up. */
const MAX_LISTED = 25;

/** The first MAX_LISTED findings of a category, the rest summed up in one. */
export function capped(findings: Finding[], source: string, what: string): Finding[] {
  if (findings.length <= MAX_LISTED) return findings;
  const rest = findings.length - MAX_LISTED;
  return [...findings.slice(0, MAX_LISTED), { severity: findings[MAX_LISTED].severity, source, message: `…and ${rest} more ${what}` }];
}

// An API server unreachable UNREACHABLE_AFTER_ATTEMPTS attempts in a row is reported, not retried forever.
export { UNREACHABLE_AFTER_ATTEMPTS };

/** This activity's attempt; 1 when called outside an activity. */
const attempt = (): number => activityContext()?.info.attempt ?? 1;

/**
 * Access problems become a blocking finding naming the cluster (a person may override it);
 * an unreachable API server is retried, and reported once retries have not helped.
 */
async function orFinding(source: string, what: string, run: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await run();
  } catch (err) {
    const failure = err instanceof ApplicationFailure ? err : undefined;
    if (failure && (failure.type === FAILURE.accessDenied || failure.type === FAILURE.notFound)) {
      return [{ severity: 'blocking', source, message: `${what} could not run: ${failure.message}` }];
    }
    if (failure?.type === KUBE_UNAVAILABLE && attempt() >= UNREACHABLE_AFTER_ATTEMPTS) {
      return [{ severity: 'blocking', source, message: `${what} could not run after ${attempt()} attempts: ${failure.message}` }];
    }
    throw err;
  }
}

export interface ClusterCheckOptions {
  /** Tests narrow the audit to their own namespaces; production audits every namespace. */
  inventory?: InventoryOptions;
  /** Rows for the removed-API table beyond Kubernetes' own (CRDs); the worker reads them from CUTOVER_REMOVED_APIS_FILE. */
  removedApis?: ApiLifecycle[];
}

/** Karpenter's node pool kinds, newest first. */
const KARPENTER_POOLS: [string, string][] = [
  ['karpenter.sh/v1', 'NodePool'],
  ['karpenter.sh/v1beta1', 'NodePool'],
  ['karpenter.sh/v1alpha5', 'Provisioner'],
];

const HOW = 'Velero, a snapshot restore, or the app\'s own replication';
const MIGRATE = `migrate it (${HOW}) to green before cutover`;

export function createClusterChecks(access: ClusterAccess | undefined, opts: ClusterCheckOptions = {}) {
  const table = withUserRows(opts.removedApis);
  const connect = async (cluster: string, region: string, ref?: PreflightInput['blueContext']): Promise<KubeCluster | undefined> => access?.connect(cluster, region, ref);
  const outsideEks = (name: string, context: string) => `${name} is not an EKS cluster (kubeconfig context ${context})`;

  return {
    /**
     * Preflight of a blue outside EKS, in place of EKS's: its version from its API server
     * against the target; what only EKS can tell (status, version catalogue, upgrade insights,
     * add-ons) is skipped, and an info finding says so.
     */
    async blueOutsideEks(input: PreflightInput): Promise<PreflightResult> {
      const context = input.blueContext!.context;
      const findings: Finding[] = [
        { severity: 'info', source: 'eks', message: `blue ${outsideEks(input.blue, context)}: EKS checks (cluster status, version catalogue, upgrade insights, add-ons) skipped` },
      ];
      let blueVersion = 'unknown';
      findings.push(
        ...(await orFinding('version', `reading blue ${input.blue}'s version`, async () => {
          blueVersion = await serverMinor(await requireCluster(access, input.blue, input.region, input.blueContext));
          return compareMinor(input.targetVersion, blueVersion) <= 0
            ? [{ severity: 'blocking', source: 'version', message: `target ${input.targetVersion} is not newer than blue's ${blueVersion}` }]
            : [];
        })),
      );
      return { blueVersion, findings };
    },

    /** Preflight of a green outside EKS to adopt: reachable, and at the target version. */
    async greenOutsideEks(input: PreflightInput): Promise<Finding[]> {
      const context = input.greenContext!.context;
      return orFinding('version', `reading green ${input.green}'s version`, async () => {
        const version = await serverMinor(await requireCluster(access, input.green, input.region, input.greenContext));
        return version === input.targetVersion
          ? [{ severity: 'info', source: 'version', message: `green ${outsideEks(input.green, context)} runs ${version}: adopted as it is` }]
          : [{ severity: 'blocking', source: 'version', message: `green ${input.green} runs ${version}, spec says ${input.targetVersion}` }];
      });
    },

    /** Provisioning of a green outside EKS: adopt only (nothing to create or copy); its API server must answer at the target version. */
    async adoptGreenOutsideEks(input: ProvisionInput): Promise<ProvisionResult> {
      const context = input.greenContext!.context;
      const version = await serverMinor(await requireCluster(access, input.green, input.region, input.greenContext));
      if (version !== input.targetVersion) throw invalidSpec(`green ${input.green} runs ${version}, spec says ${input.targetVersion}`);
      return {
        created: false,
        status: 'REACHABLE',
        findings: [{ severity: 'info', source: 'eks', message: `green ${outsideEks(input.green, context)}: adopted as it is; EKS add-ons, access entries and Pod Identity associations are not copied` }],
      };
    },

    /** Blue's objects written with APIs the target removes (blocking) or deprecates (warning). */
    async removedApiFindings(input: PreflightInput): Promise<Finding[]> {
      const source = 'removed-apis';
      return orFinding(source, `removed-API scan of ${input.blue}`, async () => {
        const blue = await connect(input.blue, input.region, input.blueContext);
        if (!blue) return [{ severity: 'info', source, message: `no API access to ${input.blue} configured on this worker; removed-API scan skipped` }];
        const scan = await scanRemovedApis(blue, input.targetVersion, { namespaces: opts.inventory?.namespaces, table });
        const uses = (u: ApiUsage) => `${describeObject(u)} in ${input.blue} uses ${u.apiVersion} (${u.sources.join(', ')})`;
        const findings: Finding[] = [
          ...capped(
            scan.usages
              .filter((u) => u.removed)
              .map((u) => ({ severity: 'blocking', source, message: `${uses(u)}, removed in Kubernetes ${u.removedIn}${u.replacement ? `; migrate it to ${u.replacement}` : ''}` })),
            source,
            'objects using removed APIs',
          ),
          ...capped(
            scan.usages
              .filter((u) => !u.removed)
              .map((u) => ({
                severity: 'warning',
                source,
                message: `${uses(u)}, deprecated since Kubernetes ${u.deprecatedIn}${u.removedIn ? ` and removed in ${u.removedIn}` : ''}${u.replacement ? `; migrate it to ${u.replacement} before then` : ''}`,
              })),
            source,
            'objects using deprecated APIs',
          ),
        ];
        const served = [...new Set(scan.servedRemoved.map((r) => r.apiVersion))];
        if (served.length) {
          findings.push({ severity: 'warning', source, message: `${input.blue} still serves ${served.join(', ')}, which Kubernetes ${input.targetVersion} does not; clients calling them will fail on green` });
        }
        if (!findings.length) findings.push({ severity: 'info', source, message: `no object in ${input.blue} uses an API removed or deprecated by Kubernetes ${input.targetVersion}` });
        return findings;
      });
    },

    /**
     * Karpenter's node pools in blue (NodePools, karpenter.sh v1 and v1beta1; Provisioners,
     * v1alpha5): Karpenter runs inside the cluster, so green.mode create cannot copy them.
     */
    async karpenterFindings(input: PreflightInput): Promise<Finding[]> {
      const source = 'karpenter';
      return orFinding(source, `Karpenter scan of ${input.blue}`, async () => {
        const blue = await connect(input.blue, input.region, input.blueContext);
        if (!blue) return [{ severity: 'info', source, message: `no API access to ${input.blue} configured on this worker; Karpenter scan skipped` }];
        // Kind and name → how it is named: one object served by two versions is one pool.
        const pools = new Map<string, string>();
        for (const [apiVersion, kind] of KARPENTER_POOLS) {
          if (!(await blue.objects.served(apiVersion, kind))) continue;
          for (const o of await listAll(blue, apiVersion, kind)) {
            const key = `${kind} ${o.metadata?.name}`;
            if (!pools.has(key)) pools.set(key, `${key} (${apiVersion})`);
          }
        }
        if (!pools.size) return [{ severity: 'info', source, message: `no Karpenter NodePool or Provisioner in ${input.blue}` }];
        return capped(
          [...pools.values()].map((p) => ({
            severity: 'warning',
            source,
            message: `${p} in ${input.blue} is not copied: Karpenter runs in the cluster; install it on green and apply the NodePool (with its EC2NodeClass) there before cutover`,
          })),
          source,
          'Karpenter node pools',
        );
      });
    },

    /**
     * Data in blue's volumes, which a cutover does not move: blocking until a person has moved it
     * (or overrides). With spec.stateful, `carry` holds the claims ("ns/name") the carry-over
     * copies to green and those its findings name: those, and StatefulSets whose every claim is
     * carried, are left to the carry-over's own findings.
     */
    async statefulFindings(input: PreflightInput, carry?: { carried: Set<string>; named: Set<string> }): Promise<Finding[]> {
      const carried = carry?.carried;
      const source = 'stateful';
      return orFinding(source, `stateful-workload scan of ${input.blue}`, async () => {
        const blue = await connect(input.blue, input.region, input.blueContext);
        if (!blue) return [{ severity: 'info', source, message: `no API access to ${input.blue} configured on this worker; stateful-workload scan skipped` }];
        const found = await statefulInventory(blue, { namespaces: opts.inventory?.namespaces });
        const size = (i: StatefulItem) => `${i.storageClasses.join(', ')}, ${gibibytes(i.bytes)}`;
        const block = (message: string): Finding => ({ severity: 'blocking', source, message });
        const isCarried = (claim: string | undefined) => !!claim && !!carried?.has(claim);
        const allCarried = (i: StatefulItem) => !!i.claimNames?.length && i.claimNames.length === i.volumes && i.claimNames.every(isCarried);
        const findings: Finding[] = [
          ...found.statefulSets
            .filter(allCarried)
            .map((i): Finding => ({ severity: 'info', source, message: `${describeObject(i)} in ${input.blue}: its ${i.volumes} PVC${i.volumes === 1 ? ' is' : 's are'} carried over to ${input.green} (spec.stateful)` })),
          ...capped(
            found.statefulSets
              .filter((i) => !allCarried(i))
              .map((i) =>
                block(
                  i.volumes
                    ? `${describeObject(i)} in ${input.blue} with ${i.volumes} PVC${i.volumes === 1 ? '' : 's'} (${size(i)}): its data stays in blue's volumes; ${carried ? 'not all of them are carried over (spec.stateful); ' : ''}${MIGRATE}`
                    : `${describeObject(i)} in ${input.blue} has no volume claims: check where it keeps its state (hostPath, an outside database) before cutover`,
                ),
              ),
            source,
            'StatefulSets',
          ),
          ...capped(
            found.claims
              // The carry-over's own findings name the claims it carries and those it cannot.
              .filter((i) => !carry?.named.has(`${i.namespace}/${i.name}`))
              .map((i) => block(`${describeObject(i)} in ${input.blue} (${size(i)}): its data stays in blue's volume; ${MIGRATE}`)),
            source,
            'PersistentVolumeClaims',
          ),
          ...capped(
            found.retainedVolumes.map((i): Finding =>
              isCarried(i.claim)
                ? { severity: 'warning', source, message: `${describeObject(i)} in ${input.blue} (reclaimPolicy Retain, ${size(i)}, claimed by ${i.claim}): carried over, and its disk outlives blue's deletion; delete it once green's copy is trusted, or it stays behind, billed` }
                : block(
                    `${describeObject(i)} in ${input.blue} (reclaimPolicy Retain, ${size(i)}${i.claim ? `, claimed by ${i.claim}` : ', unclaimed'}): its disk outlives blue's deletion; move what green needs from it (${HOW}), then delete it, or it stays behind, billed`,
                  ),
            ),
            source,
            'retained PersistentVolumes',
          ),
        ];
        if (!findings.length) findings.push({ severity: 'info', source, message: `no StatefulSet, PersistentVolumeClaim or retained PersistentVolume in ${input.blue}` });
        return findings;
      });
    },

    async validationFindings(input: ValidateInput): Promise<Finding[]> {
      const [blue, green] = await Promise.all([connect(input.blue, input.region, input.blueContext), connect(input.green, input.region, input.greenContext)]);
      if (!blue || !green) {
        const missing = [!blue && input.blue, !green && input.green].filter(Boolean).join(' and ');
        return [{ severity: 'info', source: 'drift', message: `no API access to ${missing} configured on this worker; drift audit and readiness skipped` }];
      }
      const drift = await orFinding('drift', `drift audit of ${input.blue} against ${input.green}`, async () => {
        const report = await auditDrift(blue, green, opts.inventory);
        const findings: Finding[] = [
          ...capped(
            report.blueOnly.map((k) => ({ severity: 'warning', source: 'drift', message: `${describeObject(k)} exists only in blue ${input.blue}: it is lost at cutover unless green gets it` })),
            'drift',
            'objects only in blue',
          ),
          ...capped(
            report.differs.map((d) => ({ severity: 'warning', source: 'drift', message: `${describeObject(d.key)} differs between ${input.blue} and ${input.green} at ${d.paths.join(', ')}` })),
            'drift',
            'objects that differ',
          ),
        ];
        findings.push({
          severity: 'info',
          source: 'drift',
          message: `drift audit: ${report.compared} objects in both clusters, ${report.blueOnly.length} only in blue, ${report.differs.length} differ, ${report.greenOnly} only in green`,
        });
        return findings;
      });
      const readiness = await orFinding('readiness', `readiness of ${input.green}'s workloads`, async () => {
        const workloads = await workloadReadiness(green, { namespaces: opts.inventory?.namespaces });
        const notReady = workloads.filter((w) => !w.ready);
        return [
          ...capped(
            notReady.map((w) => ({ severity: 'blocking', source: 'readiness', message: `${describeObject(w)} in ${input.green} is not ready: ${w.detail}` })),
            'readiness',
            'workloads not ready',
          ),
          { severity: 'info', source: 'readiness', message: `${workloads.length - notReady.length}/${workloads.length} workloads ready in ${input.green}` },
        ];
      });
      return [...drift, ...readiness];
    },
  };
}
