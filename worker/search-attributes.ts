// Cutover's search attributes in a Temporal namespace: which exist, which are missing, and
// creating the missing ones. `cutover setup` creates them; the worker checks them at start,
// because a workflow that upserts an unknown attribute fails its task over and over and a
// start that sets one is refused (the API's 400 "Temporal refused this migration").
import type { OperatorService } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';

type AttributeType = (typeof SearchAttributeType)[keyof typeof SearchAttributeType];

export interface SearchAttributeSpec {
  name: string;
  type: AttributeType;
}

/** Every attribute the workflow and the API use, from the one list in workflows/messages.ts. */
export const REQUIRED_SEARCH_ATTRIBUTES: SearchAttributeSpec[] = Object.values(SEARCH_ATTRIBUTES).map((key) => ({ name: key.name, type: key.type }));

export interface SearchAttributeReport {
  /** Present with the right type. */
  present: SearchAttributeSpec[];
  missing: SearchAttributeSpec[];
  /** Present under our name but with another type (`actual`, as Temporal names it): only a person can fix that. */
  conflicting: (SearchAttributeSpec & { actual: string })[];
}

/** Both the client's Connection and the worker's NativeConnection have one. */
export interface OperatorConnection {
  operatorService: OperatorService;
}

const { IndexedValueType } = proto.temporal.api.enums.v1;

/** The operator API's number for a type: its enum member is the type's name behind a prefix. */
const indexedValueType = (type: AttributeType): number => IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];

/** Temporal's name of an indexed value type as the operator API answers it (a number). */
function typeName(indexed: number): string {
  const type = Object.values(SearchAttributeType).find((t) => indexedValueType(t) === indexed);
  return type ? displayType(type) : `type ${indexed}`;
}

export async function inspectSearchAttributes(connection: OperatorConnection, namespace: string): Promise<SearchAttributeReport> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = { ...(listed.systemAttributes ?? {}), ...(listed.customAttributes ?? {}) } as Record<string, number>;
  const report: SearchAttributeReport = { present: [], missing: [], conflicting: [] };
  for (const wanted of REQUIRED_SEARCH_ATTRIBUTES) {
    const actual = existing[wanted.name];
    if (actual === undefined) report.missing.push(wanted);
    else if (actual === indexedValueType(wanted.type)) report.present.push(wanted);
    else report.conflicting.push({ ...wanted, actual: typeName(actual) });
  }
  return report;
}

/** Creates the missing attributes (one call) and returns what was created and what already existed. */
export async function createSearchAttributes(connection: OperatorConnection, namespace: string): Promise<SearchAttributeReport & { created: SearchAttributeSpec[] }> {
  const before = await inspectSearchAttributes(connection, namespace);
  if (before.missing.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(before.missing.map((a) => [a.name, indexedValueType(a.type)])),
    });
  }
  return { ...before, created: before.missing, missing: [] };
}

const TITLE_TYPES: Record<AttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** How the attribute is spelled in Temporal's CLIs and UI: `Keyword`, `Int`, … */
export function displayType(type: AttributeType): string {
  return TITLE_TYPES[type];
}

/** Temporal Cloud's way to add them (its operator API may refuse): the namespace as <name>.<account>. */
export function tcldCommand(namespace: string, attributes: SearchAttributeSpec[]): string {
  return `tcld namespace search-attributes add --namespace ${namespace} ${attributes.map((a) => `--sa "${a.name}=${displayType(a.type)}"`).join(' ')}`;
}

/** A person-readable account of what is wrong and how to fix it, or undefined when nothing is. */
export function describeProblems(namespace: string, report: SearchAttributeReport): string | undefined {
  const lines: string[] = [];
  if (report.missing.length) {
    lines.push(`namespace ${namespace} lacks Cutover's search attributes ${report.missing.map((a) => `${a.name} (${displayType(a.type)})`).join(', ')}.`);
    lines.push('Without them no migration can start, and a running one cannot record its phase. Create them with either of:');
    lines.push("  npx cutover setup   (with this worker's TEMPORAL_* settings)");
    lines.push(`  ${tcldCommand(namespace, report.missing)}   (Temporal Cloud)`);
  }
  for (const c of report.conflicting) {
    lines.push(`namespace ${namespace} has ${c.name} as ${c.actual}, but Cutover needs ${displayType(c.type)}: remove it or use another namespace.`);
  }
  return lines.length ? lines.join('\n') : undefined;
}
