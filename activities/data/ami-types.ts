// EKS managed node group AMI types that stop at a Kubernetes version, and what replaces them.
// Data, not code: a new end of support adds a row here.
//
// From AWS's EKS documentation ("Amazon Linux 2 end of support", the EKS AMI release notes):
// EKS publishes no EKS-optimized Amazon Linux 2 AMIs for Kubernetes 1.33 and later; 1.32 is
// the last version AL2 node groups are offered for. Bottlerocket and AL2023 have no announced
// end; Windows AMI types follow Windows Server's own support dates rather than a Kubernetes
// version, so they are not listed.

export interface AmiTypeEnd {
  /** The last Kubernetes minor a node group of this AMI type can run. */
  lastVersion: string;
  /** The AMI type to use instead, for the finding's hint. */
  replacement: string;
}

export const AMI_TYPE_ENDS: Record<string, AmiTypeEnd> = {
  AL2_x86_64: { lastVersion: '1.32', replacement: 'AL2023_x86_64_STANDARD' },
  AL2_x86_64_GPU: { lastVersion: '1.32', replacement: 'AL2023_x86_64_NVIDIA' },
  AL2_ARM_64: { lastVersion: '1.32', replacement: 'AL2023_ARM_64_STANDARD' },
};
