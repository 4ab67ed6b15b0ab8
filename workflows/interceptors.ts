// Gives every activity the migration schedules a summary for the Temporal UI (story.ts), and
// carries two things of the spec to each, as activity headers: its AWS accounts (which role to
// assume where: the activities' worker assumes those roles, and no activity input has to repeat
// them) and its notification channel's name (where the worker says that an activity keeps
// failing). Role ARNs and channel names are not secrets; credentials and webhook URLs never pass
// through here (the worker holds them itself). Deterministic: reads only the input.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { activitySummary } from './migration/story.js';
import type { AwsAccounts } from './spec.js';

/** The activity header that holds the spec's `aws` field. */
export const AWS_ACCOUNTS_HEADER = 'cutover-aws-accounts';
/** The activity header that holds the spec's `notify.channel` (absent: the worker's default webhook). */
export const NOTIFY_CHANNEL_HEADER = 'cutover-notify-channel';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let headers: Record<string, Payload> = {};
  const withHeaders = <T extends { headers: Record<string, Payload> }>(input: T): T => ({ ...input, headers: { ...input.headers, ...headers } });
  // Every activity says in the UI what it does; one that set its own summary keeps it.
  const withSummary = <T extends { activityType: string; args: unknown[]; options: { summary?: string } }>(input: T): T =>
    input.options.summary ? input : { ...input, options: { ...input.options, summary: activitySummary(input.activityType, input.args) } };
  return {
    inbound: [
      {
        execute(input, next) {
          const spec = (input.args[0] as { spec?: { aws?: AwsAccounts; notify?: { channel?: string } } } | undefined)?.spec;
          const channel = spec?.notify?.channel;
          headers = {
            ...(spec?.aws && { [AWS_ACCOUNTS_HEADER]: defaultPayloadConverter.toPayload(spec.aws) }),
            ...(channel && { [NOTIFY_CHANNEL_HEADER]: defaultPayloadConverter.toPayload(channel) }),
          };
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(withSummary(withHeaders(input))),
        scheduleLocalActivity: (input, next) => next(withSummary(withHeaders(input))),
      },
    ],
  };
};
