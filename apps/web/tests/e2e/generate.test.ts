import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

const CAPTION = 'A lighthouse on a cliff at dusk, e2e';

// Each test starts from a fresh form and makes the job or gallery item it needs, so any one of them
// passes alone (`-t`) or in any order.
describe('generate, validate, save to gallery', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // 20 steps × 60 ms: long enough to watch the progress bar move.
    stack = await startStack({ stepMs: 60 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await login(page, stack.url);
    await requireComfyRoutes(page);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** The generate page, reloaded, with a valid caption and size. */
  async function freshForm(): Promise<void> {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Caption', { exact: true }).fill(CAPTION);
    await page.getByLabel('Width', { exact: true }).fill('512');
    await page.getByLabel('Height', { exact: true }).fill('512');
  }

  /** Generates from a fresh form and waits for the finished image; returns the seed it used. */
  async function generateToCompletion(): Promise<string> {
    await freshForm();
    await page.getByLabel('Checkpoint', { exact: true }).selectOption('sd_xl_base_1.0.safetensors');
    await page.getByLabel('Steps', { exact: true }).fill('4');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.locator('[data-testid=job-progress][data-status=completed]').waitFor({ timeout: 30_000 });
    await page.getByTestId('result-image').first().waitFor();
    return (await page.getByTestId('used-seed').textContent()) ?? '';
  }

  it('shows a client-side field error for width 5000', async () => {
    await freshForm();
    await page.getByLabel('Width', { exact: true }).fill('5000');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const error = page.locator('[data-testid=field-error][data-field=f-width]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/4096/);
    expect(await page.getByLabel('Width', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'flow-validation-width');
  });

  it('shows the server rejection of an unknown checkpoint on the field, with clickable suggestions', async () => {
    await freshForm();
    const select = page.getByLabel('Checkpoint', { exact: true });
    // Pickers only offer installed checkpoints; a stale list is how a user gets here.
    await select.evaluate((el) => {
      const s = el as HTMLSelectElement;
      s.add(new Option('sd_xl_base_1.1.safetensors', 'sd_xl_base_1.1.safetensors'));
    });
    await select.selectOption('sd_xl_base_1.1.safetensors');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const error = page.locator('[data-testid=field-error][data-field=f-checkpoint]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/sd_xl_base_1\.1/);
    const suggestion = error.getByRole('button', { name: 'sd_xl_base_1.0.safetensors' });
    await screenshot(page, 'flow-validation-checkpoint');
    await suggestion.click();
    expect(await select.inputValue()).toBe('sd_xl_base_1.0.safetensors');
    expect(await error.count()).toBe(0);
  });

  it('generates with live progress to completion and shows the image', async () => {
    await freshForm();
    await page.getByLabel('Steps', { exact: true }).fill('20');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const progress = page.getByTestId('job-progress');
    await page.locator('[data-testid=job-progress][data-status=running]').waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => {
      const step = document.querySelector('[data-testid=progress-step]')?.textContent ?? '';
      return /step \d+ \/ 20/.test(step);
    });
    expect(await page.getByTestId('progress-node').textContent()).toMatch(/\S/);
    await screenshot(page, 'flow-generate-running');
    await page.locator('[data-testid=job-progress][data-status=completed]').waitFor({ timeout: 30_000 });
    expect(await progress.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const img = page.getByTestId('result-image').first();
    await img.waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLImageElement>('[data-testid=result-image]');
      return Boolean(el && el.complete && el.naturalWidth > 0);
    });
    expect(await page.getByTestId('used-seed').textContent()).toMatch(/^\d+$/);
    await screenshot(page, 'flow-generate-done');
  });

  it('says so beside the image when saving to the gallery fails', async () => {
    await generateToCompletion();
    const failure = { error: { code: 'INTERNAL', message: 'the gallery disk is full' } };
    await page.route('**/api/comfy/ingest', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify(failure) }),
    );
    await page.getByRole('button', { name: 'Save to gallery' }).first().click();
    const error = page.getByTestId('save-error').first();
    await error.waitFor();
    expect(await error.textContent()).toContain('the gallery disk is full');
    expect(await page.getByRole('button', { name: 'Save to gallery' }).first().isEnabled()).toBe(true);
    await screenshot(page, 'flow-save-failed');
    await page.unroute('**/api/comfy/ingest');
  });

  it('saves the result to the gallery and shows its provenance', async () => {
    const seed = await generateToCompletion();
    expect(seed).toMatch(/^\d+$/);
    await page.getByRole('button', { name: 'Save to gallery' }).first().click();
    const saved = page.getByTestId('saved-link').first();
    await saved.waitFor();
    expect(await page.getByTestId('save-error').count()).toBe(0);
    await saved.click();
    await page.waitForURL((u) => u.pathname.startsWith('/gallery/'));
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    const prov = page.getByTestId('provenance');
    await prov.waitFor();
    expect(await page.getByTestId('prov-caption').textContent()).toContain(CAPTION);
    expect(await page.getByTestId('prov-seed').textContent()).toBe(seed);
    expect(await page.getByTestId('prov-sampler').textContent()).toMatch(/\S/);
    expect(await page.getByTestId('prov-who').textContent()).toBe(ADMIN.email);
    expect(await page.getByTestId('prov-hash').getAttribute('title')).toMatch(/^[0-9a-f]{64}$/);
    await page.getByText(/Workflow JSON/).click();
    expect(await page.getByTestId('workflow-json').textContent()).toContain('KSampler');
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>('[data-testid=detail-image]')?.naturalWidth ?? 0) > 0,
    );
    await screenshot(page, 'flow-gallery-detail');

    await page.getByRole('link', { name: 'Gallery', exact: true }).first().click();
    await page.waitForURL((u) => u.pathname === '/gallery');
    const tile = page.locator(`[data-testid=gallery-item][data-id="${id}"]`);
    await tile.waitFor();
    await screenshot(page, 'flow-gallery-grid');
    await tile.click();
    await page.waitForURL((u) => u.pathname === `/gallery/${id}`);
  });

  it('runs again with the saved settings prefilled', async () => {
    const seed = await generateToCompletion();
    await page.getByRole('button', { name: 'Save to gallery' }).first().click();
    await page.getByTestId('saved-link').first().click();
    await page.waitForURL((u) => u.pathname.startsWith('/gallery/'));
    await page.getByTestId('run-again').click();
    await page.waitForURL((u) => u.pathname === '/' && u.searchParams.has('from'));
    await page.waitForFunction(
      (caption) => (document.querySelector<HTMLTextAreaElement>('#f-caption')?.value ?? '') === caption,
      CAPTION,
    );
    expect(await page.getByLabel('Seed', { exact: true }).inputValue()).toBe(seed);
    expect(await page.getByLabel('Width', { exact: true }).inputValue()).toBe('512');
    expect(await page.getByLabel('Checkpoint', { exact: true }).inputValue()).toBe(
      'sd_xl_base_1.0.safetensors',
    );
    await screenshot(page, 'flow-run-again');
  });
});
