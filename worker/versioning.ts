// Worker versioning's first step: until a deployment has a current version, new migrations
// are dispatched to no versioned worker at all. The first build ever started becomes current
// by itself; every later build is promoted by a person (docs/operations.md, upgrades).
import { setTimeout as sleep } from 'node:timers/promises';
import type { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';

const GRPC_NOT_FOUND = 5;

export async function promoteIfFirstVersion(
  connection: NativeConnection,
  namespace: string,
  deployment: { name: string; buildId: string },
  log: Logger,
  attempts = 30,
): Promise<void> {
  const service = connection.workflowService;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      // The server registers the deployment once this worker has polled: until then, not found.
      const described = await service.describeWorkerDeployment({ namespace, deploymentName: deployment.name });
      const info = described.workerDeploymentInfo;
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId;
      if (current) {
        if (current !== deployment.buildId) log.info({ current, buildId: deployment.buildId }, 'worker deployment has a current version; this build waits to be promoted');
        return;
      }
      await service.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: deployment.name, buildId: deployment.buildId, conflictToken: described.conflictToken });
      log.info({ deployment: deployment.name, buildId: deployment.buildId }, 'first version of the worker deployment made current');
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_NOT_FOUND || attempt === attempts) {
        log.warn({ err: String(err) }, 'could not check the worker deployment\'s current version; promote it by hand (docs/operations.md)');
        return;
      }
      await sleep(2_000);
    }
  }
}
