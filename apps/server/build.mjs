// Bundles the server: our @comfy-gateway/* workspace packages (TypeScript source) are inlined,
// npm dependencies stay external and resolve from node_modules at run time.
import { build } from 'esbuild';

/** @type {import('esbuild').Plugin} */
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@comfy-gateway/') || args.kind === 'entry-point') return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [externalNpm],
  // Some CommonJS dependencies call require(); ESM output has none unless we make one.
  banner: {
    js: "import { createRequire as __cgCreateRequire } from 'node:module'; const require = __cgCreateRequire(import.meta.url);",
  },
  logLevel: 'info',
});
