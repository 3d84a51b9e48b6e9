import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import { makePng } from '../images.ts';
import { MARKER, expectClientError, expectStillServing, strayFiles } from './bad-input-kit.ts';

const F = `${MARKER}.png`;

/** File names that try to leave ComfyUI's output folder, in every spelling we know. */
const FILENAME_ATTACKS = [
  `../${F}`,
  `../../../../etc/${F}`,
  `..%2f${F}`,
  `..%2F..%2F${F}`,
  `%2e%2e%2f${F}`,
  `%2e%2e/${F}`,
  `..%252f${F}`,
  `%252e%252e%252f${F}`,
  `%25252e%25252e%25252f${F}`,
  `..\\${F}`,
  `..\\..\\windows\\${F}`,
  `..%5c${F}`,
  `%2e%2e%5c${F}`,
  `..%255c${F}`,
  `${F}%00.png`,
  `${F}\u0000.png`,
  `/etc/${F}`,
  `%2fetc%2f${F}`,
  `C:\\${F}`,
  `C:${F}`,
  `\u2025/${F}`,
  `\uff0e\uff0e/${F}`,
  `\uff0e\uff0e\uff0f${F}`,
  `\u2024\u2024/${F}`,
  `.%2e/${F}`,
  `..`,
  `.`,
  `sub/${F}`,
  `..%c0%af${F}`,
  `${F}\r\nX-Injected: 1`,
  `%00${F}`,
  `....//${F}`,
];

const SUBFOLDER_ATTACKS = [
  '..',
  '../..',
  `../${MARKER}`,
  `a/../../${MARKER}`,
  `%2e%2e`,
  `%252e%252e%252f${MARKER}`,
  `..\\${MARKER}`,
  `/tmp/${MARKER}`,
  `${MARKER}\u0000`,
  `\uff0e\uff0e/${MARKER}`,
  `C:\\${MARKER}`,
];

describe('path traversal', () => {
  it(`refuses ${FILENAME_ATTACKS.length} file name and ${SUBFOLDER_ATTACKS.length} subfolder variants on /view and JSON ingest`, async () => {
    await using app = await startComfyApp();
    expect(FILENAME_ATTACKS.length + SUBFOLDER_ATTACKS.length).toBeGreaterThanOrEqual(30);
    const view = (q: Record<string, string>) =>
      app.request(`/api/comfy/view?${new URLSearchParams(q).toString()}`, { token: app.adminToken });
    const ingest = (json: Record<string, string>) =>
      app.request('/api/comfy/ingest', {
        token: app.adminToken,
        method: 'POST',
        json: { prompt_id: 'p1', ...json },
      });

    for (const filename of FILENAME_ATTACKS) {
      await expectClientError(await view({ filename }), /^filename: /, 400);
      await expectClientError(await ingest({ filename }), /^filename: /, 400);
    }
    for (const subfolder of SUBFOLDER_ATTACKS) {
      await expectClientError(await view({ filename: 'ok.png', subfolder }), /^subfolder: /, 400);
      await expectClientError(await ingest({ filename: 'ok.png', subfolder }), /^subfolder: /, 400);
    }
    // A prompt id is a segment of ComfyUI's `/history/{id}`: dot segments would name another path
    // (the fuzz test once got a 502 from `.`).
    for (const prompt_id of ['.', '..', '../history', 'a/b'])
      await expectClientError(await ingest({ prompt_id, filename: 'ok.png' }), /^prompt_id: /, 400);
    // Raw (not re-encoded by URLSearchParams) query strings, as a hand-made request would send them.
    for (const raw of [`..%2f${F}`, `%2e%2e%2f${F}`, `..%5c${F}`, `${F}%00`, `%c0%ae%c0%ae/${F}`]) {
      const res = await app.request(`/api/comfy/view?filename=${raw}`, { token: app.adminToken });
      await expectClientError(res, /^filename: /, 400);
    }
    // Arrays and objects from repeated or bracketed keys are not a string.
    await expectClientError(
      await app.request(`/api/comfy/view?filename=a.png&subfolder=x&subfolder=..`, { token: app.adminToken }),
      /^subfolder: /,
      400,
    );
    await expectClientError(
      await app.request(`/api/comfy/view?filename=a.png&filename=..`, { token: app.adminToken }),
      /^filename: /,
      400,
    );
    await expectClientError(
      await app.request(`/api/comfy/view?type=../../x&filename=a.png`, { token: app.adminToken }),
      /^type: /,
      400,
    );
    // Not one of them reached ComfyUI.
    expect(Object.keys(app.sim.stats.requests).filter((k) => k.includes('view'))).toEqual([]);
    await expectStillServing(app);
    expect(await strayFiles(app.rootDir)).toEqual([]);
  });

  it('stores an upload whose original name is a traversal inside ROOT_DIR only', async () => {
    await using app = await startComfyApp();
    for (const name of [`../../${F}`, `..\\..\\${F}`, `/tmp/${F}`, `%2e%2e%2f${F}`]) {
      const form = new FormData();
      form.set('file', new Blob([makePng(8, 8, { seed: name })], { type: 'image/png' }), name);
      const res = await app.request('/api/comfy/ingest', {
        token: app.adminToken,
        method: 'POST',
        body: form,
      });
      expect(res.status).toBe(201);
      expect(await res.text()).not.toMatch(/\.\.[/\\]|"\/tmp/);
    }
    await expectStillServing(app);
    expect(await strayFiles(app.rootDir)).toEqual([]);
  });
});
