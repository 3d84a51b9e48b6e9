import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A maker of temp folders that are all removed by the hook it registers (pass vitest's `afterAll`),
 * so tests leave nothing behind in the system temp folder.
 */
export function tempDirs(
  cleanupAfter: (fn: () => Promise<void>) => void,
): (prefix: string) => Promise<string> {
  const made: string[] = [];
  cleanupAfter(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix) => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
