import { router } from './init.ts';
import { authRouter } from './routers/auth.ts';
import { comfyRouter } from './routers/comfy.ts';
import { galleryRouter } from './routers/gallery.ts';
import { presetsRouter } from './routers/presets.ts';

/** The whole tRPC API served at `/trpc` (HTTP batch, SSE and WebSocket). */
export const appRouter = router({
  auth: authRouter,
  comfy: comfyRouter,
  gallery: galleryRouter,
  presets: presetsRouter,
});

export type AppRouter = typeof appRouter;
