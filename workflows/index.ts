// The workflow bundle's entry: every workflow type the worker registers.
export { migration } from './migration.js';
export { inspectMigration } from './inspect.js';
