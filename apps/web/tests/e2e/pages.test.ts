import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, login, requireComfyRoutes, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'mobile', width: 390, height: 844 },
] as const;

/** Every main page with what marks it as loaded. */
const PAGES = [
  {
    path: '/',
    name: 'generate',
    ready: (p: Page) => p.getByRole('heading', { name: 'Generate', level: 1 }).waitFor(),
  },
  {
    path: '/history',
    name: 'history',
    ready: (p: Page) => p.locator('[data-testid=history-item] [data-testid=history-thumb]').first().waitFor(),
  },
  { path: '/gallery', name: 'gallery', ready: (p: Page) => p.getByTestId('gallery-item').first().waitFor() },
  {
    path: '/queue',
    name: 'queue',
    ready: (p: Page) => p.getByRole('heading', { name: 'Queue', level: 1 }).waitFor(),
  },
  {
    path: '/nodes',
    name: 'nodes',
    ready: (p: Page) => p.getByTestId('node-list').locator('li').first().waitFor(),
  },
  { path: '/tokens', name: 'tokens', ready: (p: Page) => p.getByTestId('token-table').waitFor() },
  { path: '/status', name: 'status', ready: (p: Page) => p.getByTestId('watchdog').waitFor() },
] as const;

describe('main pages at desktop and phone widths', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let galleryId = '';
  let promptId = '';

  beforeAll(async () => {
    stack = await startStack({ stepMs: 5 });
    browser = await launchBrowser();
    page = await browser.newPage();
    await login(page, stack.url);
    await requireComfyRoutes(page);
    // Content for the gallery, detail and tokens pages, made through the same API the UI uses.
    ({ galleryId, promptId } = await page.evaluate(async () => {
      const post = async <T>(url: string, body: unknown): Promise<T> => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      };
      const caption = 'Misty pine forest at sunrise, soft light';
      const queued = await post<{ prompt_id: string; seed: number }>('/api/comfy/text2img', {
        caption,
        width: 512,
        height: 512,
        steps: 8,
      });
      for (let i = 0; i < 200; i++) {
        type Image = { filename: string; subfolder: string; type: string };
        const s = (await (await fetch(`/api/comfy/status/${queued.prompt_id}`)).json()) as {
          status: string;
          images: Image[];
        };
        const ref = s.images[0];
        if (s.status === 'completed' && ref) {
          const saved = await post<{ id: string }>('/api/comfy/ingest', {
            prompt_id: queued.prompt_id,
            filename: ref.filename,
            subfolder: ref.subfolder,
            type: ref.type,
            metadata: { caption, params: { caption, width: 512, height: 512, steps: 8, seed: queued.seed } },
          });
          await post('/trpc/auth.tokens.create', { json: { name: 'render-bot', expires_in_days: 90 } });
          return { galleryId: saved.id, promptId: queued.prompt_id };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the setup job did not complete');
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  for (const vp of VIEWPORTS) {
    it(`renders every main page at ${vp.name} width without horizontal overflow`, async () => {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const p of [
        ...PAGES,
        {
          path: `/gallery/${galleryId}`,
          name: 'gallery-detail',
          ready: (pg: Page) => pg.getByTestId('provenance').waitFor(),
        },
        {
          path: `/history/${promptId}`,
          name: 'history-run',
          ready: (pg: Page) => pg.getByTestId('result-image').waitFor(),
        },
      ]) {
        await page.goto(`${stack.url}${p.path}`);
        await p.ready(page);
        await page.waitForLoadState('networkidle').catch(() => {});
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${p.path} overflows horizontally at ${vp.width}px`).toBeLessThanOrEqual(0);
        await screenshot(page, `page-${p.name}-${vp.name}`);
      }
    });
  }

  it('opens the navigation from the menu button on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.url}/status`);
    await page.getByRole('button', { name: 'Menu' }).click();
    await screenshot(page, 'page-nav-open-mobile');
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.waitForURL((u) => u.pathname === '/gallery');
    expect(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded')).toBe('false');
  });
});
