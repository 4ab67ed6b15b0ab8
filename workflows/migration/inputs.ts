// The inputs of the read-only checks, built from the spec alone: a migration's preflight and
// validation and the dry run (workflows/inspect.ts) build them here, so the dry run asks
// exactly what a migration would ask and the two cannot drift apart.
import type { KubeContexts, PermissionsInput, PreflightInput, ProvisionInput, TrafficInput, ValidateInput } from '../../activities/contract.js';
import { kubeContextOf, type ResolvedSpec } from '../spec-defaults.js';

/**
 * The contexts a spec names, for the activities that reach blue and green: nothing for a spec
 * without contexts, so its activity inputs are what they always were.
 */
export function kubeContextsOf(spec: ResolvedSpec): KubeContexts {
  const blueContext = kubeContextOf(spec.blue);
  const greenContext = kubeContextOf(spec.green);
  return { ...(blueContext && { blueContext }), ...(greenContext && { greenContext }) };
}

/** Blue, green and how green comes to be: what preflight checks and provisioning makes. */
const clusters = (spec: ResolvedSpec) => ({
  region: spec.region,
  blue: spec.blue.cluster,
  green: spec.green.cluster,
  targetVersion: spec.green.kubernetesVersion,
  mode: spec.green.mode,
  // Only specs with overrides carry the field: every other input is as it was.
  ...(spec.green.overrides && { overrides: spec.green.overrides }),
  ...kubeContextsOf(spec),
});

/** Preflight's EKS, removed-API and stateful checks. */
export const preflightInput = (spec: ResolvedSpec): PreflightInput => ({ ...clusters(spec), ...(spec.stateful && { stateful: spec.stateful }) });

/** Green made (mode create) or adopted by migration `migrationId`. */
export const provisionInput = (spec: ResolvedSpec, migrationId: string): ProvisionInput => ({ migrationId, ...clusters(spec) });

/** The routing: read, checked, shifted. */
export const trafficInputOf = (spec: ResolvedSpec): TrafficInput => ({ region: spec.region, traffic: spec.traffic });

/** Validation of green: smoke checks, drift against blue, readiness (and the drain source, read once). */
export function validateInput(spec: ResolvedSpec): ValidateInput {
  const drain = spec.decommission.drain;
  return { region: spec.region, blue: spec.blue.cluster, green: spec.green.cluster, health: spec.health, ...kubeContextsOf(spec), ...(drain && { drain }) };
}

/** What the plan will ask of AWS, for the dry run's permission check. */
export function permissionsInput(spec: ResolvedSpec): PermissionsInput {
  const { traffic } = spec;
  const zone = traffic.driver === 'route53' ? traffic.route53 : traffic.driver === 'external-dns' ? traffic.externalDns?.route53 : undefined;
  const drain = spec.decommission.drain;
  const share = traffic.observedShare;
  const cloudwatch = !!(spec.health.metrics?.some((m) => m.cloudwatch) || drain?.cloudwatch || share?.green.cloudwatch || share?.blue.cloudwatch);
  return {
    region: spec.region,
    blue: { cluster: spec.blue.cluster, eks: spec.blue.eks },
    green: { cluster: spec.green.cluster, eks: spec.green.eks, mode: spec.green.mode },
    ...(zone && { route53: { ...(zone.hostedZoneId && { hostedZoneId: zone.hostedZoneId }) } }),
    alb: traffic.driver === 'alb',
    cloudwatch,
    deleteBlue: spec.blue.eks && spec.decommission.deleteBlue,
    stateful: !!spec.stateful,
    roles: { ...(spec.aws?.clusters && { clusters: spec.aws.clusters.roleArn }), ...(spec.aws?.dns && { dns: spec.aws.dns.roleArn }) },
  };
}
