import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** SPA build: the gateway serves `build/` from WEB_DIR and falls back to index.html. */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    typescript: {
      // The server's router type pulls in its Express code, which needs its global Request augmentation.
      config: (tsconfig) => ({
        ...tsconfig,
        include: [
          ...tsconfig.include,
          '../tests/**/*.ts',
          '../vitest.config.ts',
          '../../server/src/http/express-types.ts',
        ],
      }),
    },
  },
  compilerOptions: { runes: true },
};

export default config;
