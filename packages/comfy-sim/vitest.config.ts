import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'comfy-sim',
    testTimeout: 20000,
    include: ['src/**/*.test.ts'],
  },
});
