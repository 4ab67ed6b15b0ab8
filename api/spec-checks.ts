// Every check a spec gets before the API plans or starts it: the workflow's own semantic
// checks (checkSpec), what the API needs to address the migration afterwards, and blue's
// version when it can be known. All issues are returned together, each naming its field.
import { checkSpec, compareMinor, migrationId, type SpecIssue } from '../workflows/plan.js';
import type { MigrationSpec } from '../workflows/spec.js';
import type { ClusterVersionLookup } from './blue-version.js';
import { MIGRATION_ID_PATTERN } from './schemas.js';

const ID = new RegExp(MIGRATION_ID_PATTERN);
// The schema allows any digits; Temporal caps a search attribute value, and no minor has 4 digits.
const KUBERNETES_MINOR = /^1\.\d{1,3}$/;

export async function specIssues(spec: MigrationSpec, blueVersion?: ClusterVersionLookup): Promise<SpecIssue[]> {
  const issues = checkSpec(spec);
  if (!ID.test(migrationId(spec))) {
    // The ID is migration-<region>-<blue>; the region's own pattern already excludes odd characters.
    const path = spec.region.length > 50 ? '/region' : '/blue/cluster';
    issues.push({ path, message: 'must be printable ASCII without spaces and short enough to name the migration (ID at most 400 characters)' });
  }
  // The schema only asks for an http(s) prefix; a URL that cannot be parsed would fail every check.
  const urls: [string, string | undefined][] = [
    ...(spec.health?.smoke ?? []).map((c, i): [string, string] => [`/health/smoke/${i}/url`, c.url]),
    ['/notify/webhookUrl', spec.notify?.webhookUrl],
  ];
  for (const [path, url] of urls) {
    if (url !== undefined && !isHttpUrl(url)) issues.push({ path, message: `"${url}" is not a valid http(s) URL` });
  }
  const target = spec.green.kubernetesVersion;
  if (!KUBERNETES_MINOR.test(target)) {
    issues.push({ path: '/green/kubernetesVersion', message: 'must be a Kubernetes minor version such as 1.34' });
  } else if (blueVersion) {
    const current = await blueVersion(spec.region, spec.blue.cluster);
    if (current && KUBERNETES_MINOR.test(current) && compareMinor(target, current) <= 0) {
      issues.push({ path: '/green/kubernetesVersion', message: `must be newer than blue's version ${current}` });
    }
  }
  return issues;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
