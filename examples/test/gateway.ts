import { startDemoStack } from '@comfy-gateway/server/demo-stack';

/**
 * What `pnpm demo` runs (the simulator and the gateway), on port 0 over a temp ROOT_DIR, plus an
 * API token made the way a user would: log in, then `POST /api/auth/tokens`.
 */
export async function startDemoGateway(): Promise<{ url: string; apiToken: string } & AsyncDisposable> {
  const stack = await startDemoStack({
    sim: { stepMs: 5 },
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' },
  });
  try {
    return { url: stack.url, apiToken: await stack.apiToken('example'), [Symbol.asyncDispose]: stack.close };
  } catch (err) {
    await stack.close();
    throw err;
  }
}
