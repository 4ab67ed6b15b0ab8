// Notifications: a JSON webhook whose `text` field Slack also understands; without a
// webhook the event goes to the worker log, so a sandbox still shows it.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput } from './contract.js';

export function createNotifyActivities(defaults: { webhookUrl?: string } = {}) {
  return {
    async notify(input: NotifyInput): Promise<void> {
      const url = input.webhookUrl ?? defaults.webhookUrl;
      if (!url) {
        log.info(`notification: ${input.text}`, { event: input.event, migrationId: input.migrationId });
        return;
      }
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: input.text, event: input.event, migrationId: input.migrationId }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        throw ApplicationFailure.create({ type: 'WebhookRejected', message: `webhook answered ${res.status}`, nonRetryable: true });
      }
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
  };
}
