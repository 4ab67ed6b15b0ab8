// The shapes a migration run is made of, and nothing else: the workflow's modules import
// them from here, so they import each other without cycles (type-only ones included).
import type { Actor, Attention, AuditEvent, BakeStatus, CarryOverStatus, DrainReading, DecommissionStep, Finding, FreezeStatus, GateVote, HealthStatus, ObservedShareReading, PendingGate, Phase, Retrying, TimerStatus, Waiting, Weights } from '../model.js';
import type { FixedPlan, Plan } from '../plan.js';
import type { ResolvedSpec } from '../spec-defaults.js';
import type { MigrationSpec } from '../spec.js';

export interface MigrationInput {
  spec: MigrationSpec;
  startedBy: Actor;
  /**
   * The spec with its defaults and the plan, fixed when the migration started (`fixPlan`);
   * absent in runs started before it was, which resolve the spec (as then) until their next
   * continue-as-new hands it on fixed.
   */
  fixed?: FixedPlan;
  /** State carried over a continue-as-new; absent on the first run. */
  carried?: RunState;
  /** Continue-as-new at the next phase boundary once history is this long (besides the server's suggestion). */
  historyLimit?: number;
}

export interface MigrationOutcome {
  phase: Phase;
  weights: Weights;
  error?: string;
}

/** A rollback or cancel asked for and not yet carried out. */
export interface Interrupt {
  kind: 'rollback' | 'cancel';
  actor: Actor;
  reason: string;
}
/** A person's choice where a migration waits for one: rolled-back or needs-attention. */
export interface AfterRollback {
  choice: 'retry' | 'abort';
  actor: Actor;
  /** Acted on, with the next phase still to begin (a pause holds it): another choice is refused until then. */
  taken?: boolean;
}
export interface Decision {
  decision: 'approve' | 'reject';
  actor: Actor;
  comment?: string;
  /** Under an approval policy: everyone whose approval counted. */
  approvers?: Actor[];
}
/** A promote asked for, and its approvals under the promote policy (approval-policy.ts). */
export interface Promotion {
  approvals: GateVote[];
  required: number;
  /** The policy is met: the next step boundary goes to 100 %. */
  met: boolean;
  reason?: string;
}
/** A step-back asked for and not yet carried out. */
export interface StepBack {
  /** The plan's step whose weights green goes back to. */
  toStep: number;
  actor: Actor;
  reason: string;
}

/** Everything a run needs to continue where it stood. */
export interface RunState {
  phase: Phase;
  paused: boolean;
  weights: Weights;
  stepsDone: number;
  /** The step whose weights are in place (observed now, or last applied). */
  currentStep: number;
  pendingGate?: PendingGate;
  decisions: Record<string, Decision>;
  /** Findings of the last preflight, provisioning (what could not be copied from blue), GitOps bootstrap, validation and check of green's targets. */
  findings: { preflight: Finding[]; provisioning?: Finding[]; gitops?: Finding[]; stateful?: Finding[]; validation: Finding[]; targets?: Finding[]; decommission?: Finding[] };
  timers: TimerStatus[];
  health: HealthStatus;
  greenCreated: boolean;
  blueDeleted: boolean;
  /** The undo of each step that changed something outside, newest first (saga.ts). */
  compensations: Compensation[];
  /** When green first carried 100 % (ISO); bake+freeze count from here. */
  greenFullSince?: string;
  /** Who approved the traffic now moving to green (cutover or the last step gate). */
  shiftApprovedBy?: Actor;
  /** Who approved decommissioning in this cycle (cleared by a rollback). */
  decommissionApprovedBy?: Actor;
  /** Blue's routing removal was asked for: from then on traffic cannot go back to blue. */
  blueRetiring?: boolean;
  /** Decommissioning's steps done, and the one under way (or held); absent until it begins (and in runs that decommissioned before the steps existed). */
  decommission?: {
    done: DecommissionStep[];
    current?: DecommissionStep;
    drain?: DrainReading;
    /** Blue's protection, read as decommissioning began (guarded destroy); protected, the steps that delete anything of blue are skipped. */
    protection?: { protected: boolean; reason?: string };
    skipped?: DecommissionStep[];
  };
  /** The observed-share check's last reading, of the step it belongs to (with traffic.observedShare; absent in runs before it). */
  observedShare?: ObservedShareReading & { step: number };
  /** The rollback or cancel to carry out, set until it is carried out. */
  interrupt?: Interrupt;
  /** Rollbacks carried out so far: a `rollback?wait=true` answers once this count moves. */
  rollbacksDone: number;
  afterRollback?: AfterRollback;
  audit: AuditEvent[];
  error?: string;
  /** Why the migration is held in needs-attention; set only there. */
  attention?: Attention;
  /** A forward weight change that keeps failing, while it is retried. */
  retrying?: Retrying;
  /** The wait the run sits out now (a change applying, the records' TTL, an observe window), while it lasts. */
  waiting?: Waiting;
  /**
   * A failure before traffic moved holds the run (needs-attention) instead of ending it failed,
   * and a cancel from such a hold writes no weights. Set as a run starts (patch
   * hold-before-traffic), so the decision is on record before any failure is met.
   */
  failuresHold?: boolean;
  /**
   * Approval policies decide the gates (k of N, groups, exclusions, expiry), and step-back and
   * promote apply: set as a run starts (patch governance); runs before take one approval, the
   * starter excluded only with distinctApprover.
   */
  governance?: boolean;
  /** Who approved each gate passed, by gate name (the latest pass): a later gate's policy may exclude them. */
  approvedBy?: Record<string, Actor[]>;
  promotion?: Promotion;
  stepBack?: StepBack;
  /** After a step-back: the step that waits at its gate before it moves (auto steps included), and why. */
  gateAfterStepBack?: { step: number; reason: string };
  /**
   * Forward moves first ask whether a change-freeze window is open (freezes.ts). Set as a run
   * starts (patch change-freezes), so a run keeps the path it began on.
   */
  freezeChecks?: boolean;
  /** The freeze window holding the next forward move, while it does. */
  freeze?: FreezeStatus;
  /** The last freeze window told (audited and notified), "<window>@<from>": each window is told once. */
  freezeTold?: string;
  /**
   * Decommissioning is guarded (patch guarded-destroy, set as a run starts): a last delay after
   * the decommission gate, and a protected blue is kept.
   */
  guardedDestroy?: boolean;
  /** The last delay before blue is deleted, while it runs (decommission.ts `lastDelay`); keep-blue is accepted only then. */
  lastDelay?: { since: string; endsAt: string; approvedBy: Actor };
  /** A person asked to keep blue during the last delay: back to the decommission gate. */
  keepBlue?: { actor: Actor; reason: string };
  /** The carry-over of blue's volumes (spec.stateful) as far as it went; cleared when undone (a rollback), so a retry copies afresh. */
  stateful?: CarryOverStatus;
  /** A bake over peak windows while it runs (bake.ts); `endsAt` is derived for the status. */
  bake?: Omit<BakeStatus, 'endsAt'>;
}

/** What the GitOps activities need to know of the spec (no credentials: those stay in the worker). */
export type GitopsRef = Pick<NonNullable<MigrationSpec['gitops']>, 'argocd' | 'flux'>;

/** The run every part of the workflow works on: what it was asked, and where it stands. */
export interface Run {
  readonly id: string;
  readonly spec: ResolvedSpec;
  readonly plan: Plan;
  readonly startedBy: Actor;
  readonly gitops?: GitopsRef;
  readonly state: RunState;
  /** Settles when the last health watcher has stopped (not merely been asked to). */
  watcherStopped: Promise<unknown>;
}

/** The undo of a step that changed something outside (saga.ts); plain JSON, newest first in the state. */
export type Compensation =
  /** Green was created by this migration and the spec asks to delete it on cancel. */
  | { kind: 'delete-green' }
  /** Green was registered in Argo CD by this migration, and goes with the cluster. */
  | { kind: 'deregister-green' }
  /** Blue's GitOps auto-sync was paused for the freeze. */
  | { kind: 'resume-blue-auto-sync' }
  /** Blue's workloads were scaled to zero for the carry-over (spec.stateful): their replicas are restored. */
  | { kind: 'restore-blue-workloads' }
  /** Snapshots, volumes, PersistentVolumes and claims were made for green from blue's volumes (spec.stateful): green's copies are deleted. */
  | { kind: 'delete-green-copies' };

/** What a phase does; it returns the phase that follows it. */
export type PhaseStep = (run: Run) => Promise<Phase>;
