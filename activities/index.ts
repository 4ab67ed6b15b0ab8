// All activities, built by one factory from the clients they use (DESIGN §4).
import type { AwsClients } from './aws.js';
import { createEksActivities } from './eks.js';
import { createHealthActivities } from './health.js';
import { createNotifyActivities } from './notify.js';
import { createTrafficActivities } from './traffic.js';

export interface ActivityDeps {
  aws: AwsClients;
  webhookUrl?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createEksActivities(deps.aws),
    ...createTrafficActivities(deps.aws),
    ...createHealthActivities(),
    ...createNotifyActivities({ webhookUrl: deps.webhookUrl }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
