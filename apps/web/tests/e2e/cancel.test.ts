import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

describe('cancel', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Slow steps: a 30-step job runs for about 15 s, so there is time to cancel it.
    stack = await startStack({ stepMs: 500 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await login(page, stack.url);
    await requireComfyRoutes(page);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function startJob(caption: string) {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Caption', { exact: true }).fill(caption);
    await page.getByLabel('Width', { exact: true }).fill('512');
    await page.getByLabel('Height', { exact: true }).fill('512');
    await page.getByLabel('Steps', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
  }

  it('cancels a running job from the result panel', async () => {
    await startJob('slow job to cancel');
    await page.locator('[data-testid=job-progress][data-status=running]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page
      .locator(
        '[data-testid=job-progress][data-status=cancelled], [data-testid=job-progress][data-status=interrupted]',
      )
      .waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('progress-label').textContent()).toBe('Cancelled');
    expect(await page.getByTestId('result-image').count()).toBe(0);
    await screenshot(page, 'flow-cancel');
  });

  it('shows the live queue and cancels from it', async () => {
    await startJob('queued job to cancel from the queue page');
    await page.locator('[data-testid=job-progress][data-status=running]').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Queue' }).click();
    const row = page.getByTestId('queue-row').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('running');
    await screenshot(page, 'flow-queue');
    await row.getByRole('button', { name: /Cancel/ }).click();
    await page.getByText('The queue is empty.').waitFor({ timeout: 20_000 });
  });
});
