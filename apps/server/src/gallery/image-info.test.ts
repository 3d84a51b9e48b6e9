import { describe, expect, it } from 'vitest';
import { makeJpeg, makePng, makeWebpVp8, makeWebpVp8l, makeWebpVp8x } from '../../test/images.ts';
import { readImageInfoFromBuffer } from './image-info.ts';

describe('readImageInfo', () => {
  it.each([
    ['PNG', makePng(640, 480), { mime: 'image/png', width: 640, height: 480 }],
    ['JPEG after APP1', makeJpeg(1920, 1080), { mime: 'image/jpeg', width: 1920, height: 1080 }],
    ['WebP VP8', makeWebpVp8(800, 600), { mime: 'image/webp', width: 800, height: 600 }],
    ['WebP VP8L', makeWebpVp8l(123, 45), { mime: 'image/webp', width: 123, height: 45 }],
    ['WebP VP8X', makeWebpVp8x(4096, 2048), { mime: 'image/webp', width: 4096, height: 2048 }],
  ])('reads %s', async (_name, buf, expected) => {
    expect(await readImageInfoFromBuffer(buf)).toEqual(expected);
  });

  it('rejects other bytes and keeps unknown dimensions null', async () => {
    expect(await readImageInfoFromBuffer(Buffer.from('GIF89a...'))).toBeNull();
    expect(await readImageInfoFromBuffer(Buffer.alloc(0))).toBeNull();
    expect(await readImageInfoFromBuffer(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toEqual({
      mime: 'image/jpeg',
      width: null,
      height: null,
    });
  });
});
