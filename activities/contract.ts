// Inputs and outputs of the activities, as plain JSON the workflow can carry in history.
// No credentials here: activities resolve them from their own clients.
import type { Finding, Weights } from '../workflows/model.js';
import type { ResolvedSpec } from '../workflows/plan.js';

export interface ClusterRef {
  region: string;
  cluster: string;
}

export interface PreflightInput {
  region: string;
  blue: string;
  green: string;
  targetVersion: string;
  mode: 'create' | 'adopt';
}
export interface PreflightResult {
  blueVersion: string;
  findings: Finding[];
}

export interface ProvisionInput {
  migrationId: string;
  region: string;
  blue: string;
  green: string;
  targetVersion: string;
  mode: 'create' | 'adopt';
}
export interface ProvisionResult {
  /** True when this migration created green (so cancel may delete it). */
  created: boolean;
  status: string;
}

export interface TrafficInput {
  region: string;
  traffic: ResolvedSpec['traffic'];
}
export interface SetWeightsInput extends TrafficInput {
  weights: Weights;
  actor: string;
  reason: string;
}
export interface SetWeightsResult {
  /** Route 53 changes to wait for; empty when nothing had to change or the driver applies at once. */
  changeIds: string[];
  /** How long resolvers may keep serving the old answer once applied (record TTL). */
  settleSeconds: number;
  changed: boolean;
}

export interface WaitAppliedInput extends TrafficInput {
  changeIds: string[];
  weights: Weights;
}

export interface ValidateInput {
  region: string;
  blue: string;
  green: string;
  health: ResolvedSpec['health'];
}

export interface WatchHealthInput {
  health: ResolvedSpec['health'];
}
export interface HealthBreach {
  reason: string;
  consecutiveFailures: number;
}

export interface NotifyInput {
  migrationId: string;
  event: 'gate-pending' | 'gate-reminder' | 'breach' | 'rollback' | 'completed' | 'failed' | 'cancelled';
  text: string;
  webhookUrl?: string;
}
