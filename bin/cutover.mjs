#!/usr/bin/env node
// The `cutover` package bin: runs the TypeScript CLI through tsx, resolved from this package
// (not the caller's directory), so it works from anywhere once installed or linked.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
