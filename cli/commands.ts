// The `cutover` commands: each one REST call (watch: the events stream), its answer shown
// for a person, or as JSON with --json. Exit codes: 0 done, 1 the API refused or could not
// be reached (its own words on stderr) or `rollback --wait` ended before blue was back, 2 the
// command line itself is wrong, 3 `plan --inspect` found something blocking (BLOCKING_FOUND).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { EVENTS_RETRY_MS, type EndEvent, type ServerEventName, type UnavailableEvent } from '../api/event-stream.js';
import type { ActionBody, ApprovedBody, AuditBody, ListBody, PlanBody, RollbackAnswer, StartedBody, StatusBody, SteppedBackBody } from '../api/schemas.js';
import { ApiError, open, request, UnreachableError, type ApiTarget } from './client.js';
import { progressLine, renderAudit, renderInspection, renderList, renderPlan, renderStatus, type AuditEntry, type ListItem } from './render.js';
import { setup } from './setup.js';
import { readEvents } from './sse.js';

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
  setup [--check]                  create Cutover's search attributes in the Temporal namespace
                                   (talks to Temporal, not the API: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …)

options
  --api URL      API base URL (env CUTOVER_API_URL, default http://127.0.0.1:8080)
  --token T      bearer token (env CUTOVER_TOKEN)
  --json, -o json  print the API's JSON answer instead of a table
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
  help: { type: 'boolean', short: 'h' },
} as const;

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
    if (flags.output !== undefined && flags.output !== 'json' && flags.output !== 'table') throw new UsageError(`-o takes json or table, got "${flags.output}"`);
    if (flags.output === 'json') flags.json = true;
    if (flags.help || !command) {
      out(USAGE);
      return command || flags.help ? 0 : 2;
    }
    const target: ApiTarget = {
      url: flags.api ?? io.env.CUTOVER_API_URL ?? 'http://127.0.0.1:8080',
      token: flags.token ?? io.env.CUTOVER_TOKEN ?? '',
    };
    if (!target.token) throw new UsageError('no token: set CUTOVER_TOKEN or pass --token (the sandbox prints its tokens at start)');
    const show = (json: unknown, human: () => string) => out(flags.json ? JSON.stringify(json, null, 2) : human());
    const id = () => need(args[0], 'a migration ID');
    const path = () => `/v1/migrations/${encodeURIComponent(id())}`;

    switch (command) {
      case 'plan': {
        if (flags.timeout !== undefined && !flags.inspect) throw new UsageError('--timeout bounds --inspect; pass both');
        const query = new URLSearchParams();
        if (flags.inspect) query.set('inspect', 'true');
        if (flags.timeout !== undefined) query.set('timeout', flags.timeout);
        const answer = await request<PlanBody>(target, 'POST', `/v1/plans${flags.inspect ? `?${query}` : ''}`, readSpec(flags, io));
        show(answer, () => renderPlan(answer) + (answer.inspection ? `\n${renderInspection(answer.inspection)}` : ''));
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
        show({ migrations: items, ...(next ? { nextCursor: next } : {}) }, () => renderList(items) + (next ? `\nmore: cutover list --cursor ${next}` : ''));
        return 0;
      }
      case 'status': {
        const status = await request<StatusBody>(target, 'GET', path());
        show(status, () => renderStatus(status));
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
        return await watch(target, path(), flags, io);
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

/**
 * Follows the events stream. On a terminal the screen is redrawn every second so timers
 * count down; into a pipe or file, one line per change. Reconnects if the stream drops.
 */
async function watch(target: ApiTarget, path: string, flags: Flags, io: Io): Promise<number> {
  const tty = !!io.stdout.isTTY && !flags.json;
  let latest: StatusBody | undefined;
  let updatedAt = Date.now();
  const draw = () => {
    if (!latest) return;
    const age = Math.round((Date.now() - updatedAt) / 1000);
    io.stdout.write(`\x1b[H\x1b[2J${renderStatus(latest)}\n\n  updated ${age}s ago · Ctrl-C to stop\n`);
  };
  const ticker = tty ? setInterval(draw, 1000) : undefined;
  let failures = 0;
  let retryMs = EVENTS_RETRY_MS;
  try {
    for (;;) {
      try {
        const res = await open(target, 'GET', `${path}/events`, { accept: 'text/event-stream' });
        for await (const event of readEvents(res.body!)) {
          failures = 0;
          if (event.retry) retryMs = event.retry;
          const data: unknown = JSON.parse(event.data);
          const name = event.event as ServerEventName;
          if (name === 'status') {
            latest = data as StatusBody;
            updatedAt = Date.now();
            if (flags.json) io.stdout.write(`${event.data}\n`);
            else if (tty) draw();
            else io.stdout.write(`${progressLine(latest)}\n`);
          } else if (name === 'unavailable') {
            if (!flags.json) io.stderr.write(`cutover: ${(data as UnavailableEvent).message}\n`);
          } else if (name === 'end') {
            const end = data as EndEvent;
            if (!flags.json) io.stdout.write(`migration ended: ${end.workflowStatus} (phase ${end.phase})\n`);
            return 0;
          }
        }
      } catch (err) {
        // A refusal (404, 401, …) will not get better by retrying.
        if (err instanceof ApiError) throw err;
        if (++failures > MAX_RECONNECTS) throw err instanceof UnreachableError ? err : new UnreachableError(`events stream lost: ${(err as Error).message}`);
      }
      if (++failures > MAX_RECONNECTS) throw new UnreachableError('events stream keeps closing; giving up');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
