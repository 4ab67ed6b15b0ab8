// The CLI's fit with the shell, without an API: --version, -o's and wait's argument checks,
// wait's conditions, and the completion scripts as each shell runs them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run, VOCABULARY } from '../../cli/commands.js';
import { completionScript } from '../../cli/completion.js';
import { cliVersion } from '../../cli/version.js';
import { conditionMet, endedWithout, parseCondition, parseTimeout } from '../../cli/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs the CLI in-process with captured output; no API is reachable (port 9 refuses). */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (append(String(chunk)), done()) });
  const code = await run(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: { CUTOVER_TOKEN: 'dev-viewer', CUTOVER_API_URL: 'http://127.0.0.1:9' },
  });
  return { code, stdout, stderr };
}

describe('--version', () => {
  it("prints the package's version, as text, JSON or YAML, with no API and no token", async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: `cutover ${packageVersion}\n`, stderr: '' });
    expect((await cli('version')).stdout).toBe(`cutover ${packageVersion}\n`);
    expect(JSON.parse((await cli('version', '-o', 'json')).stdout)).toEqual({ cli: packageVersion });
    expect(parseYaml((await cli('--version', '-o', 'yaml')).stdout)).toEqual({ cli: packageVersion });
  });

  it('finds package.json from the sources and from a build under dist/', () => {
    expect(cliVersion(path.join(root, 'cli'))).toBe(packageVersion);
    expect(cliVersion(path.join(root, 'dist', 'cli'))).toBe(packageVersion);
  });

  it('the installed bin prints it too', () => {
    expect(execFileSync(process.execPath, [path.join(root, 'bin/cutover.mjs'), '--version'], { encoding: 'utf8' })).toBe(`cutover ${packageVersion}\n`);
  });
});

describe('-o', () => {
  it('an unknown format is a usage error naming the accepted ones', async () => {
    const bad = await cli('list', '-o', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-o takes table, wide, json, yaml; got "xml"');
    expect((await cli('list', '--json', '-o', 'yaml')).stderr).toContain('--json is -o json; it cannot go with -o yaml');
    // setup parses its own options (it talks to Temporal, not the API): the same rule.
    const setup = await cli('setup', '-o', 'xml');
    expect(setup.code).toBe(2);
    expect(setup.stderr).toContain('cutover setup: -o takes table, wide, json, yaml; got "xml"');
  });
});

describe('wait', () => {
  it('refuses a bad condition or timeout before asking the API (exit 2, naming it)', async () => {
    const cases: [string[], string][] = [
      [['wait', 'm'], 'missing --for phase=PHASE|gate=GATE|green=WEIGHT'],
      [['wait', 'm', '--for', 'phase=bakin'], '--for phase=bakin: "bakin" is not a phase; one of preflight,'],
      [['wait', 'm', '--for', 'gate=launch'], '--for gate=launch: "launch" is not a gate; one of preflight-override,'],
      [['wait', 'm', '--for', 'green=150'], "--for green=150: green's weight is an integer from 0 to 100"],
      [['wait', 'm', '--for', 'blue=50'], '--for "blue=50" is not a condition; one of phase=PHASE, gate=GATE, green=WEIGHT'],
      [['wait', 'm', '--for', 'phase=baking', '--for', 'green=50'], 'one --for at a time, got 2'],
      [['wait', 'm', '--for', 'phase=baking', '--timeout', 'soon'], '--timeout takes a duration such as 30s, 10m or 2h, got "soon"'],
      [['wait', '--for', 'phase=baking'], 'missing a migration ID'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain(message);
    }
  });

  it('meets a condition by phase, pending gate, or green at or above the weight', () => {
    const at = (phase: string, green: number, gate?: string) => ({ phase, weights: { blue: 100 - green, green }, ...(gate && { pendingGate: { gate } }) }) as never;
    const phase = parseCondition('phase=baking');
    const gate = parseCondition('gate=cutover');
    const green = parseCondition('green=50');
    if ('error' in phase || 'error' in gate || 'error' in green) throw new Error('conditions should parse');
    expect(conditionMet(phase, at('baking', 100))).toBe(true);
    expect(conditionMet(phase, at('shifting', 50))).toBe(false);
    expect(conditionMet(gate, at('awaiting-cutover', 0, 'cutover'))).toBe(true);
    expect(conditionMet(gate, at('shifting', 20, 'step-2'))).toBe(false);
    expect(conditionMet(green, at('shifting', 20))).toBe(false);
    expect(conditionMet(green, at('shifting', 50))).toBe(true);
    expect(conditionMet(green, at('baking', 100))).toBe(true);
    expect(parseCondition('gate=step-2')).toEqual({ kind: 'gate', gate: 'step-2' });
  });

  it('knows when a migration will not get there, and reads timeouts', () => {
    expect(endedWithout({ phase: 'aborted', workflowStatus: 'RUNNING' })).toBe(true);
    expect(endedWithout({ phase: 'shifting', workflowStatus: 'TERMINATED' })).toBe(true);
    expect(endedWithout({ phase: 'rolled-back', workflowStatus: 'RUNNING' })).toBe(false);
    expect(parseTimeout('30m')).toBe(1_800_000);
    expect(parseTimeout('2s')).toBe(2_000);
    expect(parseTimeout('1h')).toBe(3_600_000);
    expect(parseTimeout('30')).toBeUndefined();
  });
});

const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

describe('completion', () => {
  it('an unknown shell is a usage error; no token is needed', async () => {
    const r = await cli('completion', 'tcsh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no completion for "tcsh"; one of bash, zsh, fish');
  });

  /** What bash offers for `line` (completing at its end), with the script sourced. */
  const bashOffers = (script: string, line: string) => {
    const probe = `${script}
complete -p cutover
COMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=($COMP_LINE); COMP_CWORD=\${#COMP_WORDS[@]}
[[ "$COMP_LINE" == *" " ]] || COMP_CWORD=$((COMP_CWORD - 1))
_cutover
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync('bash', ['-c', probe, 'probe', line], { encoding: 'utf8' }).trim().split('\n');
    expect(out[0]).toBe('complete -F _cutover cutover');
    return out.slice(1);
  };

  it('bash: commands, options, -o formats, --for conditions, phases, gates and shells', async () => {
    const { code, stdout: script } = await cli('completion', 'bash');
    expect(code).toBe(0);
    expect(bashOffers(script, 'cutover st')).toEqual(['start', 'status', 'step-back']);
    expect(bashOffers(script, 'cutover w')).toEqual(['watch', 'wait']);
    expect(bashOffers(script, 'cutover status m-1 -o ')).toEqual(['table', 'wide', 'json', 'yaml']);
    expect(bashOffers(script, 'cutover status m-1 --o')).toEqual(['--output']);
    expect(bashOffers(script, 'cutover wait m-1 --for g')).toEqual([...VOCABULARY.gates.map((g) => `gate=${g}`), 'green=']);
    // bash breaks words at "=": the candidate is what follows it.
    expect(bashOffers(script, 'cutover wait m-1 --for phase=ba')).toEqual(['baking']);
    expect(bashOffers(script, 'cutover list --phase awaiting-')).toEqual(['awaiting-cutover', 'awaiting-decommission']);
    expect(bashOffers(script, 'cutover --api http://x approve m-1 ')).toEqual([...VOCABULARY.gates]);
    expect(bashOffers(script, 'cutover completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  for (const shell of ['zsh', 'fish'] as const) {
    it.skipIf(!hasShell(shell))(`${shell}: the script parses (${shell} -n)${hasShell(shell) ? '' : ` — skipped: no ${shell} on this machine`}`, () => {
      const script = completionScript(shell, VOCABULARY);
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cutover-completion-')), `cutover.${shell}`);
      writeFileSync(file, script);
      const checked = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      expect(checked.stderr).toBe('');
      expect(checked.status).toBe(0);
      for (const word of ['wait', 'completion', 'gate=cutover', 'phase=baking', 'yaml']) expect(script).toContain(word);
    });
  }

  it.skipIf(!hasShell('zsh'))(`zsh: offers the same words when asked${hasShell('zsh') ? '' : ' — skipped: no zsh on this machine'}`, () => {
    const probe = `${completionScript('zsh', VOCABULARY)}
compadd() { while [[ $1 == -* ]]; do [[ $1 == -- ]] && { shift; break }; [[ $1 == -S ]] && shift; shift; done; print -l -- "$@" }
words=(cutover wait m-1 --for ''); CURRENT=5; _cutover
words=(cutover st); CURRENT=2; _cutover`;
    const out = execFileSync('zsh', ['-f', '-c', `compdef() { : }; ${probe}`], { encoding: 'utf8' }).split('\n');
    expect(out).toContain('phase=baking');
    expect(out).toContain('gate=cutover');
    expect(out).toContain('status');
  });
});
