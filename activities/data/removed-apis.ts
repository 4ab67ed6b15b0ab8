// Kubernetes API versions that are deprecated or no longer served, by release, 1.16–1.35.
// Data, not code: a new Kubernetes release adds rows here.
//
// Transcribed from two Apache-2.0 sources (Licensed under the Apache License, Version 2.0,
// http://www.apache.org/licenses/LICENSE-2.0):
// - Fairwinds' pluto, `versions.yaml` (github.com/FairwindsOps/pluto, commit
//   0c240f6f148818693f0898f1944afef7751a2537, Copyright Fairwinds): the rows of component
//   `k8s` up to 1.29, with their deprecated-in, removed-in and replacement-api. List kinds
//   (…List) are left out: no object is stored as one.
// - The Kubernetes API's own lifecycle data (k8s.io/api v0.34.3 and v0.37.0,
//   `*/zz_generated.prerelease-lifecycle.go`, Copyright The Kubernetes Authors) for the rows
//   pluto's copy lacks (authentication/authorization v1beta1, the alpha and beta APIs of
//   1.29–1.38), and the Kubernetes 1.34 changelog for resource.k8s.io/v1alpha3 (every kind
//   but DeviceTaintRule removed in 1.34).
// A release in `removedIn` above 1.35 is the scheduled removal of a deprecated API.

export interface ApiLifecycle {
  /** The old apiVersion, e.g. "batch/v1beta1". */
  apiVersion: string;
  kind: string;
  /** Kubernetes minor version ("1.21") that deprecated it, when known. */
  deprecatedIn?: string;
  /** Kubernetes minor version that stopped serving it (or will). */
  removedIn?: string;
  /** apiVersion serving these objects now, or undefined when the API is gone without one. */
  replacement?: string;
}

type Row = [deprecatedIn: string | undefined, removedIn: string | undefined, replacement: string | undefined, kinds: string[]];

const group = (apiVersion: string, rows: Row[]): ApiLifecycle[] =>
  rows.flatMap(([deprecatedIn, removedIn, replacement, kinds]) => kinds.map((kind) => ({ apiVersion, kind, deprecatedIn, removedIn, replacement })));

export const KUBERNETES_APIS: readonly ApiLifecycle[] = [
  // 1.16
  ...group('extensions/v1beta1', [
    ['1.9', '1.16', 'apps/v1', ['Deployment', 'DaemonSet']],
    [undefined, '1.16', 'apps/v1', ['ReplicaSet']],
    ['1.9', '1.16', 'networking.k8s.io/v1', ['NetworkPolicy']],
    ['1.10', '1.16', 'policy/v1beta1', ['PodSecurityPolicy']],
    ['1.14', '1.22', 'networking.k8s.io/v1', ['Ingress']],
  ]),
  ...group('apps/v1beta1', [
    ['1.9', '1.16', 'apps/v1', ['Deployment', 'StatefulSet']],
    [undefined, '1.16', 'apps/v1', ['ReplicaSet']],
    ['1.8', '1.16', 'apps/v1', ['ControllerRevision']],
  ]),
  ...group('apps/v1beta2', [
    ['1.9', '1.16', 'apps/v1', ['Deployment', 'StatefulSet', 'DaemonSet', 'ControllerRevision']],
    [undefined, '1.16', 'apps/v1', ['ReplicaSet']],
  ]),
  // 1.17
  ...group('scheduling.k8s.io/v1alpha1', [['1.14', '1.17', 'scheduling.k8s.io/v1', ['PriorityClass']]]),
  // 1.22
  ...group('admissionregistration.k8s.io/v1beta1', [['1.16', '1.22', 'admissionregistration.k8s.io/v1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']]]),
  ...group('apiextensions.k8s.io/v1beta1', [['1.16', '1.22', 'apiextensions.k8s.io/v1', ['CustomResourceDefinition']]]),
  ...group('apiregistration.k8s.io/v1beta1', [['1.10', '1.22', 'apiregistration.k8s.io/v1', ['APIService']]]),
  ...group('authentication.k8s.io/v1beta1', [
    ['1.6', '1.22', 'authentication.k8s.io/v1', ['TokenReview']],
    ['1.30', '1.33', 'authentication.k8s.io/v1', ['SelfSubjectReview']],
  ]),
  ...group('authorization.k8s.io/v1beta1', [['1.19', '1.22', 'authorization.k8s.io/v1', ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview']]]),
  ...group('certificates.k8s.io/v1beta1', [['1.19', '1.22', 'certificates.k8s.io/v1', ['CertificateSigningRequest']]]),
  ...group('coordination.k8s.io/v1beta1', [['1.14', '1.22', 'coordination.k8s.io/v1', ['Lease']]]),
  ...group('networking.k8s.io/v1beta1', [
    ['1.19', '1.22', 'networking.k8s.io/v1', ['Ingress', 'IngressClass']],
    ['1.34', '1.37', 'networking.k8s.io/v1', ['IPAddress', 'ServiceCIDR']],
  ]),
  ...group('rbac.authorization.k8s.io/v1alpha1', [['1.17', '1.22', 'rbac.authorization.k8s.io/v1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']]]),
  ...group('rbac.authorization.k8s.io/v1beta1', [['1.17', '1.22', 'rbac.authorization.k8s.io/v1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']]]),
  ...group('scheduling.k8s.io/v1beta1', [['1.14', '1.22', 'scheduling.k8s.io/v1', ['PriorityClass']]]),
  ...group('storage.k8s.io/v1beta1', [
    ['1.17', '1.22', 'storage.k8s.io/v1', ['CSINode']],
    ['1.19', '1.22', 'storage.k8s.io/v1', ['CSIDriver']],
    ['1.6', '1.22', 'storage.k8s.io/v1', ['StorageClass']],
    ['1.13', '1.22', 'storage.k8s.io/v1', ['VolumeAttachment']],
    ['1.24', '1.27', 'storage.k8s.io/v1', ['CSIStorageCapacity']],
    ['1.34', '1.37', 'storage.k8s.io/v1', ['VolumeAttributesClass']],
  ]),
  // 1.24
  ...group('storage.k8s.io/v1alpha1', [
    ['1.21', '1.24', 'storage.k8s.io/v1', ['CSIStorageCapacity', 'VolumeAttachment']],
    ['1.32', '1.35', 'storage.k8s.io/v1', ['VolumeAttributesClass']],
  ]),
  // 1.25
  ...group('batch/v1beta1', [['1.21', '1.25', 'batch/v1', ['CronJob']]]),
  ...group('discovery.k8s.io/v1beta1', [['1.21', '1.25', 'discovery.k8s.io/v1', ['EndpointSlice']]]),
  ...group('events.k8s.io/v1beta1', [['1.19', '1.25', 'events.k8s.io/v1', ['Event']]]),
  ...group('autoscaling/v2beta1', [['1.22', '1.25', 'autoscaling/v2', ['HorizontalPodAutoscaler']]]),
  ...group('autoscaling/v2beta2', [['1.23', '1.26', 'autoscaling/v2', ['HorizontalPodAutoscaler']]]),
  ...group('policy/v1beta1', [
    ['1.21', '1.25', 'policy/v1', ['PodDisruptionBudget']],
    ['1.21', '1.25', undefined, ['PodSecurityPolicy']],
  ]),
  ...group('node.k8s.io/v1beta1', [['1.22', '1.25', 'node.k8s.io/v1', ['RuntimeClass']]]),
  // 1.26, 1.29, 1.32
  ...group('flowcontrol.apiserver.k8s.io/v1beta1', [['1.23', '1.26', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']]]),
  ...group('flowcontrol.apiserver.k8s.io/v1beta2', [['1.26', '1.29', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']]]),
  ...group('flowcontrol.apiserver.k8s.io/v1beta3', [['1.29', '1.32', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']]]),
  ...group('authentication.k8s.io/v1alpha1', [['1.29', '1.32', 'authentication.k8s.io/v1', ['SelfSubjectReview']]]),
  ...group('admissionregistration.k8s.io/v1alpha1', [
    ['1.29', '1.32', 'admissionregistration.k8s.io/v1', ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']],
    ['1.35', '1.38', 'admissionregistration.k8s.io/v1beta1', ['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding']],
  ]),
  // 1.34
  ...group('admissionregistration.k8s.io/v1beta1', [['1.31', '1.34', 'admissionregistration.k8s.io/v1', ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']]]),
  ...group('resource.k8s.io/v1alpha3', [['1.32', '1.34', 'resource.k8s.io/v1', ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice']]]),
  ...group('certificates.k8s.io/v1alpha1', [['1.34', '1.37', 'certificates.k8s.io/v1beta1', ['ClusterTrustBundle']]]),
  // 1.35 and later (deprecated now)
  ...group('storagemigration.k8s.io/v1alpha1', [['1.33', '1.36', 'storagemigration.k8s.io/v1beta1', ['StorageVersionMigration']]]),
  ...group('coordination.k8s.io/v1alpha2', [['1.35', '1.38', 'coordination.k8s.io/v1beta1', ['LeaseCandidate']]]),
  ...group('resource.k8s.io/v1beta1', [['1.35', '1.38', 'resource.k8s.io/v1', ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice']]]),
];
