import { Session } from 'node:inspector/promises';

/** One line of a profile summary: self time of a function, aggregated by name and file. */
export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleShare: number;
  top: ProfileEntry[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

let session: Session | null = null;

/** Starts V8's sampling profiler in this process (the inspector protocol, no restart). */
export async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}

/** Stops it and returns the functions with the most self time (idle, GC and program kept apart). */
export async function stopProfile(topN = 15): Promise<ProfileSummary> {
  if (!session) throw new Error('no profile running');
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  session = null;
  return summarise(profile, topN);
}

function summarise(p: CpuProfile, topN: number): ProfileSummary {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = frames.get(id);
    const name = f?.functionName || '(anonymous)';
    if (name === '(idle)') idle += dt;
    const file = f?.url ? shortPath(f.url) : '';
    const key = `${name}\t${file}${file ? `:${(f?.lineNumber ?? 0) + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const busy = Math.max(1, total - idle);
  const top = [...self]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([k, us]) => {
      const [fn = '', where = ''] = k.split('\t');
      return { fn, where, selfMs: us / 1000, share: us / busy };
    });
  return { totalMs: total / 1000, idleShare: idle / Math.max(1, total), top };
}

/** `.../node_modules/.pnpm/x@1/node_modules/x/lib/a.js` -> `x/lib/a.js`; repo files from the package. */
function shortPath(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const m = /\/(apps|packages)\/(.+)$/.exec(u);
  return m ? `${m[1]}/${m[2]}` : u.startsWith('node:') ? u : u.split('/').slice(-2).join('/');
}
