import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** SPA build: the gateway serves `build/` from WEB_DIR and falls back to index.html. */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    typescript: {
      // The browser flows and the vitest config are type-checked with the app.
      config: (tsconfig) => ({
        ...tsconfig,
        include: [...tsconfig.include, '../tests/**/*.ts', '../vitest.config.ts'],
      }),
    },
  },
  compilerOptions: { runes: true },
};

export default config;
