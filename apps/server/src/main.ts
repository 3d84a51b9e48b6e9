import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { openDb } from './db/open-db.ts';
import { ConfigError, loadConfig } from './env.ts';
import type { ServerConfig } from './env.ts';
import { createLogger } from './http/logger.ts';
import { createServices } from './services.ts';

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

/** Starts the gateway and stops it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const db = openDb(config.rootDir);
  const services = await createServices(config, db);
  const admin = await services.auth.bootstrapAdmin(config.admin);
  if (admin) logger.info({ email: admin.email }, 'created the first admin');
  else if (services.auth.listUsers().length === 0) logger.warn('no users: set ADMIN_EMAIL and ADMIN_PASSWORD');

  const gateway = createApp({ config, db, services, logger });
  const server = createServer(gateway.app);
  gateway.attach(server);
  server.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    logger.info({ url: `http://${host}:${port}` }, 'comfy-gateway listening');
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
    server.closeIdleConnections();
    // Requests still running get a grace period, then their sockets are cut.
    const grace = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(grace);
    db.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`comfy-gateway: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
