// ESLint flat config for the whole workspace: `npm run lint` (= `eslint .`).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Node's globals, for the plain JavaScript files (scripts/*.mjs, config files). TypeScript files are checked by tsc.
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'Request', 'Response', 'Headers', 'FormData',
    'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'structuredClone', 'queueMicrotask', 'performance',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'globalThis',
    'ReadableStream', 'WritableStream', 'TransformStream', 'Blob', 'crypto', 'EventTarget', 'Event', 'WebAssembly',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['**/dist/**', 'libs/db/src/generated/**', '**/node_modules/**', '.nx/**', 'coverage/**', '.harness/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      // Empty catch blocks are a deliberate "best effort" in shutdown paths.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Re-throwing with a clearer message but without `{ cause }` is common here; worth a warning, not a failure.
      'preserve-caught-error': 'warn',
    },
  },
  {
    // The web app runs in the browser; the hooks rules catch what React cannot tell at runtime.
    files: ['apps/web/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    // Test files: jest globals come from @types/jest for tsc; ESLint's no-undef is off for TS anyway.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
