// The migration workflow: one run moves traffic from blue to green and retires blue. This
// entry wires the messages to their handlers and runs the phases until the migration ends,
// continuing as new when the history grows long. The parts live in migration/, by story:
//   types.ts    a run's shapes (types only)     state.ts       the run's state and its status
//   engine.ts   the phase table, runPhase, hold  forward.ts     preflight to frozen
//   decommission.ts  retiring blue               choices.ts     retry or abort after a hold or rollback
//   interrupts.ts    rollback and cancel         waits.ts       every way the workflow waits
//   effects.ts  traffic, GitOps, health watcher  handlers.ts    what each message does
//   saga.ts     the undo of each step taken      activities.ts  the activity option presets
// Pure decisions live beside this file: plan.ts, spec-defaults.ts, invariants.ts.
import * as wf from '@temporalio/workflow';
import {
  abortUpdate,
  approveUpdate,
  auditQuery,
  cancelUpdate,
  keepBlueUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  SEARCH_ATTRIBUTES,
  statusQuery,
  stepBackUpdate,
} from './messages.js';
import { FAILURE } from './failures.js';
import { SYSTEM_ACTOR, type AuditEvent, type MigrationStatus } from './model.js';
import { notify } from './migration/activities.js';
import { PATCHES } from './migration/patches.js';
import * as handle from './migration/handlers.js';
import * as gates from './migration/gates.js';
import { describeFailure } from './failures.js';
import { hold, runPhase } from './migration/engine.js';
import { cancel, onInterrupt } from './migration/interrupts.js';
import { audit, enter, isTerminal, newRun, nonRetryable, NothingToUndo, statusOf } from './migration/state.js';
import type { MigrationInput, MigrationOutcome, Run } from './migration/types.js';
import { Interrupted, timersBeyondDates } from './migration/waits.js';

export type { MigrationInput, MigrationOutcome, RunState } from './migration/types.js';

/**
 * How the run ended, with its final status and its whole audit (since the start, across
 * continue-as-new): the API reads a closed migration's status and audit from it, without a worker.
 */
export type MigrationResult = MigrationOutcome & { status: MigrationStatus; audit: AuditEvent[] };

export async function migration(input: MigrationInput): Promise<MigrationResult> {
  // A change to what running migrations do goes behind wf.patched('<name>') with a new fixture
  // in test/histories/, or ships as a new worker deployment version (docs/architecture.md).
  if (!input.carried) refuseInvalidSpec(input);
  const run = newRun(input);
  const { spec, state } = run;
  setHandlers(run);
  // The search attributes were set by whoever started the run (initialSearchAttributes).
  if (!input.carried) {
    audit(run, input.startedBy, 'start', `migrate ${spec.blue.cluster} → ${spec.green.cluster} (${spec.green.kubernetesVersion})`);
    if (wf.patched(PATCHES.holdBeforeTraffic)) state.failuresHold = true;
    if (wf.patched(PATCHES.governance)) state.governance = true;
    if (wf.patched(PATCHES.changeFreezes)) state.freezeChecks = true;
    if (wf.patched(PATCHES.guardedDestroy)) state.guardedDestroy = true;
  }

  try {
    while (!isTerminal(state)) {
      if (historyTooLong(input) && !state.interrupt) return await continueAsNew(run, input);
      try {
        await runPhase(run);
      } catch (err) {
        if (!(err instanceof Interrupted)) throw err;
        await carryOutInterrupt(run);
      }
    }
  } catch (err) {
    if (err instanceof wf.ContinueAsNew) throw err; // the run goes on in its next execution
    if (wf.isCancellation(err)) {
      await cancel(run, SYSTEM_ACTOR, 'workflow cancelled');
    } else {
      // Only where nothing is left to undo (preflight, or provisioning that made nothing), in runs
      // that began before such failures held (state.failuresHold).
      state.error = describeFailure(err instanceof NothingToUndo ? err.failure : err);
      enter(run, 'failed');
      await notify(run, 'failed', `${run.id}: failed: ${state.error}`);
      throw withFinalStatus(asWorkflowFailure(err instanceof NothingToUndo ? err.failure : err), statusOf(run), state.audit);
    }
  }
  await run.watcherStopped;
  return { phase: state.phase, weights: state.weights, error: state.error, status: statusOf(run), audit: state.audit };
}

/** A rollback or cancel that itself fails holds the migration too; a person asks again from there. */
async function carryOutInterrupt(run: Run): Promise<void> {
  try {
    await onInterrupt(run);
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    const phase = run.state.phase;
    run.state.interrupt = undefined;
    run.state.stepBack = undefined;
    await hold(run, phase === 'needs-attention' ? run.state.attention!.phase : phase, err);
  }
}

/**
 * A bake + freeze no timer can reach ends the run before anything is changed. The API refuses
 * such a spec already (with its policy bounds); this guards runs started another way. Policy
 * bounds are not checked here: a later change to them would break the replay of open runs.
 */
function refuseInvalidSpec(input: MigrationInput): void {
  const issues = timersBeyondDates(input.spec);
  if (issues.length === 0) return;
  wf.upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: 'failed' }]);
  throw nonRetryable(FAILURE.invalidSpec, `spec refused: ${issues.join('; ')}`);
}

/** Ends the run failed, never a workflow task that fails again and again (a bug's plain Error included). */
function asWorkflowFailure(err: unknown): unknown {
  if (err instanceof wf.TemporalFailure) return err;
  return nonRetryable('WorkflowError', err instanceof Error ? err.message : String(err));
}

/** The run's failure, carrying its final status and whole audit as details (the failure's message and type stay). */
function withFinalStatus(failure: unknown, status: MigrationStatus, audit: AuditEvent[]): wf.ApplicationFailure {
  if (failure instanceof wf.ApplicationFailure) {
    const { message, type, nonRetryable, cause } = failure;
    return wf.ApplicationFailure.create({ message, type: type ?? undefined, nonRetryable: nonRetryable ?? undefined, cause, details: [status, audit] });
  }
  const err = failure as Error;
  return wf.ApplicationFailure.create({ message: err.message, type: 'WorkflowError', nonRetryable: true, cause: err, details: [status, audit] });
}

function setHandlers(run: Run): void {
  wf.setHandler(statusQuery, () => statusOf(run));
  wf.setHandler(auditQuery, () => run.state.audit);
  wf.setHandler(approveUpdate, (req) => gates.approve(run, req), { validator: (req) => gates.validateApprove(run, req) });
  wf.setHandler(promoteUpdate, (req) => gates.promote(run, req), { validator: (req) => gates.validatePromote(run, req) });
  wf.setHandler(stepBackUpdate, (req) => handle.stepBack(run, req), { validator: (req) => handle.validateStepBack(run, req) });
  wf.setHandler(rollbackUpdate, (req) => handle.rollback(run, req), { validator: (req) => handle.validateRollback(run, req) });
  wf.setHandler(pauseUpdate, (req) => handle.pauseRun(run, req), { validator: (_req) => handle.validatePause(run) });
  wf.setHandler(resumeUpdate, (req) => handle.resume(run, req), { validator: (_req) => handle.validateResume(run) });
  wf.setHandler(retryUpdate, (req) => handle.choose(run, 'retry', req), { validator: (_req) => handle.validateChoice(run, 'retry') });
  wf.setHandler(abortUpdate, (req) => handle.choose(run, 'abort', req), { validator: (_req) => handle.validateChoice(run, 'abort') });
  wf.setHandler(cancelUpdate, (req) => handle.cancel(run, req), { validator: (_req) => handle.validateCancel(run) });
  wf.setHandler(keepBlueUpdate, (req) => handle.keepBlue(run, req), { validator: (_req) => handle.validateKeepBlue(run) });
}

/** The server suggests a continue-as-new, or the history passed the input's limit (tests). */
function historyTooLong(input: MigrationInput): boolean {
  const info = wf.workflowInfo();
  return info.continueAsNewSuggested || (!!input.historyLimit && info.historyLength > input.historyLimit);
}

/** Hands the state to a new run, at a phase boundary, once no watcher and no handler is running. */
async function continueAsNew(run: Run, input: MigrationInput): Promise<never> {
  await run.watcherStopped;
  await wf.condition(wf.allHandlersFinished);
  // Search attributes are passed on explicitly so list filters keep finding the migration.
  const next = wf.makeContinueAsNewFunc<typeof migration>({ typedSearchAttributes: wf.workflowInfo().typedSearchAttributes });
  // The plan goes on as it was fixed at the start, whatever the defaults of this worker's build.
  return next({ ...input, fixed: { spec: run.spec, plan: run.plan }, carried: run.state });
}
