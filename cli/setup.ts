// `cutover setup`: prepares a Temporal namespace for Cutover (its search attributes). It talks
// to Temporal itself, not to the API, with the worker's connection settings: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS or API key, profiles (@temporalio/envconfig). Safe to run again.
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { temporalSettings } from '../worker/config.js';
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

export const SETUP_USAGE = `usage: cutover setup [--check]

Creates Cutover's search attributes in the Temporal namespace the worker uses, and says which
it created and which were there already. Connects like the worker: TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE.

options
  --check      only report; exit 1 when something is missing
  -h, --help   this text`;

// gRPC status codes the operator API answers with when it will not add attributes.
const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12 } as const;

export async function setup(argv: string[], io: Io): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`cutover setup: ${text}\n`);
  let flags;
  try {
    flags = parseArgs({ args: argv, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    err(`${(e as Error).message}\n(cutover setup --help for usage)`);
    return 2;
  }
  if (flags.help) {
    out(SETUP_USAGE);
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
  let connection: Connection;
  try {
    connection = await Connection.connect(settings.connection);
  } catch (e) {
    err(`cannot reach Temporal at ${address}: ${(e as Error).message}`);
    return 1;
  }
  try {
    out(`Temporal ${address}, namespace ${namespace}`);
    let report: SearchAttributeReport & { created?: SearchAttributeReport['present'] };
    try {
      report = flags.check ? await inspectSearchAttributes(connection, namespace) : await createSearchAttributes(connection, namespace);
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === GRPC.NOT_FOUND) {
        err(`namespace ${namespace} does not exist on ${address}; create it first (temporal operator namespace create -n ${namespace})`);
      } else if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNIMPLEMENTED) {
        err(`Temporal would not list or add search attributes here (${(e as Error).message}). Add them with:\n  ${tcldCommand(namespace, (await safeMissing(connection, namespace)) ?? REQUIRED_SEARCH_ATTRIBUTES)}`);
      } else {
        err((e as Error).message);
      }
      return 1;
    }
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

/** What is missing, when at least listing is allowed; for the tcld hint. */
async function safeMissing(connection: Connection, namespace: string) {
  try {
    return (await inspectSearchAttributes(connection, namespace)).missing;
  } catch {
    return undefined;
  }
}
