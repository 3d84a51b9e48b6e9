import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoStack } from './demo-stack.ts';
import { surviveStrayRejections } from './stray-rejections.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

/** `pnpm demo`: the ComfyUI simulator plus the gateway (UI, /api, /trpc) on one port. */
async function main(): Promise<void> {
  surviveStrayRejections({ error: (o, msg) => process.stderr.write(`${msg}: ${String(o.err)}\n`) });
  const webDir = path.join(repo, 'apps', 'web', 'build');
  const built = existsSync(path.join(webDir, 'index.html'));
  const stack = await startDemoStack({
    rootDir: process.env['ROOT_DIR'] ?? path.join(repo, 'data', 'demo'),
    sim: {
      port: Number(process.env['DEMO_COMFY_PORT'] ?? 0),
      stepMs: Number(process.env['DEMO_STEP_MS'] ?? 60),
      nodeMs: 20,
    },
    // Two ComfyUI servers behind one gateway queue (DEMO_SIMS=1 for one).
    sims: Number(process.env['DEMO_SIMS'] ?? 2),
    env: { ...(built ? { WEB_DIR: webDir } : {}), ...process.env },
  });
  const { admin } = stack;
  process.stdout.write(
    [
      '',
      `  comfy-gateway demo is running: ${stack.url}`,
      ...stack.sims.map((s, i) => `  ComfyUI simulator s${i + 1}:          ${s.url}`),
      `  log in as ${admin.email} / ${admin.password}`,
      built ? '' : '  (web UI not built yet: run `pnpm build` first to get it on the same port)',
      '',
    ].join('\n') + '\n',
  );
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
