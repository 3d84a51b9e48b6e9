import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFaults } from './faults.ts';
import { dirsFor } from './files/dirs.ts';
import { addFileRoutes } from './http/routes-files.ts';
import { addInfoRoutes } from './http/routes-info.ts';
import { addQueueRoutes } from './http/routes-queue.ts';
import { Router } from './http/router.ts';
import { DEFAULT_CHECKPOINTS, DEFAULT_LORAS, DEFAULT_VAES } from './nodes/lists.ts';
import { Runtime, type RuntimeConfig } from './runtime.ts';
import { createFaultState, type StatsState } from './state.ts';
import type { ComfySim, ComfySimOptions, ComfySimStats } from './types.ts';

function buildRouter(): Router {
  const router = new Router();
  addQueueRoutes(router);
  addInfoRoutes(router);
  addFileRoutes(router);
  return router;
}

/** Starts a simulated ComfyUI 0.3.64 server (HTTP + WebSocket) and resolves once it listens. */
export async function startComfySim(opts: ComfySimOptions = {}): Promise<ComfySim> {
  const host = opts.host ?? '127.0.0.1';
  const tempRoot = opts.rootDir === undefined;
  const rootDir = resolve(opts.rootDir ?? mkdtempSync(join(tmpdir(), 'comfy-sim-')));
  const dirs = dirsFor(rootDir);
  for (const d of [dirs.input, dirs.output, dirs.temp]) mkdirSync(d, { recursive: true });
  const config: RuntimeConfig = {
    dirs,
    checkpoints: opts.checkpoints ?? DEFAULT_CHECKPOINTS,
    loras: opts.loras ?? DEFAULT_LORAS,
    vaes: opts.vaes ?? DEFAULT_VAES,
    customNodes: opts.customNodes ?? true,
    previews: opts.previews ?? true,
    stepMs: opts.stepMs ?? 0,
    nodeMs: opts.nodeMs ?? 0,
    version: opts.version ?? '0.3.64',
    extraObjectInfo: opts.extraObjectInfo ?? {},
  };
  const faultState = createFaultState();
  const statsState: StatsState = {
    wsConnectionsTotal: 0,
    requests: {},
    promptsAccepted: 0,
    started: [],
  };
  const router = buildRouter();
  let runtime: Runtime | null = null;
  let server: Server | null = null;
  let port = opts.port ?? 0;
  let closed = false;

  const start = async () => {
    // ComfyUI empties temp/ at startup.
    rmSync(dirs.temp, { recursive: true, force: true });
    mkdirSync(dirs.temp, { recursive: true });
    const rt = new Runtime(config, faultState, statsState);
    // A partition resets connections on arrival, as a dead network would (no HTTP answer at all).
    const srv = createServer((req, res) => {
      if (faultState.partitioned) return void req.socket.destroy();
      void router.handle(req, res, rt);
    });
    srv.on('upgrade', (req, socket, head) => {
      if (faultState.partitioned) return void socket.destroy();
      rt.hub.handleUpgrade(req, socket, head);
    });
    await new Promise<void>((ok, fail) => {
      srv.once('error', fail);
      srv.listen(port, host, () => ok());
    });
    port = (srv.address() as AddressInfo).port;
    runtime = rt;
    server = srv;
  };

  const stop = async () => {
    const rt = runtime;
    const srv = server;
    runtime = null;
    server = null;
    if (!rt || !srv) return;
    const closedServer = new Promise<void>((ok) => srv.close(() => ok()));
    srv.closeAllConnections();
    await rt.shutdown();
    await closedServer;
  };

  await start();
  const stats: ComfySimStats = {
    wsConnections: () => runtime?.hub.connections ?? 0,
    get wsConnectionsTotal() {
      return statsState.wsConnectionsTotal;
    },
    requests: statsState.requests,
    get promptsAccepted() {
      return statsState.promptsAccepted;
    },
    started: statsState.started,
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await stop();
    if (tempRoot) rmSync(rootDir, { recursive: true, force: true });
  };
  return {
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    get port() {
      return port;
    },
    rootDir,
    faults: createFaults(
      faultState,
      () => runtime,
      () => {
        runtime?.hub.terminateAll();
        server?.closeAllConnections();
      },
    ),
    stats,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
