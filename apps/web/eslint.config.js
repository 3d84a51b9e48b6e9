import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import root from '../../eslint.config.js';
import svelteConfig from './svelte.config.js';

export default tseslint.config(
  ...root,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: ['.svelte'],
        parser: tseslint.parser,
        svelteConfig,
      },
    },
  },
  {
    // Markup types (untyped `$props()` of routes, snippet parameters) resolve only in svelte-check,
    // not in the ESLint parser: type-aware rules would see `any` there. svelte-check covers them.
    files: ['**/*.svelte'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    rules: {
      // SPA without a base path: plain hrefs are correct here.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
);
