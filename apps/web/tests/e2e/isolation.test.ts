import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callApi, createUserAsAdmin, saveToGallery, startText2Img, waitForStatus } from './api-kit.ts';
import type { Snapshot } from './api-kit.ts';
import { ADMIN, launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

// Fresh addresses each run, so a rerun against an outside gateway (E2E_GATEWAY_URL) finds no old users.
const RUN = randomUUID().slice(0, 8);
const USER_A = { email: `alice-${RUN}@example.com`, password: 'alice-isolation-2026' };
const USER_B = { email: `bob-${RUN}@example.com`, password: 'bob-isolation-2026' };

describe('isolation between two users', () => {
  let stack: Stack;
  let browserA: Browser;
  let browserB: Browser;
  let pageA: Page;
  let pageB: Page;
  // The file's fixture: A's finished run and the gallery item A kept from it.
  let runA = '';
  let imageA: NonNullable<Snapshot['images']>[number];
  let galleryA = '';

  beforeAll(async () => {
    // 100 ms steps: a 100-step run stays in the queue for about ten seconds.
    stack = await startStack({ stepMs: 100 });
    await createUserAsAdmin(stack.url, ADMIN, USER_A);
    await createUserAsAdmin(stack.url, ADMIN, USER_B);
    [browserA, browserB] = await Promise.all([launchBrowser(), launchBrowser()]);
    pageA = await browserA.newPage();
    pageB = await browserB.newPage();
    await login(pageA, stack.url, USER_A);
    await login(pageB, stack.url, USER_B);
    await requireComfyRoutes(pageA);
    runA = await startText2Img(pageA, "Alice's private lighthouse");
    const done = await waitForStatus(pageA, runA);
    expect(done.status).toBe('completed');
    const first = done.images?.[0];
    if (!first) throw new Error('the fixture run made no image');
    imageA = first;
    galleryA = await saveToGallery(pageA, runA, imageA);
  });
  afterAll(async () => {
    await browserA?.close();
    await browserB?.close();
    await stack?.close();
  });

  it("shows B none of A's runs in History, while A sees them", async () => {
    await pageA.goto(`${stack.url}/history`);
    await pageA.locator(`[data-testid=history-item][data-prompt-id="${runA}"]`).waitFor();

    await pageB.goto(`${stack.url}/history`);
    await pageB.getByTestId('history-empty').waitFor();
    expect(await pageB.getByTestId('history-item').count()).toBe(0);
    expect(await pageB.getByTestId('history-empty').textContent()).toContain('No runs yet.');
    await screenshot(pageB, 'flow-isolation-history');
  });

  it("shows B none of A's gallery items, nor A's images through /view", async () => {
    await pageA.goto(`${stack.url}/gallery`);
    await pageA.locator(`[data-testid=gallery-item][data-id="${galleryA}"]`).waitFor();

    await pageB.goto(`${stack.url}/gallery`);
    await pageB.getByText('No images yet.').waitFor();
    expect(await pageB.getByTestId('gallery-item').count()).toBe(0);
    await pageB.goto(`${stack.url}/gallery/${galleryA}`);
    await pageB.getByText('This image is not in the gallery (any more).').waitFor();
    const view = await pageB.evaluate(async (ref) => {
      const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      return (await fetch(`/api/comfy/view?${q}`)).status;
    }, imageA);
    expect(view).toBe(404);
  });

  it("answers B's direct link to A's run with not found", async () => {
    await pageB.goto(`${stack.url}/history/${encodeURIComponent(runA)}`);
    const missing = pageB.getByTestId('job-not-found');
    await missing.waitFor();
    expect(await missing.textContent()).toContain('This run was not found.');
    expect(await pageB.getByTestId('job-result').count()).toBe(0);
    await screenshot(pageB, 'flow-isolation-not-found');
  });

  it("shows B A's queued jobs only as anonymous positions, without ids or cancel buttons", async () => {
    // Two slow runs: one running, one waiting behind it; cancelled again at the end of the test.
    const slow = [
      await startText2Img(pageA, 'Alice: slow one', 100),
      await startText2Img(pageA, 'Alice: slow two', 100),
    ];
    try {
      await pageA.goto(`${stack.url}/queue`);
      for (const id of slow) {
        const row = pageA.locator(`[data-testid=queue-row][data-prompt-id="${id}"]`);
        await row.waitFor({ timeout: 20_000 });
        expect(await row.getByRole('button', { name: `Cancel ${id}` }).count()).toBe(1);
      }

      await pageB.goto(`${stack.url}/queue`);
      const rows = pageB.getByTestId('queue-row');
      await pageB.waitForFunction(() => document.querySelectorAll('[data-testid=queue-row]').length === 2);
      expect(await pageB.getByTestId('queue-anonymous').count()).toBe(2);
      expect(await rows.getByRole('button').count()).toBe(0);
      const html = await pageB.content();
      for (const id of slow) expect(html).not.toContain(id);
      const texts = await rows.allTextContents();
      expect(texts.every((t) => t.includes("another user's job"))).toBe(true);
      // At their place in the queue: one running, one waiting.
      expect(await rows.locator('[data-state=running]').count()).toBe(1);
      expect(await rows.locator('[data-state=queued]').count()).toBe(1);
      await screenshot(pageB, 'flow-isolation-queue');
    } finally {
      for (const id of slow) await callApi(pageA, 'POST', `/api/comfy/cancel/${id}`);
    }
  });
});
