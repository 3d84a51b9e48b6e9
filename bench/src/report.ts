import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINDINGS } from './findings.ts';
import type { ProfileSummary } from './procs/profile.ts';
import { profileSummary } from './profile-section.ts';

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
  /** CPU profiles of a gateway taken during the bench (outside the measured runs). */
  profiles?: { title: string; summary: ProfileSummary }[];
  ranAt: string;
  seconds: number;
  /** Load average (1 min) when the section started and ended. */
  load?: [number, number];
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const fmtInt = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
export const mb = (bytes: number, digits = 1): string => `${fmt(bytes / 1024 / 1024, digits)} MB`;
export const kb = (bytes: number, digits = 1): string => `${fmt(bytes / 1024, digits)} KB`;

export function renderTable(t: Table): string {
  const cells = [t.head, ...t.rows.map((r) => r.map(String))];
  const widths = t.head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    line(t.head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ];
  return (t.title ? `**${t.title}**\n\n` : '') + out.join('\n');
}

function renderTargets(targets: Target[]): string {
  if (targets.length === 0) return '';
  return renderTable({
    head: ['target', 'goal', 'measured', 'verdict'],
    rows: targets.map((t) => [
      t.what,
      t.target,
      t.measured,
      t.met === null ? 'n/a' : t.met ? 'MET' : `MISSED${t.why ? `: ${t.why}` : ''}`,
    ]),
  });
}

/** Prints a section to stdout. */
export function printSection(s: Section): void {
  const out = [
    `\n== ${s.title} (${fmt(s.seconds, 1)} s) ==`,
    ...s.tables.map(renderTable),
    renderTargets(s.targets),
  ];
  process.stdout.write(out.filter(Boolean).join('\n\n') + '\n');
}

function machine(sections: Section[]): string[] {
  const loads = sections.flatMap((x) => x.load ?? []).filter((l) => Number.isFinite(l));
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    /* not a git checkout */
  }
  return [
    `- node ${process.version} on ${os.platform()} ${os.release()} (${os.arch()})`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length} (logical cores), ${mb(os.totalmem(), 0)} RAM`,
    `- commit ${commit} `,
    `- load average when this file was written: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ' / ',
      )} (1/5/15 min). Other processes may share this 2-core machine, so p99s and req/s are noisy; compare rows within one run, not across runs.`,
    ...(loads.length > 0
      ? [
          `- load average (1 min) at the start and end of the sections: ${fmt(Math.min(...loads), 1)} to ${fmt(Math.max(...loads), 1)} (each section's own is in its header line)`,
        ]
      : []),
  ];
}

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
    rows: all.map((t) => [
      t.bench,
      t.what,
      t.target,
      t.measured,
      t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED',
    ]),
  });
  const body = [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (all) or `pnpm bench <name>` (one of `overhead`, `fanout`, `streaming`, `object-info`, `roundtrip`, `pool`, `cluster`);',
    'the code is in `bench/src/`, raw results in `bench/results/*.json`. Not part of `pnpm test`.',
    '`overhead`, `fanout` and `cluster` measure the gateway, not the machine: the simulator (`packages/comfy-sim`), the gateway (the real',
    '`apps/server/src/main.ts`, NODE_ENV=production) and the load generators each run in their own process, on loopback, and each reports',
    'the CPU time it used, so rows give CPU per request or per delivered event besides wall time. A plain Node `http` server answering the',
    'same bytes (the floor) shows the most this machine does for a response. `streaming`, `object-info`, `roundtrip` and `pool` still run',
    "the simulator and the gateway in one process (the demo stack) with the load generator apart; their gateway numbers include the simulator's work.",
    '',
    '## Machine',
    '',
    ...machine(sections),
    '',
    '## Targets at a glance',
    '',
    summary,
    '',
    '## Findings: the slow paths',
    '',
    ...FINDINGS.map((f) => `- ${f}`),
    '',
    ...profileSummary(sections, REPO),
    '',
    ...sections.flatMap((s) => [
      `## ${s.title}`,
      '',
      `_Run ${s.ranAt}, took ${fmt(s.seconds, 1)} s${s.load ? `, load average ${fmt(s.load[0], 1)} at the start and ${fmt(s.load[1], 1)} at the end` : ''}. Command: \`pnpm bench ${s.name}\`._`,
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
