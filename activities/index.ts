// All activities, built by one factory from the clients they use, so a test or a benchmark
// points them at moto and local API servers just by handing other clients in.
import type { AwsClients } from './aws.js';
import { createBlueTeardown } from './blue-teardown.js';
import { createCalendarActivities } from './calendar.js';
import type { FreezeCalendars } from '../config/freeze-windows.js';
import { createClusterChecks, type ClusterCheckOptions } from './cluster-checks.js';
import { createDrainActivities } from './drain.js';
import type { PreflightInput, PreflightResult, ProvisionInput, ProvisionResult, ValidateInput } from './contract.js';
import { createEksActivities } from './eks.js';
import { createGitopsActivities } from './gitops.js';
import { createHealthActivities, type HealthSettings } from './health.js';
import type { ClusterAccess } from './kubernetes.js';
import { createObservedShareActivities } from './observed-share.js';
import { createPermissionActivities } from './permissions.js';
import { createNotifyActivities, type NotifySettings } from './notify.js';
import { createSignals } from './signals/index.js';
import { createStatefulActivities, type StatefulOptions } from './stateful.js';
import { createTrafficActivities } from './traffic.js';
import type { Finding } from '../workflows/model.js';

export interface ActivityDeps {
  aws: AwsClients;
  /** How to reach clusters' API servers; without it the Kubernetes checks are skipped (a finding says so). */
  clusters?: ClusterAccess;
  clusterChecks?: ClusterCheckOptions;
  /** Notification channels → webhook URLs; the worker's alone, never in a spec. */
  notify?: NotifySettings;
  health?: HealthSettings;
  /** The service's change-freeze calendars (CUTOVER_FREEZE_CALENDARS); none: only a spec's own windows. */
  freezeCalendars?: FreezeCalendars;
  /** The carry-over of blue's volumes (spec.stateful): tests shorten its waits. */
  stateful?: StatefulOptions;
}

export function createActivities(deps: ActivityDeps) {
  const eks = createEksActivities(deps.aws);
  const health = createHealthActivities(deps.health, deps.aws);
  const checks = createClusterChecks(deps.clusters, deps.clusterChecks);
  const signals = createSignals({ aws: deps.aws, prometheus: deps.health?.prometheus });
  const drain = createDrainActivities(signals);
  const stateful = createStatefulActivities(deps.clusters, deps.aws, { namespaces: deps.clusterChecks?.inventory?.namespaces, ...deps.stateful });
  return {
    ...eks,
    ...createTrafficActivities({ aws: deps.aws, clusters: deps.clusters }),
    ...health,
    ...createNotifyActivities(deps.notify),
    ...createGitopsActivities(deps.clusters, { namespaces: deps.clusterChecks?.inventory?.namespaces }),
    // Tests narrow it to their namespaces as they narrow the checks.
    ...createBlueTeardown(deps.clusters, deps.aws, { namespaces: deps.clusterChecks?.inventory?.namespaces }),
    ...createCalendarActivities(deps.freezeCalendars),
    waitBlueDrained: drain.waitBlueDrained,
    ...createObservedShareActivities(signals),
    ...createPermissionActivities(deps.aws),
    ...stateful.activities,

    /**
     * EKS checks (for a blue outside EKS, its version from its API server instead), then blue's
     * objects against the APIs the target version removed, and the data in blue's volumes.
     */
    async preflight(input: PreflightInput): Promise<PreflightResult> {
      const result = input.blueContext?.eks === false ? await checks.blueOutsideEks(input) : await eks.preflight(input);
      const green = input.greenContext?.eks === false ? await checks.greenOutsideEks(input) : [];
      // Karpenter's node pools live in blue's API server: what green.mode create cannot copy.
      const karpenter = input.mode === 'create' ? await checks.karpenterFindings(input) : [];
      const carry = input.stateful ? await stateful.carryFindings(input) : undefined;
      const kube = [...(await checks.removedApiFindings(input)), ...(carry?.findings ?? []), ...(await checks.statefulFindings(input, carry)), ...karpenter];
      return { ...result, findings: [...result.findings, ...green, ...kube] };
    },

    /** EKS creates or adopts green; a green outside EKS is adopted through its API server. */
    async provisionGreen(input: ProvisionInput): Promise<ProvisionResult> {
      return input.greenContext?.eks === false ? checks.adoptGreenOutsideEks(input) : eks.provisionGreen(input);
    },

    /** Smoke tests against green, the drift audit of blue against green, green's readiness. */
    async validateGreen(input: ValidateInput): Promise<{ findings: Finding[] }> {
      const [smoke, kube, drained] = await Promise.all([
        health.validateGreen(input),
        checks.validationFindings(input),
        input.drain ? drain.drainFinding({ region: input.region, blue: input.blue, drain: input.drain }) : undefined,
      ]);
      return { findings: [...smoke.findings, ...kube, ...(drained ? [drained] : [])] };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
