// API versions Kubernetes stopped serving, by the release that removed them (the upstream
// deprecated API migration guide). Data, not code: a new release adds rows here.
// `replacement` is where the same objects are served now; the scan lists objects through it.

export interface RemovedApi {
  apiVersion: string;
  kind: string;
  removedIn: string;
  /** apiVersion serving these objects today, or undefined when the API is gone without one. */
  replacement?: string;
}

const rows = (removedIn: string, apiVersion: string, replacement: string | undefined, kinds: string[]): RemovedApi[] =>
  kinds.map((kind) => ({ apiVersion, kind, removedIn, replacement }));

export const REMOVED_APIS: readonly RemovedApi[] = [
  ...rows('1.16', 'extensions/v1beta1', 'apps/v1', ['Deployment', 'DaemonSet', 'ReplicaSet']),
  ...rows('1.16', 'extensions/v1beta1', 'networking.k8s.io/v1', ['NetworkPolicy']),
  ...rows('1.16', 'apps/v1beta1', 'apps/v1', ['Deployment', 'StatefulSet', 'ReplicaSet', 'ControllerRevision']),
  ...rows('1.16', 'apps/v1beta2', 'apps/v1', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision']),
  ...rows('1.22', 'admissionregistration.k8s.io/v1beta1', 'admissionregistration.k8s.io/v1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']),
  ...rows('1.22', 'apiextensions.k8s.io/v1beta1', 'apiextensions.k8s.io/v1', ['CustomResourceDefinition']),
  ...rows('1.22', 'apiregistration.k8s.io/v1beta1', 'apiregistration.k8s.io/v1', ['APIService']),
  ...rows('1.22', 'certificates.k8s.io/v1beta1', 'certificates.k8s.io/v1', ['CertificateSigningRequest']),
  ...rows('1.22', 'coordination.k8s.io/v1beta1', 'coordination.k8s.io/v1', ['Lease']),
  ...rows('1.22', 'extensions/v1beta1', 'networking.k8s.io/v1', ['Ingress']),
  ...rows('1.22', 'networking.k8s.io/v1beta1', 'networking.k8s.io/v1', ['Ingress', 'IngressClass']),
  ...rows('1.22', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']),
  ...rows('1.22', 'scheduling.k8s.io/v1beta1', 'scheduling.k8s.io/v1', ['PriorityClass']),
  ...rows('1.22', 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment']),
  ...rows('1.25', 'batch/v1beta1', 'batch/v1', ['CronJob']),
  ...rows('1.25', 'discovery.k8s.io/v1beta1', 'discovery.k8s.io/v1', ['EndpointSlice']),
  ...rows('1.25', 'events.k8s.io/v1beta1', 'events.k8s.io/v1', ['Event']),
  ...rows('1.25', 'autoscaling/v2beta1', 'autoscaling/v2', ['HorizontalPodAutoscaler']),
  ...rows('1.25', 'policy/v1beta1', 'policy/v1', ['PodDisruptionBudget']),
  ...rows('1.25', 'policy/v1beta1', undefined, ['PodSecurityPolicy']),
  ...rows('1.25', 'node.k8s.io/v1beta1', 'node.k8s.io/v1', ['RuntimeClass']),
  ...rows('1.26', 'flowcontrol.apiserver.k8s.io/v1beta1', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']),
  ...rows('1.26', 'autoscaling/v2beta2', 'autoscaling/v2', ['HorizontalPodAutoscaler']),
  ...rows('1.27', 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', ['CSIStorageCapacity']),
  ...rows('1.29', 'flowcontrol.apiserver.k8s.io/v1beta2', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']),
  ...rows('1.32', 'flowcontrol.apiserver.k8s.io/v1beta3', 'flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']),
];
