import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export interface Dirs {
  root: string;
  input: string;
  output: string;
  temp: string;
}

export type FolderType = 'input' | 'output' | 'temp';

export function dirsFor(root: string): Dirs {
  return { root, input: join(root, 'input'), output: join(root, 'output'), temp: join(root, 'temp') };
}

/** True when `child` is `base` or lies inside it (os.path.commonpath check). */
export function isInside(base: string, child: string): boolean {
  const b = resolve(base);
  const c = resolve(child);
  return c === b || c.startsWith(b + sep);
}

/** Splits "name.png [output]" into the name and its folder type, like annotated_filepath. */
export function parseAnnotated(name: string): { name: string; type: FolderType | null } {
  const m = / \[(input|output|temp)\]$/.exec(name);
  if (!m) return { name, type: null };
  return { name: name.slice(0, m.index), type: m[1] as FolderType };
}

/** LoadImage's list: plain files directly in input/, sorted. */
export function listInputFiles(dirs: Dirs): string[] {
  try {
    return readdirSync(dirs.input)
      .filter((f) => statSync(join(dirs.input, f)).isFile())
      .sort();
  } catch {
    return [];
  }
}

/** Resolves a LoadImage value ("sub/a.png", "a.png [output]") to a path, or null when it escapes. */
export function resolveAnnotated(dirs: Dirs, value: string): string | null {
  const { name, type } = parseAnnotated(value);
  const base = dirs[type ?? 'input'];
  const full = join(base, name);
  return isInside(base, full) ? full : null;
}

export function annotatedExists(dirs: Dirs, value: string): boolean {
  const p = resolveAnnotated(dirs, value);
  return p !== null && existsSync(p);
}
