import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import { loadConfig } from './env.ts';
import { createLogger } from './http/logger.ts';
import { startGateway } from './server.ts';

const DEMO_USER = { email: 'demo@comfy-gateway.local', password: 'demo-password' };
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

/** `pnpm demo`: the ComfyUI simulator plus the gateway (UI, /api, /trpc) on one port. */
async function main(): Promise<void> {
  const rootDir = process.env['ROOT_DIR'] ?? path.join(repo, 'data', 'demo');
  const sim = await startComfySim({
    port: Number(process.env['DEMO_COMFY_PORT'] ?? 0),
    rootDir: path.join(rootDir, 'comfyui'),
    stepMs: Number(process.env['DEMO_STEP_MS'] ?? 60),
    nodeMs: 20,
  });
  const webDir = path.join(repo, 'apps', 'web', 'build');
  const config = loadConfig({
    ADMIN_EMAIL: DEMO_USER.email,
    ADMIN_PASSWORD: DEMO_USER.password,
    ...(existsSync(path.join(webDir, 'index.html')) ? { WEB_DIR: webDir } : {}),
    ...process.env,
    ROOT_DIR: rootDir,
    COMFY_ENABLED: 'true',
    COMFY_API_URL: sim.url,
  });
  const logger = createLogger(config.logLevel);
  const gateway = await startGateway(config, { logger });
  process.stdout.write(
    [
      '',
      `  comfy-gateway demo is running: ${gateway.url}`,
      `  ComfyUI simulator:             ${sim.url}`,
      `  log in as ${DEMO_USER.email} / ${DEMO_USER.password}`,
      config.webDir ? '' : '  (web UI not built yet: run `pnpm build` first to get it on the same port)',
      '',
    ].join('\n') + '\n',
  );
  const stop = async () => {
    await gateway.close(2000);
    await sim.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
