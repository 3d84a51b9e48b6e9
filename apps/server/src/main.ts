import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './env.ts';
import type { ServerConfig } from './env.ts';
import { createLogger } from './http/logger.ts';
import { startGateway } from './server.ts';
import { surviveStrayRejections } from './stray-rejections.ts';

function readConfig(): ServerConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`comfy-gateway: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Without WEB_DIR, serve the UI that `pnpm build` put next to this app (apps/web/build), if any. */
function withBuiltWebUi(config: ServerConfig): ServerConfig {
  if (config.webDir) return config;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.resolve(here, '../../web/build');
  return existsSync(path.join(built, 'index.html')) ? { ...config, webDir: built } : config;
}

/** Runs the gateway in the foreground and stops it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = withBuiltWebUi(readConfig());
  const logger = createLogger(config.logLevel);
  surviveStrayRejections(logger);
  const gateway = await startGateway(config, { logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await gateway.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `comfy-gateway: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
