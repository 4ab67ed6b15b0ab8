// Driver service-selector, workflow side: one Service whose selector picks blue's or green's
// pods (traffic.serviceSelector). One patch moves everything, so it takes one step.
import { clusterName } from '../migration-id.js';
import type { SpecIssue } from '../spec.js';
import type { DriverEntry } from './driver.js';

const DEFAULTS = { key: 'track', blueValue: 'blue', greenValue: 'green' };

/** traffic.serviceSelector with its defaults: the activities' ServiceSelectorTarget. */
export interface ResolvedServiceSelector {
  cluster: string;
  namespace: string;
  service: string;
  /** Selector label that tells the two tracks apart; default `track`. */
  key: string;
  /** Default `blue`. */
  blueValue: string;
  /** Default `green`. */
  greenValue: string;
}

const APPLIED_WHEN = "the Service's selector reads back";

export const serviceSelectorDriver: DriverEntry<'serviceSelector', ResolvedServiceSelector> = {
  field: 'serviceSelector',
  /** A selector switch moves everything at once: one step. */
  defaultSteps: [100],
  resolve: (serviceSelector) => ({
    cluster: serviceSelector.cluster,
    namespace: serviceSelector.namespace,
    service: serviceSelector.service,
    key: serviceSelector.key ?? DEFAULTS.key,
    blueValue: serviceSelector.blueValue ?? DEFAULTS.blueValue,
    greenValue: serviceSelector.greenValue ?? DEFAULTS.greenValue,
  }),

  issues(sel, spec) {
    const issues: SpecIssue[] = [];
    // One selector patch moves everything; a partial weight cannot exist (the driver refuses it too).
    const steps = spec.traffic.steps;
    if (steps && (steps.length !== 1 || steps[0] !== 100)) {
      issues.push({ path: '/traffic/steps', message: 'must be [100] (or left out) for driver service-selector: a selector switch moves all traffic at once' });
    }
    if (sel) {
      const blueValue = sel.blueValue ?? DEFAULTS.blueValue;
      if ((sel.greenValue ?? DEFAULTS.greenValue) === blueValue) {
        issues.push({ path: sel.greenValue !== undefined ? '/traffic/serviceSelector/greenValue' : '/traffic/serviceSelector/blueValue', message: `blue and green must differ (both are ${blueValue})` });
      }
      if (sel.cluster === clusterName(spec.blue) && (spec.decommission?.deleteBlue ?? spec.blue.cluster !== undefined)) {
        issues.push({
          path: '/traffic/serviceSelector/cluster',
          message: `is blue (${sel.cluster}), which decommissioning deletes with the Service that routes green's traffic; route from a cluster that stays, or set decommission.deleteBlue false`,
        });
      }
    }
    return issues;
  },

  appliedWhen: () => APPLIED_WHEN,
  appliedWait: () => `${APPLIED_WHEN}; no DNS wait`,
};
