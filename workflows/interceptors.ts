// Gives every activity the migration schedules a summary for the Temporal UI (story.ts), and
// carries the spec's AWS accounts (which role to assume where) to each, as an activity header: the activities' worker assumes those roles,
// and no activity input has to repeat them. Role ARNs are not secrets; credentials never
// pass through here (the worker obtains them itself). Deterministic: reads only the input.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { activitySummary } from './migration/story.js';
import type { AwsAccounts } from './spec.js';

/** The activity header that holds the spec's `aws` field. */
export const AWS_ACCOUNTS_HEADER = 'cutover-aws-accounts';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let accounts: Payload | undefined;
  const withAccounts = <T extends { headers: Record<string, Payload> }>(input: T): T =>
    accounts ? { ...input, headers: { ...input.headers, [AWS_ACCOUNTS_HEADER]: accounts } } : input;
  // Every activity says in the UI what it does; one that set its own summary keeps it.
  const withSummary = <T extends { activityType: string; args: unknown[]; options: { summary?: string } }>(input: T): T =>
    input.options.summary ? input : { ...input, options: { ...input.options, summary: activitySummary(input.activityType, input.args) } };
  return {
    inbound: [
      {
        execute(input, next) {
          const spec = (input.args[0] as { spec?: { aws?: AwsAccounts } } | undefined)?.spec;
          if (spec?.aws) accounts = defaultPayloadConverter.toPayload(spec.aws);
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(withSummary(withAccounts(input))),
        scheduleLocalActivity: (input, next) => next(withSummary(withAccounts(input))),
      },
    ],
  };
};
