import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Section } from './report.ts';
import { printSection, saveSection } from './report.ts';

// A real GC between memory samples (without --expose-gc on the command line).
setFlagsFromString('--expose-gc');
(globalThis as { gc?: unknown }).gc = runInNewContext('gc');

type Bench = () => Promise<Omit<Section, 'ranAt' | 'seconds' | 'load'>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  overhead: async () => (await import('./overhead.ts')).runOverhead,
  fanout: async () => (await import('./fanout.ts')).runFanout,
  streaming: async () => (await import('./streaming.ts')).runStreaming,
  'object-info': async () => (await import('./object-info.ts')).runObjectInfo,
  roundtrip: async () => (await import('./roundtrip.ts')).runRoundtrip,
  pool: async () => (await import('./pool.ts')).runPool,
  cluster: async () => (await import('./cluster.ts')).runCluster,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}\n`,
    );
    process.exit(2);
  }
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  let failed = 0;
  for (const name of selected) {
    const load = BENCHES[name];
    if (!load) continue;
    const t0 = performance.now();
    const load0 = loadavg()[0] ?? NaN;
    process.stdout.write(`\n>> ${name} ...\n`);
    try {
      const result = await (await load())();
      const section: Section = {
        ...result,
        ranAt: new Date().toISOString(),
        seconds: (performance.now() - t0) / 1000,
        load: [load0, loadavg()[0] ?? NaN],
      };
      printSection(section);
      saveSection(section);
    } catch (err) {
      failed++;
      process.stderr.write(
        `${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
