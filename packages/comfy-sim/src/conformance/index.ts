// Recorded sequences, graphs and a recording ws client, for conformance tests in any package.
export * from './fixtures.ts';
export * from './graphs.ts';
export * from './bodies.ts';
export * from './harness.ts';
