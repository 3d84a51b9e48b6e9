import { useComfy } from './use-comfy.ts';

/** The app's one composable instance (browser only; it talks to the same origin). */
export const comfy = useComfy();
