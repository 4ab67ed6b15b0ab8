// Carries the spec's AWS accounts (which role to assume where) to every activity the
// migration schedules, as an activity header: the activities' worker assumes those roles,
// and no activity input has to repeat them. Role ARNs are not secrets; credentials never
// pass through here (the worker obtains them itself). Deterministic: reads only the input.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { AwsAccounts } from './spec.js';

/** The activity header that holds the spec's `aws` field. */
export const AWS_ACCOUNTS_HEADER = 'cutover-aws-accounts';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let accounts: Payload | undefined;
  const withAccounts = <T extends { headers: Record<string, Payload> }>(input: T): T =>
    accounts ? { ...input, headers: { ...input.headers, [AWS_ACCOUNTS_HEADER]: accounts } } : input;
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
        scheduleActivity: (input, next) => next(withAccounts(input)),
        scheduleLocalActivity: (input, next) => next(withAccounts(input)),
      },
    ],
  };
};
