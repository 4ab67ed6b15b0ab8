// `cutover`: the command line for people at a terminal; see commands.ts for what it does.
import { run } from './commands.js';

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
