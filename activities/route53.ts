// Route 53 weighted records: blue's and green's weights change together in one
// ChangeResourceRecordSets batch, so no resolver ever sees a sum other than 100. Used by the
// route53 driver, and by the external-dns driver to read what external-dns wrote. Every request
// goes through the account's shared rate limiter (rate-limit.ts).
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  waitUntilResourceRecordSetsChanged,
  type Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { durationMs } from '../workflows/duration.js';
import type { Weights } from '../workflows/model.js';
import type { ResolvedRecord, ResolvedRoute53 } from '../workflows/drivers/route53.js';
import type { SetWeightsResult } from './contract.js';
import { routingNotRemovable } from './drivers/driver.js';
import { awsFailure, invalidSpec, notFound } from './errors.js';
import { POLL_INTERVAL, runWaiter } from './poll.js';
import { limitRoute53 } from './rate-limit.js';

/** Route 53 takes at most 1,000 changes a batch; we keep pairs whole and stay well below. */
const PAIRS_PER_BATCH = 50;
const MAX_WEIGHT = 255;
/** Route 53 usually serves a change within a minute; a wait this long fails, naming what Route 53 answered, and is retried. */
const INSYNC_TIMEOUT = '5m';

/** Fails on weights a weighted record cannot hold, before anything is called. */
export function checkRoute53Weights(weights: Weights): void {
  if (weights.blue < 0 || weights.green < 0 || weights.blue > MAX_WEIGHT || weights.green > MAX_WEIGHT) {
    throw invalidSpec(`Route 53 weights must be 0–${MAX_WEIGHT}, got blue ${weights.blue} green ${weights.green}`);
  }
}

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

async function resolveHostedZoneId(client: Route53Client, target: ResolvedRoute53): Promise<string> {
  // An ID is used as given: the record calls that follow fail with NotFound naming it when the
  // zone does not exist, so checking it first (GetHostedZone) would only cost a round trip.
  if (target.hostedZoneId) return target.hostedZoneId.replace(/^\/hostedzone\//, '');
  const name = fqdn(target.hostedZoneName ?? '');
  const page = await client.send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 10 })).catch((err) => {
    throw awsFailure(err, `hosted zone ${name}`);
  });
  const matches = (page.HostedZones ?? []).filter((z) => fqdn(z.Name ?? '') === name && !z.Config?.PrivateZone);
  const zone = matches[0] ?? (page.HostedZones ?? []).find((z) => fqdn(z.Name ?? '') === name);
  if (!zone?.Id) throw notFound(`hosted zone ${name} not found`);
  return zone.Id.replace(/^\/hostedzone\//, '');
}

interface RecordPair {
  record: ResolvedRecord;
  blue: ResourceRecordSet;
  /** Missing only where the caller allowed it (everything back on blue). */
  green?: ResourceRecordSet;
}

async function listRecordSets(client: Route53Client, zoneId: string, record: ResolvedRecord): Promise<ResourceRecordSet[]> {
  const found: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = { name: fqdn(record.name), type: record.type };
  for (;;) {
    const page = await client
      .send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: start.name,
          StartRecordType: start.type as never,
          StartRecordIdentifier: start.id,
        }),
      )
      .catch((err) => {
        throw awsFailure(err, `records of hosted zone ${zoneId}`);
      });
    const sets = page.ResourceRecordSets ?? [];
    const same = sets.filter((s) => fqdn(s.Name ?? '') === fqdn(record.name) && s.Type === record.type);
    found.push(...same);
    // Results are sorted by name: once a page leaves our name, nothing more of it follows.
    if (!page.IsTruncated || same.length < sets.length) return found;
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
  }
}

async function readPairs(client: Route53Client, zoneId: string, records: ResolvedRecord[], { greenMayBeMissing = false } = {}): Promise<RecordPair[]> {
  return Promise.all(
    records.map(async (record) => {
      const sets = await listRecordSets(client, zoneId, record);
      const pick = (setId: string, mayBeMissing = false) => {
        const set = sets.find((s) => s.SetIdentifier === setId);
        if (!set && mayBeMissing) return undefined;
        if (!set) throw notFound(`record ${record.name} ${record.type} with SetIdentifier "${setId}" not found in zone ${zoneId}`);
        if (set.Weight === undefined) throw invalidSpec(`record ${record.name} "${setId}" is not a weighted record`);
        return set;
      };
      return { record, blue: pick(record.blueSetIdentifier)!, green: pick(record.greenSetIdentifier, greenMayBeMissing) };
    }),
  );
}

/** How long resolvers may keep a record set's old answer once Route 53 serves the new one, and why. */
export interface Settle {
  seconds: number;
  reason?: string;
}

/**
 * The longest TTL among the pairs' record sets. An alias record has none of its own (Route 53
 * answers with its target's), so it counts as the spec's aliasTtl.
 */
function settleOf(pairs: RecordPair[], aliasTtl: string): Settle {
  let longest: Settle = { seconds: 0 };
  for (const set of pairs.flatMap((p) => (p.green ? [p.blue, p.green] : [p.blue]))) {
    const alias = !!set.AliasTarget;
    const seconds = alias ? durationMs(aliasTtl) / 1000 : (set.TTL ?? 0);
    if (seconds > longest.seconds) {
      longest = { seconds, reason: alias ? `TTL ${seconds} s (aliasTtl) of alias record ${set.Name} ${set.Type}` : `TTL ${seconds} s of ${set.Name} ${set.Type}` };
    }
  }
  return longest;
}

/** The settle of the records as Route 53 holds them now (green's may be missing: a rollback sets blue's alone). */
export async function readRoute53Settle(client: Route53Client, target: ResolvedRoute53): Promise<Settle> {
  limitRoute53(client);
  const zoneId = await resolveHostedZoneId(client, target);
  return settleOf(await readPairs(client, zoneId, target.records, { greenMayBeMissing: true }), target.aliasTtl);
}

function weightsOf(pair: RecordPair): Weights {
  return { blue: pair.blue.Weight ?? 0, green: pair.green?.Weight ?? 0 };
}

function withWeight(set: ResourceRecordSet, weight: number): Change {
  return { Action: 'UPSERT', ResourceRecordSet: { ...set, Weight: weight } };
}

/**
 * Changes Route 53 already reported INSYNC, per client. INSYNC is final, so a wait for such a
 * change need not ask again (moto, and a fast Route 53, report it in the change's own answer).
 */
const insyncByClient = new WeakMap<Route53Client, Set<string>>();
const INSYNC_REMEMBERED = 10_000;

function rememberInSync(client: Route53Client, changeId: string): void {
  let known = insyncByClient.get(client);
  if (!known) insyncByClient.set(client, (known = new Set()));
  known.add(changeId);
  if (known.size > INSYNC_REMEMBERED) known.delete(known.values().next().value!);
}

/** Sets every record pair to `weights`; pairs already there are left alone (idempotent). */
export async function setRoute53Weights(client: Route53Client, target: ResolvedRoute53, weights: Weights, comment: string): Promise<SetWeightsResult> {
  checkRoute53Weights(weights);
  limitRoute53(client);
  const zoneId = await resolveHostedZoneId(client, target);
  // All on blue (a rollback): a green record deleted by hand serves nothing, so blue's alone
  // is set, and the rollback does not depend on what broke the shift.
  const pairs = await readPairs(client, zoneId, target.records, { greenMayBeMissing: weights.green === 0 });
  const settle = settleOf(pairs, target.aliasTtl);
  const toChange = pairs.filter((p) => p.blue.Weight !== weights.blue || (p.green && p.green.Weight !== weights.green));
  const changeIds: string[] = [];
  let inSync = toChange.length > 0;
  for (let i = 0; i < toChange.length; i += PAIRS_PER_BATCH) {
    const batch = toChange.slice(i, i + PAIRS_PER_BATCH);
    // Each pair lives in one batch, and Route 53 applies a batch all or nothing.
    const changes = batch.flatMap((p) => [withWeight(p.blue, weights.blue), ...(p.green ? [withWeight(p.green, weights.green)] : [])]);
    const result = await client
      .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment.slice(0, 256), Changes: changes } }))
      .catch((err) => {
        throw awsFailure(err, `changing weights in zone ${zoneId}`);
      });
    if (result.ChangeInfo?.Id) {
      changeIds.push(result.ChangeInfo.Id);
      if (result.ChangeInfo.Status === 'INSYNC') rememberInSync(client, result.ChangeInfo.Id);
    }
    if (result.ChangeInfo?.Status !== 'INSYNC') inSync = false;
  }
  return {
    changeIds,
    settleSeconds: settle.seconds,
    ...(settle.reason && { settleReason: settle.reason }),
    changed: toChange.length > 0,
    ...(inSync ? { applied: true } : {}),
  };
}

/** Returns once Route 53 reports every change INSYNC (GetChange); changes it answered INSYNC already are not asked about again. */
export async function waitInSync(client: Route53Client, changeIds: string[]): Promise<void> {
  limitRoute53(client);
  for (const id of changeIds) {
    if (insyncByClient.get(client)?.has(id)) continue;
    await runWaiter((params) => waitUntilResourceRecordSetsChanged({ client, ...params }, { Id: id }), {
      describe: `Route 53 change ${id} INSYNC`,
      interval: POLL_INTERVAL.traffic,
      // GetChange counts against the account's 5 requests a second: a change slow to sync is asked about less and less often.
      maxInterval: '10s',
      timeout: INSYNC_TIMEOUT,
    });
    rememberInSync(client, id);
  }
}

export async function readRoute53Weights(client: Route53Client, target: ResolvedRoute53): Promise<Weights[]> {
  limitRoute53(client);
  const zoneId = await resolveHostedZoneId(client, target);
  return (await readPairs(client, zoneId, target.records)).map(weightsOf);
}

/**
 * Decommission: deletes blue's weighted record of every pair, all in one batch (Route 53
 * applies it whole). Green's stays as it is, weighted, at its weight (100): the only record
 * of a weighted set answers every query, and it is the record a later migration from green
 * names as its blue. Refused while a blue record has weight or a green one is missing or at
 * 0 (deleting blue's would then move traffic or leave the name without an answer). Pairs
 * whose blue record is gone already are done: a retry deletes nothing.
 */
export async function removeBlueRecords(client: Route53Client, target: ResolvedRoute53, comment: string): Promise<string[]> {
  limitRoute53(client);
  const zoneId = await resolveHostedZoneId(client, target);
  const deletions: Change[] = [];
  const removed: string[] = [];
  for (const record of target.records) {
    const sets = await listRecordSets(client, zoneId, record);
    const blue = sets.find((s) => s.SetIdentifier === record.blueSetIdentifier);
    if (!blue) continue;
    const green = sets.find((s) => s.SetIdentifier === record.greenSetIdentifier);
    const named = `record ${record.name} ${record.type}`;
    if (!green?.Weight) throw routingNotRemovable(`${named}: green's record "${record.greenSetIdentifier}" is ${green ? 'at weight 0' : 'missing'}; deleting blue's would leave the name without an answer`);
    if (blue.Weight) throw routingNotRemovable(`${named}: blue's record "${record.blueSetIdentifier}" still has weight ${blue.Weight}; deleting it would move traffic`);
    deletions.push({ Action: 'DELETE', ResourceRecordSet: blue });
    removed.push(`${named} "${record.blueSetIdentifier}"`);
  }
  if (deletions.length === 0) return [];
  await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment.slice(0, 256), Changes: deletions } })).catch((err) => {
    throw awsFailure(err, `removing blue records from zone ${zoneId}`);
  });
  return removed;
}
