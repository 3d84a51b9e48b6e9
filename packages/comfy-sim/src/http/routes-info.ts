import { freemem, totalmem } from 'node:os';
import { MODEL_FOLDERS } from '../nodes/lists.ts';
import { buildObjectInfo, objectInfoJson, toNodeInfo } from '../nodes/object-info.ts';
import { SERVER_FEATURES } from '../state.ts';
import { HttpError, sendJson, sendJsonText } from './respond.ts';
import type { Router } from './router.ts';

const GiB = 1024 ** 3;

/** object_info, system_stats, features and the model listings. */
export function addInfoRoutes(router: Router): void {
  router.add('GET', '/object_info', ({ res, rt }) =>
    sendJsonText(res, 200, objectInfoJson(buildObjectInfo(rt.defs(), rt.config.extraObjectInfo))),
  );

  router.add('GET', '/object_info/{name}', ({ params, res, rt }) => {
    const name = params['name'] ?? '';
    const def = rt.defs().get(name);
    const extra = rt.config.extraObjectInfo[name];
    if (!def && extra === undefined) return sendJson(res, 200, {});
    sendJsonText(res, 200, objectInfoJson({ [name]: def ? toNodeInfo(def) : extra }));
  });

  router.add('GET', '/system_stats', ({ res, rt }) =>
    sendJson(res, 200, {
      system: {
        os: 'posix',
        ram_total: totalmem(),
        ram_free: freemem(),
        comfyui_version: rt.config.version,
        required_frontend_version: '1.27.10',
        installed_templates_version: '0.1.94',
        required_templates_version: '0.1.94',
        python_version: '3.11.9 (main) [GCC 12.2.0]',
        pytorch_version: '2.8.0+cpu',
        embedded_python: false,
        argv: ['main.py', '--preview-method', rt.config.previews ? 'latent2rgb' : 'none'],
      },
      devices: [
        {
          name: 'cpu',
          type: 'cpu',
          index: null,
          vram_total: 16 * GiB,
          vram_free: 12 * GiB,
          torch_vram_total: 16 * GiB,
          torch_vram_free: 12 * GiB,
        },
      ],
    }),
  );

  router.add('GET', '/features', ({ res }) => sendJson(res, 200, SERVER_FEATURES));
  router.add('GET', '/embeddings', ({ res }) => sendJson(res, 200, []));
  router.add('GET', '/extensions', ({ res }) => sendJson(res, 200, []));
  router.add('GET', '/models', ({ res }) => sendJson(res, 200, MODEL_FOLDERS));

  router.add('GET', '/models/{folder}', ({ params, res, rt }) => {
    const folder = params['folder'] ?? '';
    if (!MODEL_FOLDERS.includes(folder)) throw new HttpError(404);
    const lists: Record<string, string[]> = {
      checkpoints: rt.config.checkpoints,
      loras: rt.config.loras,
      vae: rt.config.vaes,
    };
    sendJson(res, 200, lists[folder] ?? []);
  });
}
