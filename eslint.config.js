import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Files whose job is to read the environment: the server's one validated reader, the dev launcher,
// and entry points that are not the server (scripts, bench, examples, tests, tool configs).
const ENV_READERS = [
  'apps/server/src/env.ts',
  'apps/server/src/demo.ts',
  'scripts/**',
  'bench/**',
  'examples/**',
  '**/test/**',
  '**/tests/**',
  '**/*.config.{ts,js,mjs}',
];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/build/**', '**/.svelte-kit/**', '**/node_modules/**', '**/test-artifacts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      // Rejecting with a caught `unknown` (or an AbortSignal's reason) is a rethrow, as only-throw-error allows.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read the environment in apps/server/src/env.ts (validated) and pass the config in.',
        },
      ],
    },
  },
  {
    // Plain JS (configs, scripts, bin shims) is in no tsconfig: lint it without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.stringMatching, ...) are typed `any` by design.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ENV_READERS,
    rules: { 'no-restricted-properties': 'off' },
  },
);
