// The `cutover` commands: each one REST call (watch and wait: the events stream), its answer
// shown for a person (-o wide: more of it), or as the API's JSON (-o json, --json) or YAML
// (-o yaml). Exit codes: 0 done, 1 the API refused or could not be reached (its own words on
// stderr), `rollback --wait` ended before blue was back, or `wait` saw the migration end
// without its condition, 2 the command line itself is wrong or `wait` timed out, 3
// `plan --inspect` found something blocking (BLOCKING_FOUND).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { EVENTS_RETRY_MS, type EndEvent, type ServerEventName, type UnavailableEvent } from '../api/event-stream.js';
import type { ActionBody, ApprovedBody, AuditBody, ListBody, PlanBody, RollbackAnswer, StartedBody, StatusBody, SteppedBackBody } from '../api/schemas.js';
import { FIXED_GATES, PHASES } from '../workflows/model.js';
import { ApiError, open, request, UnreachableError, type ApiTarget } from './client.js';
import { COLOUR, PLAIN, wantsColour, type Paint } from './colour.js';
import { completionScript, SHELLS, type Shell, type Vocabulary } from './completion.js';
import { progressLine, renderAudit, renderInspection, renderList, renderPlan, renderStatus, type AuditEntry, type ListItem } from './render.js';
import { setup } from './setup.js';
import { readEvents } from './sse.js';
import { cliVersion } from './version.js';
import { conditionMet, describeCondition, endedWithout, parseCondition, parseTimeout, WAIT_EXIT, type Condition } from './wait.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  stdin?: () => string;
}

const USAGE = `usage: cutover <command> [options]

commands
  plan -f SPEC [--inspect [--timeout 2m]]
                                   validate a spec (YAML or JSON) and show its plan; --inspect: also run
                                   preflight's and validation's read-only checks in the worker (a dry run:
                                   nothing started or written) within --timeout; exit 3 if one is blocking
  start -f SPEC                    start a migration
  list [--phase P] [--status S] [--blue B] [--team T] [--page-size N] [--cursor C] [--all]
  status ID                        where a migration stands
  watch ID                         follow a migration live (Ctrl-C to stop)
  wait ID --for COND [--timeout 30m]
                                   block until COND holds, following the events stream; COND is one of
                                   phase=PHASE (in that phase now), gate=GATE (that gate pending now),
                                   green=N (green's weight N % or more); --timeout default 30m (s, m, h, d)
                                   exit 0 reached, 1 the migration ended (or reached completed, aborted,
                                   cancelled, failed) without it, 2 timed out (2 is also a usage error's)
  audit ID [--page-size N]         every audit entry since the start (all pages; the status shows the last 20)
  approve ID GATE [--comment C]    approve a pending gate (cutover, step-N, promote, decommission, preflight-override):
                                   one approval toward its policy's k of N; the gate may also be given as --gate GATE
  reject ID GATE [--comment C]     reject a pending gate (or --gate GATE)
  step-back ID --reason R [--weight W]
                                   green back to an earlier step's weight (default the step before), then wait at the next step's gate
  promote ID [--reason R]          skip the remaining steps: green to 100 % once the current step passed its checks (an approval under the promote policy)
  rollback ID --reason R [--wait]  put all traffic back on blue (--wait: until it is; exit 1 if the API's wait ends first)
  pause|resume|retry|abort|cancel ID [--reason R]
  keep-blue ID [--reason R]        during the last delay before blue is deleted: keep blue (back to the decommission gate)
  setup [--check] [--wait S]       create Cutover's search attributes in the Temporal namespace
                                   (talks to Temporal, not the API: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …)
  completion bash|zsh|fish         print a shell completion script (README: how to install it)
  version, --version               the CLI's version

options
  --api URL      API base URL (env CUTOVER_API_URL, default http://127.0.0.1:8080)
  --token T      bearer token (env CUTOVER_TOKEN)
  -o, --output F table (default), wide, json or yaml; --json is -o json
                   wide: list adds TEAM, GREEN %, GATE, STARTED BY, AGE (one status request a row);
                   status and watch add the plan's phases, its gates and every recent event with details
                   json, yaml: the API's answer (watch: one status a line / a document each)
  --no-color     no colours (also NO_COLOR=1; colours only ever go to a terminal)
  -f, --file F   spec file; "-" reads standard input
  -h, --help     this text`;

class UsageError extends Error {}

/** The exit code of `plan --inspect` when the dry run found something blocking (with -o json too). */
export const BLOCKING_FOUND = 3;

const OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  file: { type: 'string', short: 'f' },
  comment: { type: 'string' },
  gate: { type: 'string' },
  reason: { type: 'string' },
  wait: { type: 'boolean' },
  weight: { type: 'string' },
  phase: { type: 'string' },
  status: { type: 'string' },
  blue: { type: 'string' },
  team: { type: 'string' },
  'page-size': { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  inspect: { type: 'boolean' },
  timeout: { type: 'string' },
  for: { type: 'string', multiple: true },
  'no-color': { type: 'boolean' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMANDS = ['plan', 'start', 'list', 'status', 'watch', 'wait', 'audit', 'approve', 'reject', 'step-back', 'promote', 'rollback', 'pause', 'resume', 'retry', 'abort', 'cancel', 'keep-blue', 'setup', 'completion', 'version'] as const;

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How a command shows its answer. */
interface View {
  format: OutputFormat;
  /** json or yaml: the API's answer, for a program. */
  machine: boolean;
  paint: Paint;
}

/** What the completion scripts offer: the commands, options and values this parser accepts. */
export const VOCABULARY: Vocabulary = {
  commands: COMMANDS,
  options: Object.entries(OPTIONS).map(([name, o]) => ({ name, short: 'short' in o ? o.short : undefined, takesValue: o.type === 'string' })),
  outputs: OUTPUT_FORMATS,
  gates: FIXED_GATES,
  phases: PHASES,
  shells: SHELLS,
};

/** How long `wait` waits without --timeout. */
const DEFAULT_WAIT_TIMEOUT = '30m';

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function run(argv: string[], io: Io): Promise<number> {
  // setup talks to Temporal, not the API: its own options, no token.
  if (argv[0] === 'setup') return setup(argv.slice(1), io);
  const out = (text: string) => io.stdout.write(`${text}\n`);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values: flags, positionals } = parsed;
    const [command, ...args] = positionals;
    const view = viewOf(flags, io);
    const show = (data: unknown, human: () => string) => out(view.format === 'json' ? JSON.stringify(data, null, 2) : view.format === 'yaml' ? stringifyYaml(data).trimEnd() : human());
    if (flags.help) {
      out(USAGE);
      return 0;
    }
    if (flags.version || command === 'version') {
      const version = cliVersion();
      show({ cli: version }, () => `cutover ${version}`);
      return 0;
    }
    if (!command) {
      out(USAGE);
      return 2;
    }
    if (command === 'completion') {
      const shell = need(args[0], `a shell (${SHELLS.join(', ')})`);
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`no completion for "${shell}"; one of ${SHELLS.join(', ')}`);
      io.stdout.write(completionScript(shell as Shell, VOCABULARY));
      return 0;
    }
    const target: ApiTarget = {
      url: flags.api ?? io.env.CUTOVER_API_URL ?? 'http://127.0.0.1:8080',
      token: flags.token ?? io.env.CUTOVER_TOKEN ?? '',
    };
    if (!target.token) throw new UsageError('no token: set CUTOVER_TOKEN or pass --token (the sandbox prints its tokens at start)');
    const id = () => need(args[0], 'a migration ID');
    const path = () => `/v1/migrations/${encodeURIComponent(id())}`;

    switch (command) {
      case 'plan': {
        if (flags.timeout !== undefined && !flags.inspect) throw new UsageError('--timeout bounds --inspect; pass both');
        const query = new URLSearchParams();
        if (flags.inspect) query.set('inspect', 'true');
        if (flags.timeout !== undefined) query.set('timeout', flags.timeout);
        const answer = await request<PlanBody>(target, 'POST', `/v1/plans${flags.inspect ? `?${query}` : ''}`, readSpec(flags, io));
        show(answer, () => renderPlan(answer, view.paint) + (answer.inspection ? `\n${renderInspection(answer.inspection, view.paint)}` : ''));
        return answer.inspection?.findings.some((f) => f.severity === 'blocking') ? BLOCKING_FOUND : 0;
      }
      case 'start': {
        const answer = await request<StartedBody>(target, 'POST', '/v1/migrations', readSpec(flags, io));
        show(answer, () => `started ${answer.id}\n  follow it: cutover watch ${answer.id}\n  Temporal UI: ${answer.links.temporalUi}`);
        return 0;
      }
      case 'list': {
        const items: ListItem[] = [];
        let cursor = flags.cursor;
        let next: string | undefined;
        do {
          const query = new URLSearchParams();
          for (const key of ['phase', 'status', 'blue', 'team'] as const) if (flags[key]) query.set(key, flags[key]);
          if (flags['page-size']) query.set('pageSize', flags['page-size']);
          if (cursor) query.set('cursor', cursor);
          const page = await request<ListBody>(target, 'GET', `/v1/migrations?${query}`);
          items.push(...page.migrations);
          next = page.nextCursor;
          cursor = next;
        } while (flags.all && next);
        const statuses = view.format === 'wide' ? await statusesOf(target, items) : undefined;
        show({ migrations: items, ...(next ? { nextCursor: next } : {}) }, () => renderList(items, { statuses, paint: view.paint }) + (next ? `\nmore: cutover list --cursor ${next}` : ''));
        return 0;
      }
      case 'status': {
        const status = await request<StatusBody>(target, 'GET', path());
        show(status, () => renderStatus(status, new Date(), { wide: view.format === 'wide', paint: view.paint }));
        return 0;
      }
      case 'audit': {
        const entries: AuditEntry[] = [];
        let cursor: string | undefined;
        do {
          const query = new URLSearchParams();
          if (flags['page-size']) query.set('limit', flags['page-size']);
          if (cursor) query.set('cursor', cursor);
          const page = await request<AuditBody>(target, 'GET', `${path()}/audit?${query}`);
          entries.push(...page.entries);
          cursor = page.nextCursor;
        } while (cursor);
        show({ id: id(), entries }, () => renderAudit(id(), entries));
        return 0;
      }
      case 'watch':
        return await watch(target, path(), view, io);
      case 'wait': {
        const given = flags.for ?? [];
        if (given.length !== 1) throw new UsageError(given.length ? `one --for at a time, got ${given.length}` : 'missing --for phase=PHASE|gate=GATE|green=WEIGHT');
        const condition = parseCondition(given[0]);
        if ('error' in condition) throw new UsageError(condition.error);
        const text = flags.timeout ?? DEFAULT_WAIT_TIMEOUT;
        const ms = parseTimeout(text);
        if (ms === undefined) throw new UsageError(`--timeout takes a duration such as 30s, 10m or 2h, got "${text}"`);
        return await waitFor(target, id(), condition, { ms, text }, view, io);
      }
      case 'approve':
      case 'reject': {
        // The gate positionally or as --gate (the form the Temporal UI and notifications show).
        if (args[1] && flags.gate) throw new UsageError(`the gate twice: "${args[1]}" and --gate "${flags.gate}"; give it once`);
        const gate = need(args[1] ?? flags.gate, 'a gate (cutover, step-N, decommission, preflight-override)');
        const body = { gate, decision: command, ...(flags.comment ? { comment: flags.comment } : {}) };
        const answer = await request<ApprovedBody>(target, 'POST', `${path()}/approvals`, body);
        show(answer, () => approvalLine(answer));
        return 0;
      }
      case 'step-back': {
        const reason = need(flags.reason, '--reason (it is shown at the gate and goes into the audit log)');
        const weight = flags.weight === undefined ? undefined : Number(flags.weight);
        if (weight !== undefined && !Number.isInteger(weight)) throw new UsageError(`--weight must be one of the plan's green weights (an integer), got "${flags.weight}"`);
        const answer = await request<SteppedBackBody>(target, 'POST', `${path()}/step-back`, { reason, ...(weight !== undefined && { weight }) });
        show(answer, () => `stepping back to step ${answer.step} (green ${answer.greenWeight} %); then waiting at gate step-${answer.step + 1}`);
        return 0;
      }
      case 'promote': {
        const answer = await request<ApprovedBody>(target, 'POST', `${path()}/promote`, flags.reason ? { reason: flags.reason } : {});
        show(answer, () => approvalLine(answer));
        return 0;
      }
      case 'rollback': {
        const reason = need(flags.reason, '--reason (it goes into the audit log)');
        const answer = await request<RollbackAnswer>(target, 'POST', `${path()}/rollback${flags.wait ? '?wait=true' : ''}`, { reason });
        show(answer, () => ('weights' in answer ? `rolled back: blue ${answer.weights.blue} %, green ${answer.weights.green} %` : ('message' in answer && answer.message) || 'rollback accepted; traffic is on its way back to blue'));
        // --wait asked for blue at 100 %: an answer without weights says it is not there yet.
        return flags.wait && !('weights' in answer) ? 1 : 0;
      }
      case 'pause':
      case 'resume':
      case 'retry':
      case 'abort':
      case 'cancel':
      case 'keep-blue': {
        const answer = await request<ActionBody>(target, 'POST', `${path()}/${command}`, flags.reason ? { reason: flags.reason } : {});
        show(answer, () => `${command}: accepted`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`cutover: ${err.message}\n(cutover --help for usage)\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.stderr.write(`cutover: ${err.describe()}\n`);
      return 1;
    }
    if (err instanceof UnreachableError) {
      io.stderr.write(`cutover: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** An approval's answer: the gate, and its policy's count when it has one. */
function approvalLine(answer: ApprovedBody): string {
  if (answer.decision !== 'approve') return `${answer.gate}: rejected`;
  if (answer.required === undefined) return `${answer.gate}: approved`;
  if (answer.met) return `${answer.gate}: approved (${answer.approvals} of ${answer.required} approvals: the policy is met)`;
  return `${answer.gate}: ${answer.approvals} of ${answer.required} approvals; ${answer.required - answer.approvals!} more needed`;
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

/** -o (or --json) and whether to colour: an unknown format is a usage error naming the accepted ones. */
function viewOf(flags: Flags, io: Io): View {
  const output = flags.output ?? (flags.json ? 'json' : 'table');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) throw new UsageError(`-o takes ${OUTPUT_FORMATS.join(', ')}; got "${output}"`);
  if (flags.json && output !== 'json') throw new UsageError(`--json is -o json; it cannot go with -o ${output}`);
  const format = output as OutputFormat;
  const machine = format === 'json' || format === 'yaml';
  return { format, machine, paint: !machine && wantsColour(io.stdout, io.env, flags['no-color']) ? COLOUR : PLAIN };
}

/** Each listed migration's status, for -o wide: a few requests at a time; one that fails is shown as unknown. */
async function statusesOf(target: ApiTarget, items: ListItem[]): Promise<Map<string, StatusBody | undefined>> {
  const statuses = new Map<string, StatusBody | undefined>();
  const AT_ONCE = 8;
  for (let i = 0; i < items.length; i += AT_ONCE) {
    await Promise.all(
      items.slice(i, i + AT_ONCE).map(async (m) => {
        statuses.set(m.id, await request<StatusBody>(target, 'GET', `/v1/migrations/${encodeURIComponent(m.id)}`).catch(() => undefined));
      }),
    );
  }
  return statuses;
}

function readSpec(flags: Flags, io: Io): unknown {
  const file = need(flags.file, '-f SPEC (a YAML or JSON file)');
  let text: string;
  try {
    text = file === '-' ? (io.stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    // YAML 1.2 reads JSON too; a .json file gets JSON's stricter parser and its messages.
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

const MAX_RECONNECTS = 5;

/** The wait for --timeout ran out (wait's exit 2). */
class TimedOut extends Error {}

interface StreamHandlers {
  /** A status; an exit code ends the following. */
  status(status: StatusBody, raw: string): number | undefined;
  unavailable(message: string): void;
  end(end: EndEvent): number;
}

/** Follows a migration's events stream until a handler returns an exit code; reconnects if the stream drops; `signal` ends it with TimedOut. */
async function follow(target: ApiTarget, path: string, on: StreamHandlers, signal?: AbortSignal): Promise<number> {
  let failures = 0;
  let retryMs = EVENTS_RETRY_MS;
  for (;;) {
    try {
      const res = await open(target, 'GET', `${path}/events`, { accept: 'text/event-stream', signal });
      for await (const event of readEvents(res.body!)) {
        failures = 0;
        if (event.retry) retryMs = event.retry;
        const data: unknown = JSON.parse(event.data);
        const name = event.event as ServerEventName;
        if (name === 'status') {
          const code = on.status(data as StatusBody, event.data);
          if (code !== undefined) return code;
        } else if (name === 'unavailable') on.unavailable((data as UnavailableEvent).message);
        else if (name === 'end') return on.end(data as EndEvent);
      }
    } catch (err) {
      if (signal?.aborted) throw new TimedOut();
      // A refusal (404, 401, …) will not get better by retrying.
      if (err instanceof ApiError) throw err;
      if (++failures > MAX_RECONNECTS) throw err instanceof UnreachableError ? err : new UnreachableError(`events stream lost: ${(err as Error).message}`);
    }
    if (++failures > MAX_RECONNECTS) throw new UnreachableError('events stream keeps closing; giving up');
    await new Promise<void>((resolve, reject) => {
      const stop = () => (clearTimeout(timer), reject(new TimedOut()));
      const timer = setTimeout(() => (signal?.removeEventListener('abort', stop), resolve()), retryMs);
      signal?.addEventListener('abort', stop, { once: true });
    });
  }
}

/**
 * `watch`: on a terminal the screen is redrawn every second so timers count down; into a
 * pipe or file, one line per change (-o json: each status as a line of JSON; -o yaml: a document each).
 */
async function watch(target: ApiTarget, path: string, view: View, io: Io): Promise<number> {
  const tty = !!io.stdout.isTTY && !view.machine;
  let latest: StatusBody | undefined;
  let updatedAt = Date.now();
  const draw = () => {
    if (!latest) return;
    const age = Math.round((Date.now() - updatedAt) / 1000);
    io.stdout.write(`\x1b[H\x1b[2J${renderStatus(latest, new Date(), { wide: view.format === 'wide', paint: view.paint })}\n\n  updated ${age}s ago · Ctrl-C to stop\n`);
  };
  const ticker = tty ? setInterval(draw, 1000) : undefined;
  try {
    return await follow(target, path, {
      status(status, raw) {
        latest = status;
        updatedAt = Date.now();
        if (view.format === 'json') io.stdout.write(`${raw}\n`);
        else if (view.format === 'yaml') io.stdout.write(`---\n${stringifyYaml(status)}`);
        else if (tty) draw();
        else io.stdout.write(`${progressLine(status)}\n`);
        return undefined;
      },
      unavailable(message) {
        if (!view.machine) io.stderr.write(`cutover: ${message}\n`);
      },
      end(end) {
        if (!view.machine) io.stdout.write(`migration ended: ${end.workflowStatus} (phase ${end.phase})\n`);
        return 0;
      },
    });
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

/**
 * `wait`: follows the events stream until the condition holds (exit 0), the migration ends or
 * reaches a phase it never leaves without it (1), or the timeout runs out (2). A progress line
 * per change on stderr; -o json|yaml: nothing but the last status seen, on stdout.
 */
async function waitFor(target: ApiTarget, id: string, condition: Condition, timeout: { ms: number; text: string }, view: View, io: Io): Promise<number> {
  const what = describeCondition(condition);
  let last: StatusBody | undefined;
  const finish = (code: number, line: string) => {
    if (view.machine) {
      if (last) io.stdout.write(view.format === 'json' ? `${JSON.stringify(last, null, 2)}\n` : stringifyYaml(last));
    } else (code === WAIT_EXIT.reached ? io.stdout : io.stderr).write(`${line}\n`);
    return code;
  };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout.ms);
  let printed = '';
  try {
    return await follow(
      target,
      `/v1/migrations/${encodeURIComponent(id)}`,
      {
        status(status) {
          last = status;
          // One line per change: the clock and the countdowns aside.
          const line = progressLine(status);
          const gist = `${status.phase} ${status.weights.green} ${status.pendingGate?.gate ?? ''} ${status.paused} ${status.attention?.error ?? status.error ?? ''}`;
          if (!view.machine && gist !== printed) io.stderr.write(`${line}\n`);
          printed = gist;
          if (conditionMet(condition, status)) return finish(WAIT_EXIT.reached, `${id}: ${what}`);
          if (endedWithout(status)) return finish(WAIT_EXIT.endedElsewhere, `cutover: ${id} ended in phase ${status.phase} (${status.workflowStatus}) without ${what}`);
          return undefined;
        },
        unavailable(message) {
          if (!view.machine) io.stderr.write(`cutover: ${message}\n`);
        },
        end(end) {
          if (condition.kind === 'phase' && end.phase === condition.phase) return finish(WAIT_EXIT.reached, `${id}: ${what}`);
          return finish(WAIT_EXIT.endedElsewhere, `cutover: ${id} ended in phase ${end.phase} (${end.workflowStatus}) without ${what}`);
        },
      },
      controller.signal,
    );
  } catch (err) {
    if (!(err instanceof TimedOut)) throw err;
    const where = last ? ` (phase ${last.phase}, green ${last.weights.green} %${last.pendingGate ? `, gate ${last.pendingGate.gate} pending` : ''})` : '';
    return finish(WAIT_EXIT.timedOut, `cutover: timed out after ${timeout.text} waiting for ${what}${where}`);
  } finally {
    clearTimeout(timer);
  }
}
