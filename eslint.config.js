// Lint: typed rules (floating promises lose errors and ordering) and the layers of
// docs/architecture.md: workflow code stays deterministic (no Node built-ins, only types from
// activities/), activities never reach into the processes that use them, and the API and
// the CLI reach the cloud only through the workflow.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** An import of the top-level folder `dir`, from any depth below the repository root. */
const folder = (...dirs) => `^(\\.\\./)+(${dirs.join('|')})/`;

/** One layer's import rules: `forbid` entries are [regex, message, typesAllowed]. */
const layer = (files, forbid, paths = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { paths, patterns: forbid.map(([regex, message, allowTypeImports = false]) => ({ regex, message, allowTypeImports })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'test/histories/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.{js,mjs}'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  layer(
    ['workflows/**/*.ts'],
    [
      ['^node:', 'workflow code must not use Node built-ins'],
      [folder('activities'), 'workflows import only activity types (import type …)', true],
      [folder('api', 'worker', 'cli'), 'workflow code imports only workflows/ (and activity types)'],
    ],
    builtinModules.map((name) => ({ name, message: 'workflow code must not use Node built-ins' })),
  ),
  layer(['activities/**/*.ts'], [[folder('api', 'worker', 'cli'), 'activities are used by the worker; they import nothing of the processes']]),
  layer(
    ['api/**/*.ts'],
    [
      [folder('activities'), 'the API reaches the cloud only through the workflow, never by calling activities'],
      ['^(\\.\\./)+workflows/migration(/|\\.js$)', "the API imports the workflow's pure modules, never its internals (they load the workflow runtime; types are fine)", true],
    ],
  ),
  layer(['cli/**/*.ts'], [[folder('activities'), 'the CLI never calls the cloud itself: it asks the REST API (types are fine)', true]]),
);
