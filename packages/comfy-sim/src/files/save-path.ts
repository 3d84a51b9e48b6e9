import { mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import { isInside } from './dirs.ts';

export class SavePathError extends Error {}

const pad = (n: number) => String(n).padStart(2, '0');

/** Replaces %width%, %height% and the date tokens ComfyUI's get_save_image_path understands. */
function computeVars(prefix: string, width: number, height: number): string {
  const d = new Date();
  return prefix
    .replaceAll('%width%', String(width))
    .replaceAll('%height%', String(height))
    .replaceAll('%year%', String(d.getFullYear()))
    .replaceAll('%month%', pad(d.getMonth() + 1))
    .replaceAll('%day%', pad(d.getDate()))
    .replaceAll('%hour%', pad(d.getHours()))
    .replaceAll('%minute%', pad(d.getMinutes()))
    .replaceAll('%second%', pad(d.getSeconds()));
}

export interface SavePath {
  folder: string;
  filename: string;
  subfolder: string;
  counter: number;
}

/**
 * Where the next `<prefix>_%05d_.png` goes: subfolder from the prefix's dir part, counter one past
 * the highest number already used by files named `<filename>_N…` in that folder.
 */
export async function nextSavePath(
  baseDir: string,
  prefix: string,
  width: number,
  height: number,
): Promise<SavePath> {
  const norm = normalize(computeVars(prefix, width, height));
  const filename = basename(norm);
  const dir = dirname(norm);
  const subfolder = dir === '.' ? '' : dir;
  const folder = join(baseDir, subfolder);
  if (!isInside(baseDir, folder)) {
    throw new SavePathError(
      `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${baseDir}`,
    );
  }
  let counter = 1;
  try {
    for (const f of await readdir(folder)) {
      if (!f.startsWith(`${filename}_`)) continue;
      const digits = /^\d+/.exec(f.slice(filename.length + 1).split('_')[0] ?? '');
      const n = digits && digits[0] === f.slice(filename.length + 1).split('_')[0] ? Number(digits[0]) : 0;
      counter = Math.max(counter, n + 1);
    }
  } catch {
    await mkdir(folder, { recursive: true });
  }
  return { folder, filename, subfolder, counter };
}
