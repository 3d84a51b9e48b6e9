import type { Page } from 'playwright-core';

/** Calls the gateway from inside a signed-in page (its session cookie), failing on any non-2xx. */
export function callApi<T = unknown>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.headers = { 'content-type': 'application/json' };
        init.body = JSON.stringify(body);
      }
      const res = await fetch(url, init);
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    { method, url, body },
  );
}

/** EmptyImage -> SaveImage: a raw workflow the simulator finishes in milliseconds. */
export const tinyWorkflow = (color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'e2e' } },
});

export interface Snapshot {
  prompt_id: string;
  status: string;
  images?: { filename: string; subfolder: string; type: 'output' | 'input' | 'temp' }[];
}

/** Queues a text-to-image run as the page's user; returns its prompt id. */
export async function startText2Img(page: Page, caption: string, steps = 8): Promise<string> {
  const out = await callApi<{ prompt_id: string }>(page, 'POST', '/api/comfy/text2img', {
    caption,
    width: 512,
    height: 512,
    steps,
  });
  return out.prompt_id;
}

/** Queues a raw workflow as the page's user; returns its prompt id. */
export async function queueWorkflow(page: Page, color: number): Promise<string> {
  const out = await callApi<{ prompt_id: string }>(page, 'POST', '/api/comfy/queue', {
    workflow: tinyWorkflow(color),
  });
  return out.prompt_id;
}

/** Polls the status until `done` holds (the simulator's clock runs in the server process). */
export async function waitForStatus(
  page: Page,
  promptId: string,
  done: (s: Snapshot) => boolean = (s) =>
    ['completed', 'failed', 'cancelled', 'interrupted'].includes(s.status),
  timeoutMs = 30_000,
): Promise<Snapshot> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await callApi<Snapshot>(page, 'GET', `/api/comfy/status/${encodeURIComponent(promptId)}`);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`${promptId} is still ${s.status} after ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
}

/** Saves one output of a finished run to the gallery; returns the item id. */
export async function saveToGallery(
  page: Page,
  promptId: string,
  image: NonNullable<Snapshot['images']>[number],
) {
  const out = await callApi<{ id: string }>(page, 'POST', '/api/comfy/ingest', {
    prompt_id: promptId,
    filename: image.filename,
    subfolder: image.subfolder,
    type: image.type,
  });
  return out.id;
}

/** Creates a regular user from Node, signed in as the admin with a Bearer session. */
export async function createUserAsAdmin(
  baseUrl: string,
  admin: { email: string; password: string },
  user: { email: string; password: string },
): Promise<number> {
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const { token } = (await post('/api/auth/login', admin)) as { token: string };
  const created = await post('/api/auth/users', { ...user, role: 'user' }, token);
  return created['id'] as number;
}
