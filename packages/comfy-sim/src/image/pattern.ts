import { createHash } from 'node:crypto';

/** What an IMAGE value looks like; pixels are produced only when a node saves it. */
export interface ImageValue {
  kind: 'IMAGE';
  width: number;
  height: number;
  batch: number;
  fill: { type: 'solid'; color: number } | { type: 'pattern'; key: string };
  invert: boolean;
}

function seededRandom(seedText: string): () => number {
  const digest = createHash('sha256').update(seedText).digest();
  let state = digest.readUInt32LE(0) || 1;
  return () => {
    // xorshift32: tiny, deterministic and good enough for wave phases
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** Renders batch element `index` of an image as RGB bytes, deterministically. */
export function renderImage(img: ImageValue, index: number): Uint8Array {
  const { width, height } = img;
  const out = new Uint8Array(width * height * 3);
  if (img.fill.type === 'solid') {
    const c = img.fill.color;
    const rgb = [(c >> 16) & 255, (c >> 8) & 255, c & 255];
    for (let i = 0; i < out.length; i++) out[i] = rgb[i % 3] ?? 0;
  } else {
    const rnd = seededRandom(`${img.fill.key}#${index}`);
    // Smooth waves compress well, unlike white noise, and still differ for every seed.
    const waves = [0, 1, 2].map(() => ({
      fx: (rnd() * 6 + 1) / width,
      fy: (rnd() * 6 + 1) / height,
      phase: rnd() * Math.PI * 2,
      base: 60 + rnd() * 120,
    }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const w = waves[ch];
          if (!w) continue;
          const v = w.base + 70 * Math.sin(Math.PI * 2 * (w.fx * x + w.fy * y) + w.phase);
          out[o + ch] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  if (img.invert) for (let i = 0; i < out.length; i++) out[i] = 255 - (out[i] ?? 0);
  return out;
}

/** Short stable hash used to derive image keys from their inputs. */
export function hashKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
