import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callApi, queueWorkflow, startText2Img, waitForStatus } from './api-kit.ts';
import { launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

const WORKFLOW_RUNS = 25;
const CAPTION = 'History: a paper boat on a pond';

/** Waits until every thumbnail (or result image) in view has decoded pixels. */
const imagesDecoded = (page: Page, selector: string) =>
  page.waitForFunction((sel) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>(sel)];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);

describe('history', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  // The file's fixture, made in beforeAll: 25 workflow runs, then one completed and one cancelled text2img.
  let completedId = '';
  let cancelledId = '';
  let cancelledStatus = '';

  beforeAll(async () => {
    // 100 ms steps: an 8-step run takes about a second, a 100-step one ten (time to cancel it).
    stack = await startStack({ stepMs: 100 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await login(page, stack.url);
    await requireComfyRoutes(page);
    // In batches under the per-user cap on unfinished jobs (USER_MAX_ACTIVE_JOBS, 20 by default).
    for (let start = 0; start < WORKFLOW_RUNS; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, WORKFLOW_RUNS - start) }, (_, i) => queueWorkflow(page, start + i)),
      );
      for (const id of batch) await waitForStatus(page, id);
    }
    completedId = await startText2Img(page, CAPTION);
    expect((await waitForStatus(page, completedId)).status).toBe('completed');
    cancelledId = await startText2Img(page, 'History: cancelled on purpose', 100);
    await waitForStatus(page, cancelledId, (s) => s.status === 'running');
    await callApi(page, 'POST', `/api/comfy/cancel/${cancelledId}`);
    cancelledStatus = (await waitForStatus(page, cancelledId)).status;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  // The first three tests only read the fixture; the last two add runs, so they come after.
  it('lists my runs newest first with status, thumbnail and duration', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByRole('link', { name: 'History' }).click();
    await page.waitForURL((u) => u.pathname === '/history');
    const items = page.getByTestId('history-item');
    await items.first().waitFor();
    expect(await items.first().getAttribute('data-prompt-id')).toBe(cancelledId);
    expect(await items.first().getAttribute('data-status')).toBe(cancelledStatus);
    const done = page.locator(`[data-testid=history-item][data-prompt-id="${completedId}"]`);
    expect(await done.getAttribute('data-status')).toBe('completed');
    expect(await done.textContent()).toContain(CAPTION);
    expect(await done.getByTestId('history-duration').textContent()).toMatch(/\d/);
    await imagesDecoded(page, `[data-prompt-id="${completedId}"] [data-testid=history-thumb]`);
    // The cancelled run stopped before any image: no thumbnail, no broken image.
    expect(await items.first().getByTestId('history-thumb').count()).toBe(0);
    await screenshot(page, 'flow-history-list');
  });

  it('loads older runs as the list scrolls', async () => {
    await page.goto(`${stack.url}/history`);
    const items = page.getByTestId('history-item');
    await items.first().waitFor();
    expect(await items.count()).toBe(24);
    await items.last().scrollIntoViewIfNeeded();
    await page.getByText(`That's everything (${WORKFLOW_RUNS + 2} runs).`).waitFor();
    expect(await items.count()).toBe(WORKFLOW_RUNS + 2);
  });

  it('filters by kind and status, kept in the URL', async () => {
    await page.goto(`${stack.url}/history`);
    await page.getByTestId('history-item').first().waitFor();
    await page.getByLabel('Kind').selectOption('text2img');
    await page.waitForURL((u) => u.searchParams.get('kind') === 'text2img');
    await expectIds(page, [cancelledId, completedId]);
    await page.getByLabel('Status').selectOption('completed');
    await page.waitForURL((u) => u.searchParams.get('status') === 'completed');
    await expectIds(page, [completedId]);
    await page.reload();
    await expectIds(page, [completedId]);
    expect(await page.getByLabel('Status').inputValue()).toBe('completed');
    await page.getByLabel('Kind').selectOption('workflow');
    await page.waitForURL((u) => u.searchParams.get('kind') === 'workflow');
    await page.locator('[data-testid=history-item]').first().waitFor();
    const kinds = await page
      .getByTestId('history-item')
      .evaluateAll((els) => els.map((e) => e.dataset['kind']));
    expect(new Set(kinds)).toEqual(new Set(['workflow']));
    await page.getByLabel('Status').selectOption('failed');
    await page.getByTestId('history-empty').waitFor();
    expect(await page.getByTestId('history-empty').textContent()).toContain('No runs match these filters.');
  });

  it('opens a run in the result panel, saves its image and runs it again (adds a run)', async () => {
    await page.goto(`${stack.url}/history?kind=text2img&status=completed`);
    await page.locator(`[data-testid=history-item][data-prompt-id="${completedId}"]`).click();
    await page.waitForURL((u) => u.pathname === `/history/${completedId}`);
    const panel = page.getByTestId('job-result');
    await panel.locator('[data-testid=job-progress][data-status=completed]').waitFor();
    expect(await page.getByTestId('job-prompt-id').textContent()).toBe(completedId);
    await imagesDecoded(page, '[data-testid=result-image]');
    expect(await panel.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await panel.getByRole('button', { name: 'Save to gallery' }).click();
    const saved = panel.getByTestId('saved-link');
    await saved.waitFor();
    expect(await saved.getAttribute('href')).toMatch(/^\/gallery\/.+/);
    await screenshot(page, 'flow-history-run');

    await panel.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/history/') && !u.pathname.endsWith(completedId));
    const againId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    await page.locator('[data-testid=job-progress][data-status=completed]').waitFor({ timeout: 30_000 });
    await imagesDecoded(page, '[data-testid=result-image]');
    const record = await callApi<{ params: Record<string, unknown> }>(
      page,
      'GET',
      `/api/comfy/jobs/${againId}`,
    );
    expect(record.params['caption']).toBe(CAPTION);
  });

  it('links a run started on the generate page to its History entry (adds a run)', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Caption', { exact: true }).fill('History: started from the form');
    await page.getByLabel('Steps', { exact: true }).fill('8');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.locator('[data-testid=job-progress][data-status=completed]').waitFor({ timeout: 30_000 });
    await page.getByTestId('history-link').click();
    await page.waitForURL((u) => u.pathname.startsWith('/history/'));
    await page
      .getByTestId('job-result')
      .locator('[data-testid=job-progress][data-status=completed]')
      .waitFor();
    expect(await page.getByTestId('job-result').locator('h2').textContent()).toBe(
      'History: started from the form',
    );
  });

  it('follows an active run live and cancels it from the panel (adds a run)', async () => {
    const id = await startText2Img(page, 'History: followed and cancelled', 100);
    await page.goto(`${stack.url}/history/${id}`);
    const panel = page.getByTestId('job-result');
    await panel.locator('[data-testid=job-progress][data-status=running]').waitFor({ timeout: 20_000 });
    await panel.getByRole('button', { name: 'Cancel' }).click();
    await panel
      .locator(
        '[data-testid=job-progress][data-status=cancelled], [data-testid=job-progress][data-status=interrupted]',
      )
      .waitFor({ timeout: 20_000 });
    expect(await panel.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(await panel.getByRole('button', { name: 'Run again' }).count()).toBe(1);
  });
});

async function expectIds(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll<HTMLElement>('[data-testid=history-item]')].map(
      (e) => e.dataset['promptId'],
    );
    return got.length === want.length && got.every((g, i) => g === want[i]);
  }, ids);
}
