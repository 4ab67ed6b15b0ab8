// A migration's name: the cluster names a spec goes by and the workflow ID made from them.
// Pure: the API (to start and find a run) and the workflow share it.
import type { MigrationSpec } from './spec.js';

/** The name a spec's blue or green goes by: its EKS cluster, else its kubeconfig context. */
export const clusterName = (side: { cluster?: string; context?: string }): string => side.cluster ?? side.context ?? '';

/** A workflow ID as Cutover makes them (printable ASCII, no spaces; Temporal's own limit is 1,000 bytes). */
export const MIGRATION_ID_PATTERN = '^[!-~]{1,400}$';

export function migrationId(spec: Pick<MigrationSpec, 'region' | 'blue'>): string {
  // A context may hold slashes (an EKS ARN); an ID is one segment of a URL path.
  return `migration-${spec.region}-${clusterName(spec.blue).replaceAll('/', '-')}`;
}
