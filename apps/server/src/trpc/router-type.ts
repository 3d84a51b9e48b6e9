// Type only: the web app and the client import this without pulling server code in.
export type { AppRouter } from './router.ts';
