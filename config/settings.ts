// Settings read from the environment the same way by the API and the worker: a wrong one is
// pushed to `problems` by its variable's name, so that a process reports all of them at once.
import { readFileSync } from 'node:fs';

/** NAME as an integer from min to max; undefined when unset, or wrong (the problem pushed). */
export function integerSetting(env: NodeJS.ProcessEnv, name: string, min: number, max: number, problems: string[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return undefined;
  }
  return value;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON object setting (a token table, a name → URL map), inline in NAME or in the file
 * NAME_FILE names (a mounted secret), not both; `source` is the variable it came from, for the
 * caller's problems with its entries. undefined when neither is set, or when it cannot be read,
 * is not JSON or not an object: the problem pushed, with `shape` (the JSON expected) or the
 * setting's own `notObject` wording, naming the file but never its content.
 */
export function jsonObjectSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  shape: string,
  problems: string[],
  notObject = `must be an object ${shape}`,
): { source: string; value: Record<string, unknown> } | undefined {
  const fileVariable = `${name}_FILE`;
  const file = env[fileVariable];
  if (file && env[name]) {
    problems.push(`set ${name} or ${fileVariable}, not both`);
    return undefined;
  }
  if (!file && !env[name]) return undefined;
  const source = file ? fileVariable : name;
  // A problem with a file names the file too, so a wrong mount is found.
  const where = file ? `${fileVariable} (${file})` : name;
  let text: string;
  try {
    text = file ? readFileSync(file, 'utf8') : env[name]!;
  } catch (err) {
    problems.push(`${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push(`${where}: not valid JSON ${shape}`);
    return undefined;
  }
  if (!isJsonObject(value)) {
    problems.push(`${where}: ${notObject}`);
    return undefined;
  }
  return { source, value };
}
