// `cutover setup`: prepares a Temporal namespace for Cutover (its search attributes). It talks
// to Temporal itself, not to the API, with the worker's connection settings: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS or API key, profiles (@temporalio/envconfig). Safe to run again.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { stringify as stringifyYaml } from 'yaml';
import { Connection } from '@temporalio/client';
import { connectClient, temporalSettings } from '../config/connections.js';
import {
  createSearchAttributes,
  describeProblems,
  displayType,
  inspectSearchAttributes,
  REQUIRED_SEARCH_ATTRIBUTES,
  tcldCommand,
  type SearchAttributeReport,
} from '../worker/search-attributes.js';
import type { Io } from './commands.js';

export const SETUP_USAGE = `usage: cutover setup [--check] [--wait SECONDS] [-o table|wide|json|yaml]

Creates Cutover's search attributes in the Temporal namespace the worker uses, and says which
it created and which were there already. Connects like the worker: TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE.

options
  --check          only report; exit 1 when something is missing
  --wait SECONDS   keep trying that long while Temporal or the namespace is not there yet
                   (deployment jobs that start beside the server)
  -o, --output F   table (default; wide is the same), json or yaml: the report as
                   { temporal, namespace, created, present, missing } (names), problems on stderr
  -h, --help       this text`;

const OUTPUTS = ['table', 'wide', 'json', 'yaml'];

// gRPC status codes of the operator API's answers.
const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/** Temporal is not (yet) there to answer: worth another try while --wait lasts. */
class NotYet extends Error {}

function parseFlags(argv: string[]) {
  const options = { check: { type: 'boolean' }, wait: { type: 'string' }, output: { type: 'string', short: 'o' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values } = parseArgs({ args: argv, options, strict: true });
  if (values.wait !== undefined && !/^\d+$/.test(values.wait)) throw new Error(`--wait takes whole seconds, got "${values.wait}"`);
  const output = values.output ?? (values.json ? 'json' : 'table');
  if (!OUTPUTS.includes(output)) throw new Error(`-o takes ${OUTPUTS.join(', ')}; got "${output}"`);
  return { ...values, output };
}

export async function setup(argv: string[], io: Io): Promise<number> {
  const err = (text: string) => io.stderr.write(`cutover setup: ${text}\n`);
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    err(`${(e as Error).message}\n(cutover setup --help for usage)`);
    return 2;
  }
  const machine = flags.output === 'json' || flags.output === 'yaml';
  // With -o json|yaml stdout carries the report alone; the report's lines for people are left out.
  const out = (text: string) => void (machine || io.stdout.write(`${text}\n`));
  if (flags.help) {
    io.stdout.write(`${SETUP_USAGE}\n`);
    return 0;
  }
  let settings;
  try {
    settings = temporalSettings(io.env);
  } catch (e) {
    err(`Temporal connection settings: ${(e as Error).message}`);
    return 2;
  }
  const { namespace } = settings;
  const address = settings.connection.address;

  const deadline = Date.now() + Number(flags.wait ?? 0) * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof NotYet)) throw e;
      if (Date.now() >= deadline) {
        err(e.message);
        return 1;
      }
      if (attempt === 1) (machine ? err : out)(`waiting up to ${flags.wait} s: ${e.message}`);
      await sleep(2_000);
    }
  }

  async function once(): Promise<number> {
    let connection: Connection;
    try {
      connection = await connectClient(settings!.connection);
    } catch (e) {
      throw new NotYet(`cannot reach Temporal at ${address}: ${(e as Error).message}`);
    }
    try {
      let report: SearchAttributeReport & { created?: SearchAttributeReport['present'] };
      try {
        report = flags.check ? await inspectSearchAttributes(connection, namespace) : await createSearchAttributes(connection, namespace);
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === GRPC.NOT_FOUND) throw new NotYet(`namespace ${namespace} does not exist on ${address}; create it first (temporal operator namespace create -n ${namespace})`);
        if (code === GRPC.UNAVAILABLE) throw new NotYet(`Temporal at ${address} is unavailable: ${(e as Error).message}`);
        if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNIMPLEMENTED) {
          const missing = (await inspectSearchAttributes(connection, namespace).catch(() => undefined))?.missing ?? REQUIRED_SEARCH_ATTRIBUTES;
          err(`Temporal would not list or add search attributes here (${(e as Error).message}). Add them with:\n  ${tcldCommand(namespace, missing)}`);
          return 1;
        }
        err((e as Error).message);
        return 1;
      }
      if (machine) {
        const names = (list: SearchAttributeReport['present'] = []) => list.map((a) => a.name);
        const data = { temporal: address, namespace, created: names(report.created), present: names(report.present), missing: names(report.missing) };
        io.stdout.write(flags.output === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringifyYaml(data));
      }
      out(`Temporal ${address}, namespace ${namespace}`);
      for (const a of report.created ?? []) out(`  created  ${a.name.padEnd(22)} ${displayType(a.type)}`);
      for (const a of report.present) out(`  exists   ${a.name.padEnd(22)} ${displayType(a.type)}`);
      for (const a of report.missing) out(`  missing  ${a.name.padEnd(22)} ${displayType(a.type)}`);
      const problems = describeProblems(namespace, report);
      if (problems) {
        err(problems);
        return 1;
      }
      out(flags.check ? 'search attributes: all present' : `search attributes ready: ${report.created?.length ?? 0} created, ${report.present.length} already there`);
      return 0;
    } finally {
      await connection.close();
    }
  }
}
