// The service-selector driver: blue and green inside one cluster, one Service whose selector
// (e.g. `track: blue|green`) decides which pods get traffic. One merge patch switches it,
// so the change is atomic; partial weights cannot exist, and asking for one is a spec error.
// The settings are traffic.serviceSelector with resolveSpec's defaults (key, values).
//
// Before the switch, green's pods are the Pods the switched selector would pick. Not the
// Service's Endpoints/EndpointSlices: until the switch they list blue's pods, and they are
// written by a controller (none runs beside a bare API server); a Pod's Ready condition is
// what that controller itself reads to call an endpoint ready.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Weights } from '../../workflows/model.js';
import type { ResolvedServiceSelector } from '../../workflows/drivers/service-selector.js';
import { invalidSpec, notFound } from '../errors.js';
import { kubeFailure, listAll, readObject, requireCluster, type Condition } from '../kubernetes.js';
import { ALL_GREEN, changeResult, GREEN_TARGETS, listSome, untilReadBack, type DriverClients, type TrafficDriver } from './driver.js';

type Service = KubernetesObject & { spec?: { selector?: Record<string, string> } };
type Pod = KubernetesObject & { status?: { phase?: string; conditions?: Condition[] } };

const readyCondition = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'Ready');
const isReady = (pod: Pod) => readyCondition(pod)?.status === 'True';
/** Finished pods (Succeeded, Failed — evicted ones stay Failed) and terminating ones never get endpoints. */
const mayServe = (pod: Pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

function describePod(pod: Pod): string {
  const ready = readyCondition(pod);
  const why = ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}` : 'no Ready condition';
  return `${pod.metadata?.name} ${pod.status?.phase ?? 'Pending'}, ${why}`;
}

const values = (t: ResolvedServiceSelector) => ({ key: t.key, blue: t.blueValue, green: t.greenValue });

export function createServiceSelectorDriver({ clusters: access }: DriverClients): TrafficDriver<ResolvedServiceSelector> {
  async function read(region: string, target: ResolvedServiceSelector) {
    const cluster = await requireCluster(access, target.cluster, region);
    const service = await readObject<Service>(cluster, { apiVersion: 'v1', kind: 'Service', namespace: target.namespace, name: target.service });
    if (!service) throw notFound(`Service ${target.namespace}/${target.service} not found in ${target.cluster}`);
    return { cluster, service };
  }

  const driver: TrafficDriver<ResolvedServiceSelector> = {
    async readWeights({ region, settings }) {
      const { service } = await read(region, settings);
      const v = values(settings);
      const current = service.spec?.selector?.[v.key];
      if (current === v.green) return [{ blue: 0, green: 100 }];
      if (current === v.blue) return [{ blue: 100, green: 0 }];
      throw invalidSpec(`Service ${settings.namespace}/${settings.service} selects ${v.key}=${current ?? '(unset)'}, neither ${v.blue} nor ${v.green}`);
    },

    async setWeights({ region, settings }, weights: Weights) {
      const all = weights.green === 100 && weights.blue === 0 ? 'green' : weights.blue === 100 && weights.green === 0 ? 'blue' : undefined;
      if (!all) throw invalidSpec(`the service-selector driver switches all traffic at once; weights must be 100/0 or 0/100, got ${weights.blue}/${weights.green} (use steps: [100])`);
      const { cluster, service } = await read(region, settings);
      const v = values(settings);
      if (service.spec?.selector?.[v.key] === v[all]) return changeResult(false);
      const patch = { apiVersion: 'v1', kind: 'Service', metadata: { name: settings.service, namespace: settings.namespace }, spec: { selector: { [v.key]: v[all] } } };
      await cluster.objects.patch(patch, undefined, undefined, 'cutover', undefined, PatchStrategy.MergePatch).catch((err) => {
        throw kubeFailure(err, `switching Service ${settings.namespace}/${settings.service} in ${settings.cluster} to ${v.key}=${v[all]}`);
      });
      return changeResult(true);
    },

    waitApplied: (at, { weights }) => untilReadBack(driver, at, weights),

    /**
     * Green's pods as the switched selector would pick them: blocking when none is Ready or
     * any is not (each named), otherwise one info finding with the count. Read-only.
     */
    async checkGreen({ region, settings }) {
      const source = GREEN_TARGETS;
      const { cluster, service } = await read(region, settings);
      const v = values(settings);
      const selector = { ...service.spec?.selector, [v.key]: v.green };
      const labelSelector = Object.entries(selector)
        .map(([k, value]) => `${k}=${value}`)
        .join(',');
      const pods = (await listAll<Pod>(cluster, 'v1', 'Pod', { namespace: settings.namespace, labelSelector })).filter(mayServe);
      const notReady = pods.filter((p) => !isReady(p));
      const where = `Service ${settings.namespace}/${settings.service} in ${settings.cluster} with selector ${labelSelector}`;
      if (pods.length === 0) {
        return [{ severity: 'blocking', source, message: `no green pod for ${where}: switching would leave the Service without endpoints` }];
      }
      if (notReady.length > 0) {
        return [{ severity: 'blocking', source, message: `${notReady.length} of ${pods.length} green pods for ${where} are not ready: ${listSome(notReady, describePod, '; ')}` }];
      }
      return [{ severity: 'info', source, message: `${pods.length}/${pods.length} green pods ready for ${where}` }];
    },

    greenSubject: (settings) => `green pods behind Service ${settings.namespace}/${settings.service} in ${settings.cluster}`,

    // Nothing of blue's to remove: the Service selects green's pods only (the switch made it
    // so; set again here, which a retry finds done). Blue's pods are blue's to retire.
    async removeBlueRouting(at, comment) {
      const { changed } = await driver.setWeights(at, ALL_GREEN, comment);
      return { removed: changed ? [`Service ${at.settings.namespace}/${at.settings.service} switched to ${at.settings.key}=${at.settings.greenValue}`] : [] };
    },
  };
  return driver;
}
