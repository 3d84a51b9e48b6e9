import { defineProject } from 'vitest/config';

// Unit tests of the bench's own parsers; the benchmarks themselves run with `pnpm bench`.
export default defineProject({ test: { name: 'bench', include: ['src/**/*.test.ts'] } });
