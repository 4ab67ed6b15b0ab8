// Running the real `cutover` bin as a child process, as a person would, against an API URL.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/cutover.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cutover …` to completion against `apiUrl` as `token`. */
export async function runCli(apiUrl: string, token: string | undefined, ...args: string[]): Promise<CliResult> {
  const env = { ...process.env, CUTOVER_API_URL: apiUrl, CUTOVER_TOKEN: token ?? '' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI_BIN, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
