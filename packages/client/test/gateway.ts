import type { ComfySim } from '@comfy-gateway/comfy-sim';
import { startDemoStack } from '@comfy-gateway/server/demo-stack';

export interface TestGateway extends AsyncDisposable {
  url: string;
  sim: ComfySim;
  adminEmail: string;
  /** A session token of the admin (from `POST /api/auth/login`). */
  sessionToken: string;
  /** A long-lived API token (`cgt_...`) of the admin, created through the auth API. */
  apiToken: string;
}

/** The demo stack (simulator + gateway) on port 0 over a temp ROOT_DIR; `await using` stops both. */
export async function startTestGateway(opts: { stepMs?: number } = {}): Promise<TestGateway> {
  const stack = await startDemoStack({
    sim: { stepMs: opts.stepMs ?? 5 },
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' },
  });
  try {
    const sessionToken = await stack.login();
    const apiToken = await stack.apiToken('client tests');
    return {
      url: stack.url,
      sim: stack.sim,
      adminEmail: stack.admin.email,
      sessionToken,
      apiToken,
      [Symbol.asyncDispose]: stack.close,
    };
  } catch (err) {
    await stack.close();
    throw err;
  }
}
