// The CLIs the deployment tests check files with: the compose CLI and helm, built by
// `scripts/tools.sh --tests` (npm test passes --tests; a bare vitest run builds them here).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DeployTools {
  compose: string;
  helm: string;
}

export function deployTools(): DeployTools {
  const env = process.env;
  if (!env.CUTOVER_COMPOSE_BIN || !env.CUTOVER_HELM_BIN) {
    const exports = execFileSync('bash', [path.join(ROOT, 'scripts/tools.sh'), '--tests'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    for (const m of exports.matchAll(/^export (\w+)='([^']*)'$/gm)) env[m[1]] = m[2];
  }
  return { compose: env.CUTOVER_COMPOSE_BIN!, helm: env.CUTOVER_HELM_BIN! };
}

/** The first time, building both takes minutes. */
export const TOOLS_TIMEOUT_MS = 30 * 60_000;
