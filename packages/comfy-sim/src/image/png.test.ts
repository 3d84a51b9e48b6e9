import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hashKey, renderImage, type ImageValue } from './pattern.ts';
import { crc32, encodePng, readPngSize } from './png.ts';

describe('png', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('encodes RGB scanlines that inflate back to the pixels', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodePng(2, 2, rgb, { text: [['prompt', '{}']] });
    expect(readPngSize(png)).toEqual({ width: 2, height: 2 });
    const idatAt = png.indexOf('IDAT');
    const len = png.readUInt32BE(idatAt - 4);
    const raw = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + len));
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
    expect(png.subarray(-8, -4).toString()).toBe('IEND');
  });

  it('rejects non-PNG bytes in readPngSize', () => {
    expect(readPngSize(Buffer.from('GIF89a not a png at all'))).toBeNull();
  });

  it('renders solid, inverted and seeded patterns deterministically', () => {
    const solid: ImageValue = {
      kind: 'IMAGE',
      width: 2,
      height: 1,
      batch: 1,
      fill: { type: 'solid', color: 0xff8000 },
      invert: false,
    };
    expect([...renderImage(solid, 0)]).toEqual([255, 128, 0, 255, 128, 0]);
    expect([...renderImage({ ...solid, invert: true }, 0)]).toEqual([0, 127, 255, 0, 127, 255]);
    const pat = (key: string): ImageValue => ({
      ...solid,
      width: 16,
      height: 16,
      fill: { type: 'pattern', key: hashKey(key) },
    });
    expect(renderImage(pat('a'), 0)).toEqual(renderImage(pat('a'), 0));
    expect(renderImage(pat('a'), 0)).not.toEqual(renderImage(pat('b'), 0));
    expect(renderImage(pat('a'), 0)).not.toEqual(renderImage(pat('a'), 1));
  });
});
