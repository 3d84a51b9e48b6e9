import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = path.resolve(here, '../..');
const BUILD_DIR = path.join(WEB_DIR, 'build');
const SERVER_DIR = path.resolve(WEB_DIR, '../server');
export const ARTIFACTS = path.join(WEB_DIR, 'test-artifacts');

export const ADMIN = { email: 'demo@example.com', password: 'demo-password-123' };

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface Stack extends AsyncDisposable {
  /** Base URL of the gateway (UI, /api, /trpc). */
  url: string;
  /** Null when the flows run against an outside gateway (E2E_GATEWAY_URL). */
  sim: ComfySim | null;
  /** Every simulator (the first is `sim`); several make a pool named s1, s2, ... */
  sims: ComfySim[];
  /** Server output so far (shown when a flow fails). */
  logs(): string;
  close(): Promise<void>;
}

/**
 * The simulator plus the real gateway process serving the built UI (WEB_DIR), both on port 0.
 * The server runs from `dist/main.js` when E2E_SERVER=dist, else from source through tsx;
 * E2E_GATEWAY_URL points the flows at a gateway that is already running instead.
 */
export async function startStack(
  simOpts: ComfySimOptions = {},
  { sims: count = 1 }: { sims?: number } = {},
): Promise<Stack> {
  const outside = process.env['E2E_GATEWAY_URL'];
  if (outside) {
    const noop = async () => {};
    return {
      url: outside.replace(/\/$/, ''),
      sim: null,
      sims: [],
      logs: () => '',
      close: noop,
      [Symbol.asyncDispose]: noop,
    };
  }
  if (!existsSync(path.join(BUILD_DIR, 'index.html'))) {
    throw new Error(
      `The web app is not built (${BUILD_DIR}/index.html missing): run \`pnpm --filter @comfy-gateway/web build\` first.`,
    );
  }
  const sims: ComfySim[] = [];
  for (let i = 0; i < Math.max(1, count); i++) sims.push(await startComfySim({ stepMs: 30, ...simOpts }));
  const sim = sims[0] as ComfySim;
  // One simulator: COMFY_API_URL as today; several: a named pool, like `pnpm demo`.
  const servers =
    sims.length === 1
      ? { COMFY_API_URL: sim.url }
      : { COMFY_BACKENDS: JSON.stringify(sims.map((s, i) => ({ name: `s${i + 1}`, url: s.url }))) };
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-web-e2e-'));
  const useDist = process.env['E2E_SERVER'] === 'dist';
  const args = useDist
    ? [path.join(SERVER_DIR, 'dist/main.js')]
    : ['--import', 'tsx', path.join(SERVER_DIR, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      ROOT_DIR: rootDir,
      WEB_DIR: BUILD_DIR,
      COMFY_ENABLED: 'true',
      ...servers,
      COMFY_HEALTH_INTERVAL_S: '5',
      COMFY_VIEW_RATE_LIMIT_PER_MIN: '10000',
      LOGIN_RATE_LIMIT_PER_MIN: '1000',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const close = async () => {
    closing = true;
    await stopChild(child);
    await Promise.all(sims.map((s) => s.close()));
    await rm(rootDir, { recursive: true, force: true });
  };
  let closing = false;
  // A gateway that dies mid-file fails every later step with "connection refused": say why, once.
  child.once('exit', (code, signal) => {
    if (closing) return;
    process.stderr.write(
      `e2e: the gateway exited (code ${code}, signal ${signal}); last output:\n${output.slice(-4000)}\n`,
    );
  });
  try {
    const url = await waitForListening(child, (chunk) => (output += chunk));
    return { url, sim, sims, logs: () => output, close, [Symbol.asyncDispose]: close };
  } catch (err) {
    await close();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${output}`);
  }
}

function waitForListening(child: ChildProcess, log: (chunk: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start within 30 s')), 30_000);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log(text);
      buffered += text;
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*listening|listening[^\n]*"url":"(http:\/\/[^"]+)"/.exec(
        buffered,
      );
      const url = m?.[1] ?? m?.[2];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with code ${code} before listening`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface Browser extends AsyncDisposable {
  context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium (CHROMIUM_PATH overrides) with a fresh profile directory. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'cg-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1366, height: 900 },
  });
  const close = async () => {
    await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  };
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Saves a screenshot under test-artifacts/: the viewport on wide screens (what a user sees, sticky
 * sidebar included), the whole page on phones.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: (page.viewportSize()?.width ?? 1366) < 700 });
  return file;
}

/** Signs in through the login form and waits for the generate page. */
export async function login(page: Page, baseUrl: string, creds = ADMIN): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(creds.email);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('heading', { name: 'Generate', level: 1 }).waitFor();
}

/** Routes of the ComfyUI REST shim the UI flows need (probed without side effects). */
const COMFY_ROUTES: { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/api/comfy/health' },
  { method: 'GET', path: '/api/comfy/object-info' },
  { method: 'GET', path: '/api/comfy/queue' },
  { method: 'GET', path: '/api/comfy/status/e2e-probe' },
  { method: 'GET', path: '/api/comfy/view?filename=e2e-probe.png' },
  { method: 'POST', path: '/api/comfy/text2img' },
  { method: 'POST', path: '/api/comfy/cancel/e2e-probe' },
];

/**
 * Fails at once, naming every missing route, when the gateway lacks the ComfyUI routes (instead of
 * each flow timing out). Runs in the signed-in page so the session cookie is used.
 */
export async function requireComfyRoutes(page: Page): Promise<void> {
  const missing = await page.evaluate(async (routes) => {
    const out: string[] = [];
    for (const r of routes) {
      const init: RequestInit = { method: r.method };
      if (r.method === 'POST') {
        init.headers = { 'content-type': 'application/json' };
        init.body = '{}';
      }
      const res = await fetch(r.path, init);
      const text = res.status === 404 ? await res.text() : '';
      if (text.includes('no route for')) out.push(`${r.method} ${r.path.split('?')[0]}`);
    }
    return out;
  }, COMFY_ROUTES);
  if (missing.length > 0)
    throw new Error(`The gateway does not serve these routes yet: ${missing.join(', ')}`);
}
