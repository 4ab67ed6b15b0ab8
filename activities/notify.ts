// Notifications: a JSON webhook whose `text` field Slack also understands. A spec names a
// channel; the worker alone knows each channel's webhook URL (a secret), so no URL ever
// reaches a spec, the workflow's history or an error message. Without a webhook the event goes
// to the worker log, so a sandbox still shows it.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput } from './contract.js';

export interface NotifySettings {
  /** channel → webhook URL (CUTOVER_NOTIFY_CHANNELS or CUTOVER_NOTIFY_CHANNELS_FILE). */
  channels?: Readonly<Record<string, string>>;
  /** Where a migration that names no channel is notified (CUTOVER_WEBHOOK_URL). */
  defaultUrl?: string;
}

export function createNotifyActivities(settings: NotifySettings = {}) {
  const channels = settings.channels ?? {};
  return {
    async notify(input: NotifyInput): Promise<void> {
      const about = { event: input.event, migrationId: input.migrationId, channel: input.channel };
      const url = input.channel === undefined ? settings.defaultUrl : Object.hasOwn(channels, input.channel) ? channels[input.channel] : undefined;
      if (input.channel !== undefined && !url) {
        // A typo in a spec, or a worker not yet configured: say so, but never fail the migration over it.
        log.warn(`notification channel "${input.channel}" is not configured in this worker (CUTOVER_NOTIFY_CHANNELS); not sent: ${input.text}`, about);
        return;
      }
      if (!url) {
        log.info(`notification: ${input.text}`, about);
        return;
      }
      const destination = input.channel === undefined ? 'the default webhook' : `channel ${input.channel}'s webhook`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: input.text, event: input.event, migrationId: input.migrationId }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        // Retried; the message names the channel and the cause's code, not the URL.
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new Error(`${destination} is unreachable (${cause})`);
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        throw ApplicationFailure.create({ type: 'WebhookRejected', message: `${destination} answered ${res.status}`, nonRetryable: true });
      }
      if (!res.ok) throw new Error(`${destination} answered ${res.status}`);
    },
  };
}
