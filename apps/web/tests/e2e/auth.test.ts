import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, launchBrowser, login, screenshot, startStack } from './harness.ts';
import type { Browser, Stack } from './harness.ts';

// Every test that needs a session signs in itself, so none relies on an earlier one's login.
describe('auth flows', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A new session whatever the last test left (the login page sends a signed-in user away). */
  async function signInAfresh(): Promise<void> {
    await browser.context.clearCookies();
    await login(page, stack.url);
  }

  it('shows a message for a wrong password and stays on /login', async () => {
    await browser.context.clearCookies();
    await page.goto(`${stack.url}/`);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('Wrong email or password');
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'flow-login-wrong-password');
  });

  it('logs in and shows the user menu', async () => {
    await signInAfresh();
    expect(await page.getByTestId('user-menu').textContent()).toContain(ADMIN.email);
    await screenshot(page, 'flow-login');
  });

  it('sends the user back to /login when the session is revoked server-side', async () => {
    await signInAfresh();
    const cookie = (await browser.context.cookies(stack.url)).find((c) => c.name === 'cg_session');
    expect(cookie, 'the login sets the cg_session cookie').toBeDefined();
    // End the session on the server while the browser keeps its (now dead) cookie.
    const res = await fetch(`${stack.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cookie?.value ?? ''}` },
    });
    expect(res.status).toBeLessThan(300);
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByText('Your session has expired').first().waitFor();
    await screenshot(page, 'flow-session-expired');
  });

  it('sends the user to /login when the cookie is gone, then back where they were', async () => {
    await signInAfresh();
    await page.goto(`${stack.url}/tokens`);
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await browser.context.clearCookies();
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/tokens');
  });

  it('creates an API token, shows it once and revokes it', async () => {
    await signInAfresh();
    await page.goto(`${stack.url}/tokens`);
    await page.getByLabel('Name').fill('ci-token');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = await shown.getByLabel('New API token').inputValue();
    expect(token.length).toBeGreaterThan(20);
    const me = await fetch(`${stack.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    await screenshot(page, 'flow-token-created');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke ci-token' }).click();
    await page.getByRole('button', { name: 'Revoke ci-token' }).waitFor({ state: 'detached' });
    const after = await fetch(`${stack.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it('logs out from the user menu', async () => {
    await signInAfresh();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(me).toBe(401);
  });
});
