import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProfileEntry } from './procs/profile.ts';
import type { Section } from './report.ts';
import { fmt, renderTable } from './report.ts';

const PERF_NOTES = 'docs/perf-notes.md';

/**
 * The "Profile summary" part of BENCHMARKS.md: the gateway CPU profiles the benches took, then
 * the hand-written before/after notes of `docs/perf-notes.md` when that file exists.
 */
export function profileSummary(sections: Section[], repo: string): string[] {
  const out = ['## Profile summary', ''];
  const profiles = sections.flatMap((s) => (s.profiles ?? []).map((p) => ({ ...p, bench: s.title })));
  for (const p of profiles) {
    out.push(
      `**${p.bench}: ${p.title}** (V8 sampling profiler in the gateway process, ${fmt(p.summary.totalMs / 1000, 1)} s, idle ${fmt(p.summary.idleShare * 100, 0)}%; self time, share of the busy time)`,
      '',
      renderTable({
        head: ['function', 'where', 'self ms', 'share'],
        rows: p.summary.top
          .filter(isGatewayWork)
          .map((e) => [
            `\`${e.fn}\``,
            e.where ? `\`${e.where}\`` : '(native)',
            fmt(e.selfMs, 0),
            `${fmt(e.share * 100, 1)}%`,
          ]),
      }),
      '',
    );
  }
  if (profiles.length > 0)
    out.push(
      "Left out of these tables: a native `dispatch` frame, the in-process inspector session's own work (a `--cpu-prof` profile of the same load, `BENCH_PROFILE_DIR=...`, has no such frame); shares stay of the whole busy time.",
      '',
    );
  const notes = path.join(repo, PERF_NOTES);
  if (existsSync(notes)) {
    // Its headings sit one level below this section's.
    const text = readFileSync(notes, 'utf8')
      .replace(/^(#+) /gm, '$1## ')
      .trim();
    out.push(`From \`${PERF_NOTES}\` (top costs before and after the changes):`, '', text, '');
  } else {
    out.push(
      `_Before/after notes: \`${PERF_NOTES}\` is not there yet; once written, the next \`pnpm bench\` copies it here (or the lead fills this in)._`,
      '',
    );
  }
  return out;
}

/** The profiler's own frame (the inspector session in the same thread) is not the gateway's work. */
const isGatewayWork = (e: ProfileEntry): boolean => !(e.fn === 'dispatch' && e.where === '');
