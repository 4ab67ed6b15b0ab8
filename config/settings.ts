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

/** `text` parsed as JSON; undefined when it is not JSON (the problem, naming `source` and the `expected` shape, pushed). */
export function parseJson(source: string, text: string, expected: string, problems: string[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    problems.push(`${source}: not valid JSON ${expected}`);
    return undefined;
  }
}

export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON setting, inline in NAME or in the file NAME_FILE names (a mounted secret), not both.
 * `source` is the variable it came from, for the caller's own problems. undefined when neither
 * is set, or it cannot be read or parsed (the problem pushed, naming the file but never its content).
 */
export function jsonSetting(env: NodeJS.ProcessEnv, name: string, expected: string, problems: string[]): { source: string; value: unknown } | undefined {
  const fileVariable = `${name}_FILE`;
  const file = env[fileVariable];
  if (file && env[name]) {
    problems.push(`set ${name} or ${fileVariable}, not both`);
    return undefined;
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${fileVariable} (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
    const value = parseJson(`${fileVariable} (${file})`, text, expected, problems);
    return value === undefined ? undefined : { source: fileVariable, value };
  }
  const text = env[name];
  if (!text) return undefined;
  const value = parseJson(name, text, expected, problems);
  return value === undefined ? undefined : { source: name, value };
}
