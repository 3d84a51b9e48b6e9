import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, login, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

interface InvalidControl {
  id: string;
  describedBy: string[];
  /** Text of the `.field-error` messages among the described elements. */
  errorText: string;
}

/** Every control marked aria-invalid, with the error messages its aria-describedby points at. */
function invalidControls(page: Page): Promise<InvalidControl[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[aria-invalid="true"]')].map((el) => {
      const describedBy = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      const errorText = describedBy
        .flatMap((id) => [...(document.getElementById(id)?.querySelectorAll('.field-error') ?? [])])
        .map((p) => p.textContent?.trim() ?? '')
        .join(' ');
      return { id: el.id, describedBy, errorText };
    }),
  );
}

const setNumber = (page: Page, label: string, value: string) =>
  page.getByLabel(label, { exact: true }).fill(value);

describe('generate form: every invalid control is linked to its error message', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ stepMs: 5 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await login(page, stack.url);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('client-side errors: caption, sizes, sampling numbers and the advanced amounts', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Caption', { exact: true }).fill('   ');
    await setNumber(page, 'Width', '5000');
    await setNumber(page, 'Height', '10');
    await setNumber(page, 'Steps', '500');
    await setNumber(page, 'CFG scale', '50');
    await setNumber(page, 'Batch size', '99');
    await setNumber(page, 'Seed', '-1');
    await page.getByLabel('Perturbed-attention guidance').check();
    await setNumber(page, 'Scale', '1000');
    await page.getByLabel('Split sigmas').check();
    await setNumber(page, 'Split at step', '0');
    const daemon = page.getByLabel('Detail Daemon');
    const withDaemon = await daemon.isEnabled();
    if (withDaemon) {
      await daemon.check();
      await setNumber(page, 'Amount', '99');
    }
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByTestId('form-error').waitFor();

    const controls = await invalidControls(page);
    const expected = [
      'f-caption',
      'f-width',
      'f-height',
      'f-steps',
      'f-cfg',
      'f-batch_size',
      'f-seed',
      'f-pag_scale',
      'f-split_step',
      ...(withDaemon ? ['f-detail_amount'] : []),
    ];
    expect(controls.map((c) => c.id).sort()).toEqual(expected.sort());
    for (const c of controls) {
      expect(c.describedBy, c.id).toContain(`${c.id}-error`);
      expect(c.errorText, `${c.id} points at no error text`).toMatch(/\S/);
    }
    await screenshot(page, 'flow-form-errors-linked');
  });

  it('server-side errors: an unknown checkpoint is linked to its message and suggestions', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Caption', { exact: true }).fill('a linked error');
    await setNumber(page, 'Width', '512');
    await setNumber(page, 'Height', '512');
    const select = page.getByLabel('Checkpoint', { exact: true });
    await select.evaluate((el) => {
      (el as HTMLSelectElement).add(new Option('nope.safetensors', 'nope.safetensors'));
    });
    await select.selectOption('nope.safetensors');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.locator('[data-testid=field-error][data-field=f-checkpoint]').waitFor();

    const controls = await invalidControls(page);
    expect(controls.map((c) => c.id)).toContain('f-checkpoint');
    for (const c of controls) {
      expect(c.describedBy, c.id).toContain(`${c.id}-error`);
      expect(c.errorText, `${c.id} points at no error text`).toMatch(/\S/);
    }
  });
});
