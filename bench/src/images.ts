import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodePng } from '@comfy-gateway/comfy-sim';

/** A valid 8x8 PNG followed by random bytes up to `size` (the gateway streams, never decodes). */
export function fakePng(size: number): Buffer {
  const head = encodePng(8, 8, new Uint8Array(8 * 8 * 3).fill(128));
  if (size <= head.length) return head;
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

/** Writes `fakePng(size)` into the simulator's output folder and returns its file name. */
export function putOutputImage(simRoot: string, name: string, size: number): string {
  writeFileSync(path.join(simRoot, 'output', name), fakePng(size));
  return name;
}
