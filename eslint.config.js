// Lint: typed rules (floating promises lose errors and ordering) and, in workflows/,
// no Node built-ins: workflow code must stay deterministic and sandbox-safe.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

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
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: 'workflow code must not use Node built-ins' })),
          patterns: [
            { group: ['node:*'], message: 'workflow code must not use Node built-ins' },
            { group: ['**/activities/**'], message: 'workflows import only activity types (their code runs in the worker)', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
