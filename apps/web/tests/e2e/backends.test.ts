import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callApi, createUserAsAdmin, startText2Img } from './api-kit.ts';
import { ADMIN, launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

// A fresh address each run, so a rerun against an outside gateway (E2E_GATEWAY_URL) finds no old user.
const USER = { email: `carol-${randomUUID().slice(0, 8)}@example.com`, password: 'carol-pool-2026-x' };
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'mobile', width: 390, height: 844 },
] as const;

interface HealthBody {
  service: { backends: { name: string; draining: boolean; url?: string }[]; gateway_queue: number };
}

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('a pool of two ComfyUI servers in the UI', () => {
  let stack: Stack;
  let adminBrowser: Browser;
  let userBrowser: Browser;
  let admin: Page;
  let user: Page;

  beforeAll(async () => {
    // 100 ms steps: a 100-step run keeps its server busy for about ten seconds.
    stack = await startStack({ stepMs: 100 }, { sims: 2 });
    await createUserAsAdmin(stack.url, ADMIN, USER);
    [adminBrowser, userBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
    admin = await adminBrowser.newPage();
    user = await userBrowser.newPage();
    await login(admin, stack.url);
    await login(user, stack.url, USER);
    await requireComfyRoutes(admin);
  });
  afterAll(async () => {
    await adminBrowser?.close();
    await userBrowser?.close();
    await stack?.close();
  });

  it('lists both servers to an admin, who drains one and resumes it', async () => {
    await admin.goto(`${stack.url}/status`);
    const s1 = admin.locator('[data-testid=backend][data-name=s1]');
    await s1.waitFor();
    await admin.locator('[data-testid=backend][data-name=s2]').waitFor();
    await admin.locator('[data-testid=backend] [data-state=connected]').nth(1).waitFor();
    expect(await admin.getByTestId('backend-url').count()).toBe(2);
    expect(await admin.getByTestId('gateway-queue').textContent()).toContain('0 in the gateway queue');

    await admin.getByRole('button', { name: 'Drain s1' }).click();
    await admin.locator('[data-testid=backend][data-name=s1][data-draining=true]').waitFor();
    expect(await s1.locator('[data-state]').getAttribute('data-state')).toBe('draining');
    const drained = await callApi<HealthBody>(admin, 'GET', '/api/comfy/health');
    expect(drained.service.backends.find((b) => b.name === 's1')?.draining).toBe(true);
    await screenshot(admin, 'flow-pool-drained');

    await admin.getByRole('button', { name: 'Resume s1' }).click();
    await admin.locator('[data-testid=backend][data-name=s1][data-draining=false]').waitFor();
    expect(await s1.locator('[data-state]').getAttribute('data-state')).toBe('connected');
    const resumed = await callApi<HealthBody>(admin, 'GET', '/api/comfy/health');
    expect(resumed.service.backends.every((b) => !b.draining)).toBe(true);
  });

  it('shows a non-admin the servers without drain buttons or URLs', async () => {
    await user.goto(`${stack.url}/status`);
    await user.locator('[data-testid=backend][data-name=s2]').waitFor();
    expect(await user.getByTestId('backend').count()).toBe(2);
    expect(await user.getByRole('button', { name: /^(Drain|Resume) s/ }).count()).toBe(0);
    expect(await user.getByTestId('backend-url').count()).toBe(0);
    const body = await callApi<HealthBody>(user, 'GET', '/api/comfy/health');
    expect(body.service.backends.every((b) => b.url === undefined)).toBe(true);
  });

  it('shows which server runs what and the gateway queue, own jobs in full and others anonymous', async () => {
    // Two servers with room for two each: the admin's first four fill them, the fifth waits in the gateway.
    const adminJobs: string[] = [];
    let mine = '';
    // Cancelled at the end, so the other tests (the empty gateway queue) see no leftovers in any order.
    try {
      for (let i = 0; i < 5; i++) adminJobs.push(await startText2Img(admin, `Pool load ${i}`, 100));
      mine = await startText2Img(user, "Carol's lake at dusk", 100);

      // The user: the own job in full (waiting in the gateway queue), the admin's only as anonymous rows.
      await user.goto(`${stack.url}/queue`);
      const own = user.locator(`[data-testid=queue-row][data-prompt-id="${mine}"]`);
      await own.waitFor();
      expect(await own.getAttribute('data-mine')).toBe('true');
      expect((await own.getByTestId('queue-where').textContent())?.trim()).toBe('gateway queue');
      for (const id of adminJobs) expect(await user.locator(`[data-prompt-id="${id}"]`).count()).toBe(0);
      expect(await user.getByTestId('queue-anonymous').count()).toBeGreaterThanOrEqual(4);
      const anonymousWhere = await user
        .locator('[data-testid=queue-row]:not([data-prompt-id]) [data-testid=queue-where]')
        .allTextContents();
      // Anonymous rows name the server they run on (names are not secret), nothing else.
      expect(anonymousWhere.every((t) => /^(s\d|—)$/.test(t.trim()))).toBe(true);
      expect(anonymousWhere.some((t) => /^s\d$/.test(t.trim()))).toBe(true);
      await screenshot(user, 'flow-pool-queue-user');

      // The admin: every job, which server runs it, and the gateway queue ahead of what waits on servers.
      await admin.goto(`${stack.url}/queue`);
      for (const id of [...adminJobs, mine])
        await admin.locator(`[data-testid=queue-row][data-prompt-id="${id}"]`).waitFor();
      const where = admin.getByTestId('queue-where');
      await expect
        .poll(
          async () =>
            new Set((await where.allTextContents()).map((t) => t.trim()).filter((t) => /^s\d$/.test(t))),
        )
        .toEqual(new Set(['s1', 's2']));
      const order = await admin
        .locator('[data-testid=queue-row]')
        .evaluateAll((rows) =>
          rows
            .filter((r) => r.querySelector('[data-state=queued]'))
            .map((r) => r.querySelector('[data-testid=queue-where]')?.textContent?.trim() ?? ''),
        );
      // One sequence: jobs already waiting on a server come first, then the gateway queue.
      const lastOnServer = order.findLastIndex((t) => /^s\d$/.test(t));
      const firstInGateway = order.findIndex((t) => t.startsWith('gateway queue'));
      expect(firstInGateway).toBeGreaterThanOrEqual(0);
      expect(lastOnServer < firstInGateway).toBe(true);
      await screenshot(admin, 'flow-pool-queue-admin');
    } finally {
      for (const id of adminJobs) await callApi(admin, 'POST', `/api/comfy/cancel/${id}`);
      if (mine) await callApi(user, 'POST', `/api/comfy/cancel/${mine}`);
    }
  });

  it('keeps Status and Queue within desktop and phone widths with a pool', async () => {
    for (const vp of VIEWPORTS) {
      for (const page of [admin, user]) {
        await page.setViewportSize({ width: vp.width, height: vp.height });
        for (const path of ['/status', '/queue']) {
          await page.goto(`${stack.url}${path}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          if (path === '/status') await page.getByTestId('backend').first().waitFor();
          expect(await overflow(page), `${path} overflows at ${vp.width}px`).toBeLessThanOrEqual(0);
          if (page === admin) await screenshot(page, `flow-pool-${path.slice(1)}-${vp.name}`);
        }
      }
    }
  });
});
