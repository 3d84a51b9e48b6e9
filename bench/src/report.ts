import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = path.resolve(here, '..');
const REPO = path.resolve(BENCH_DIR, '..');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const MD = path.join(REPO, 'BENCHMARKS.md');

export interface Table {
  title?: string;
  head: string[];
  rows: (string | number)[][];
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
  why?: string;
}

/** One benchmark's section of BENCHMARKS.md. */
export interface Section {
  name: string;
  order: number;
  title: string;
  intro: string;
  tables: Table[];
  targets: Target[];
  notes: string[];
  ranAt: string;
  seconds: number;
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const mb = (bytes: number, digits = 1): string => `${fmt(bytes / 1024 / 1024, digits)} MB`;
export const kb = (bytes: number, digits = 1): string => `${fmt(bytes / 1024, digits)} KB`;

export function renderTable(t: Table): string {
  const cells = [t.head, ...t.rows.map((r) => r.map(String))];
  const widths = t.head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [line(t.head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)];
  return (t.title ? `**${t.title}**\n\n` : '') + out.join('\n');
}

function renderTargets(targets: Target[]): string {
  if (targets.length === 0) return '';
  return renderTable({
    head: ['target', 'goal', 'measured', 'verdict'],
    rows: targets.map((t) => [t.what, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'MET' : `MISSED${t.why ? `: ${t.why}` : ''}`]),
  });
}

/** Prints a section to stdout. */
export function printSection(s: Section): void {
  const out = [`\n== ${s.title} (${fmt(s.seconds, 1)} s) ==`, ...s.tables.map(renderTable), renderTargets(s.targets)];
  process.stdout.write(out.filter(Boolean).join('\n\n') + '\n');
}

function machine(): string[] {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  return [
    `- node ${process.version} on ${os.platform()} ${os.release()} (${os.arch()})`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length} (logical cores), ${mb(os.totalmem(), 0)} RAM`,
    `- commit ${commit} (with uncommitted work in the tree)`,
    `- load average when this file was written: ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min). The machine was shared with other builds and tests during the run, so p99s and req/s are noisy; compare rows within one run, not across runs.`,
  ];
}

/** Hand-written reading of the numbers (kept here so a re-run keeps it). */
const FINDINGS = [
  'Fan-out delivery is the slowest path and misses its latency target: every tracker event is written synchronously to every subscriber\'s socket from the one event loop that also runs the simulator, and tRPC subscriptions add an async generator, superjson and a web ReadableStream per event, so tRPC subscribers see several times the latency of REST SSE ones. A per-prompt serialise-once broadcast (format the SSE frame once, write the same string to every REST stream) and yielding to the loop between batches of sockets would cut the p99; tRPC over WebSocket (the wsLink) avoids the per-subscription ReadableStream.',
  'A real leak in `apps/server/src/trpc/routers/comfy.ts` line 74 (`onStatus`): every wait adds an `abort` listener to the request signal with `{ once: true }` and never removes it, so a tRPC subscriber keeps one listener (and its closure) per event until the stream ends; Node prints MaxListenersExceededWarning during the fan-out run. Remove the listener when `wake` fires (or add it once outside the loop). This also inflates memory per tRPC subscriber.',
  '`GET /api/comfy/object-info` re-serialises the cached object with `res.json(value)` on every 200 (`apps/server/src/comfy/routes.ts` line 36), and tRPC `comfy.objectInfo` runs superjson over it on every call: with a 5 MB object_info that is tens of milliseconds of blocked event loop per request, so under concurrency the cache is slower than the upstream. Caching the serialised body (a Buffer, plus a gzip variant) next to the hash in the TTL cache would make a 200 a plain write; the 304 path is already fast.',
  'Calls that go upstream (`history`, cold `view`) pay for undici fetch + Express on top of the simulator; the status route avoids the upstream entirely (job tracker) and stays well under 1 ms added at p50.',
  'Cold `view` copies to the on-disk cache while streaming (a Transform that waits for the file write), which costs about a third of the direct throughput; warm views are served from disk at or above the simulator\'s rate.',
];

/** Stores a section and rewrites BENCHMARKS.md from every stored section. */
export function saveSection(s: Section): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${s.name}.json`), JSON.stringify(s, null, 2));
  writeMarkdown();
}

export function writeMarkdown(): void {
  const sections: Section[] = existsSync(RESULTS_DIR)
    ? readdirSync(RESULTS_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as Section)
        .sort((a, b) => a.order - b.order)
    : [];
  const all = sections.flatMap((s) => s.targets.map((t) => ({ ...t, bench: s.title })));
  const summary = renderTable({
    head: ['benchmark', 'target', 'goal', 'measured', 'verdict'],
    rows: all.map((t) => [t.bench, t.what, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED']),
  });
  const body = [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (all) or `pnpm bench <name>` (one of `overhead`, `fanout`, `streaming`, `object-info`, `roundtrip`);',
    'the code is in `bench/src/`, raw results in `bench/results/*.json`. Not part of `pnpm test`.',
    'Each benchmark starts the ComfyUI simulator (`packages/comfy-sim`) and the gateway side by side in one process,',
    'on loopback, and drives them from a separate load-generator process (autocannon, or plain HTTP clients for streams),',
    'so the same calls are measured straight to the simulator and through the gateway in one run.',
    '',
    '## Machine',
    '',
    ...machine(),
    '',
    '## Targets at a glance',
    '',
    summary,
    '',
    '## Findings: the slow paths',
    '',
    ...FINDINGS.map((f) => `- ${f}`),
    '',
    ...sections.flatMap((s) => [
      `## ${s.title}`,
      '',
      `_Run ${s.ranAt}, took ${fmt(s.seconds, 1)} s. Command: \`pnpm bench ${s.name}\`._`,
      '',
      s.intro,
      '',
      ...s.tables.flatMap((t) => [renderTable(t), '']),
      ...(s.targets.length ? ['Targets:', '', renderTargets(s.targets), ''] : []),
      ...(s.notes.length ? ['Notes:', '', ...s.notes.map((n) => `- ${n}`), ''] : []),
    ]),
  ];
  writeFileSync(MD, body.join('\n'));
}
