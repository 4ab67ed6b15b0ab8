// What the Temporal Web UI shows at the top of a migration's page: the start's summary and
// details, set by whoever starts the workflow (the API). Pure, so the API imports it without
// the workflow's internals (workflows/migration/story.ts keeps the run's current details).
import { peakLabel } from './describe.js';
import type { ResolvedSpec } from './spec-defaults.js';

/** The start's static summary and details (of the spec as fixed at the start), shown at the top of the workflow's page. */
export function startMetadata(spec: ResolvedSpec, id: string): { staticSummary: string; staticDetails: string } {
  const steps = spec.traffic.steps.map((weight) => `${weight}%`).join(' → ');
  return {
    staticSummary: `${spec.blue.cluster} → ${spec.green.cluster} (Kubernetes ${spec.green.kubernetesVersion})`,
    staticDetails: [
      `**Migration** ${id} in ${spec.region}`,
      `**Blue** ${spec.blue.cluster} → **green** ${spec.green.cluster} at Kubernetes ${spec.green.kubernetesVersion}`,
      `**Traffic** ${spec.traffic.driver}: ${steps}`,
      `**Bake** ${spec.bake}${spec.bakePeaks.length ? ` at least, and until each peak has passed once: ${spec.bakePeaks.map(peakLabel).join('; ')}` : ''}, **freeze** ${spec.freeze}`,
    ].join('\n'),
  };
}
