// ESLint for the TypeScript and the Node scripts; `npm run lint` runs it with prettier and ruff.
'use strict';
const js = require('@eslint/js');
const { defineConfig, globalIgnores } = require('eslint/config');
const globals = require('globals');
const tseslint = require('typescript-eslint');

module.exports = defineConfig([
  globalIgnores(['dist/', 'node_modules/', '.tmp/', 'bench/results/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The test helpers in scripts/lib are plain CommonJS without types, shared with the Node
      // scripts: the TypeScript that uses them requires them.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['/scripts/lib/'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
]);
