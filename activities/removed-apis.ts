// Which API versions a target Kubernetes version no longer serves (or has deprecated): the
// table in data/removed-apis.ts plus the rows a team adds for its CRDs (cert-manager, Istio, …)
// in the file CUTOVER_REMOVED_APIS_FILE names, checked when the worker starts.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { compareMinor } from '../workflows/kubernetes-version.js';
import { KUBERNETES_APIS, type ApiLifecycle } from './data/removed-apis.js';

export type { ApiLifecycle } from './data/removed-apis.js';

export interface ApiStatus extends ApiLifecycle {
  /** Removed at or before the target (blocking), or only deprecated there (warning). */
  removed: boolean;
}

/** What `targetVersion` does to `apiVersion`/`kind`: removed, deprecated, or nothing (undefined). */
export function statusAt(table: readonly ApiLifecycle[], apiVersion: string, kind: string, targetVersion: string): ApiStatus | undefined {
  const row = table.find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (!row) return undefined;
  if (row.removedIn && compareMinor(row.removedIn, targetVersion) <= 0) return { ...row, removed: true };
  if (row.deprecatedIn && compareMinor(row.deprecatedIn, targetVersion) <= 0) return { ...row, removed: false };
  return undefined;
}

/** The rows that matter at `targetVersion` (removed or deprecated there). */
export function affectedAt(table: readonly ApiLifecycle[], targetVersion: string): ApiStatus[] {
  return table.flatMap((r) => statusAt([r], r.apiVersion, r.kind, targetVersion) ?? []);
}

/** The built-in table with the user's rows in front (a user row overrides a built-in one). */
export function withUserRows(user: readonly ApiLifecycle[] = []): ApiLifecycle[] {
  const own = new Set(user.map((r) => `${r.apiVersion}|${r.kind}`));
  return [...user, ...KUBERNETES_APIS.filter((r) => !own.has(`${r.apiVersion}|${r.kind}`))];
}

const MINOR = /^v?(\d+)\.(\d+)(\.\d+)?$/;
const API_VERSION = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v\d+((alpha|beta)\d+)?$/;
const FIELDS = ['kind', 'apiVersion', 'deprecatedIn', 'removedIn', 'replacement'];

/**
 * Parses and checks user rows (YAML or JSON: a list of {kind, apiVersion, removedIn,
 * deprecatedIn, replacement}). Every problem is reported at once, naming the row and field.
 */
export function parseUserRows(text: string, origin: string): ApiLifecycle[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${origin}: not YAML or JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc)) throw new Error(`${origin}: expected a list of rows ({kind, apiVersion, removedIn, deprecatedIn, replacement}), got ${doc === null ? 'nothing' : typeof doc}`);
  const problems: string[] = [];
  const rows: ApiLifecycle[] = [];
  doc.forEach((raw: unknown, i) => {
    const where = `row ${i + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${where}: expected an object with kind, apiVersion, removedIn or deprecatedIn`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const name = `${where} (${String(r.apiVersion ?? '?')} ${String(r.kind ?? '?')})`;
    const bad = (field: string, why: string) => problems.push(`${name}: ${field} ${why}, got ${JSON.stringify(r[field])}`);
    for (const field of Object.keys(r)) if (!FIELDS.includes(field)) problems.push(`${name}: unknown field ${field} (expected ${FIELDS.join(', ')})`);
    if (typeof r.kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(r.kind)) bad('kind', 'must be a kind such as "Certificate"');
    if (typeof r.apiVersion !== 'string' || !API_VERSION.test(r.apiVersion)) bad('apiVersion', 'must be the deprecated apiVersion such as "cert-manager.io/v1alpha2"');
    if (r.replacement !== undefined && (typeof r.replacement !== 'string' || !API_VERSION.test(r.replacement))) bad('replacement', 'must be an apiVersion such as "cert-manager.io/v1"');
    const minor = (field: 'removedIn' | 'deprecatedIn'): string | undefined => {
      const v = r[field];
      if (v === undefined) return undefined;
      const m = typeof v === 'string' || typeof v === 'number' ? MINOR.exec(String(v)) : null;
      if (!m) {
        bad(field, 'must be a Kubernetes version such as "1.30"');
        return undefined;
      }
      return `${m[1]}.${m[2]}`;
    };
    const removedIn = minor('removedIn');
    const deprecatedIn = minor('deprecatedIn');
    if (r.removedIn === undefined && r.deprecatedIn === undefined) problems.push(`${name}: needs removedIn or deprecatedIn (the Kubernetes version of green from which the old apiVersion must not be used)`);
    if (removedIn && deprecatedIn && compareMinor(deprecatedIn, removedIn) > 0) problems.push(`${name}: deprecatedIn ${deprecatedIn} is after removedIn ${removedIn}`);
    rows.push({ kind: r.kind as string, apiVersion: r.apiVersion as string, removedIn, deprecatedIn, replacement: r.replacement as string | undefined });
  });
  if (problems.length) throw new Error(`${origin}: ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`);
  return rows;
}

/** The user's rows from CUTOVER_REMOVED_APIS_FILE (none when unset); throws naming each bad row and field. */
export function userRowsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiLifecycle[] {
  const file = env.CUTOVER_REMOVED_APIS_FILE;
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`CUTOVER_REMOVED_APIS_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseUserRows(text, `CUTOVER_REMOVED_APIS_FILE ${file}`);
}
