import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'comfy-core', testTimeout: 20000 } });
