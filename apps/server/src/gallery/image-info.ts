import type { FileHandle } from 'node:fs/promises';

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageInfo {
  mime: ImageMime;
  width: number | null;
  height: number | null;
}

export const EXTENSION: Record<ImageMime, 'png' | 'jpg' | 'webp'> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

type ReadAt = (pos: number, len: number) => Promise<Buffer>;

/** Type from magic bytes and dimensions from the header (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X). */
export async function readImageInfo(fh: FileHandle): Promise<ImageInfo | null> {
  const readAt: ReadAt = async (pos, len) => {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  };
  return sniffImage(readAt);
}

/** Same as `readImageInfo` over an in-memory buffer (tests, small payloads). */
export function readImageInfoFromBuffer(buf: Buffer): Promise<ImageInfo | null> {
  return sniffImage((pos, len) => Promise.resolve(buf.subarray(pos, pos + len)));
}

async function sniffImage(readAt: ReadAt): Promise<ImageInfo | null> {
  const head = await readAt(0, 32);
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return pngInfo(head);
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return jpegInfo(readAt);
  if (
    head.length >= 12 &&
    head.toString('latin1', 0, 4) === 'RIFF' &&
    head.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return webpInfo(head);
  }
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngInfo(head: Buffer): ImageInfo {
  const ok = head.length >= 24 && head.toString('latin1', 12, 16) === 'IHDR';
  return {
    mime: 'image/png',
    width: ok ? head.readUInt32BE(16) : null,
    height: ok ? head.readUInt32BE(20) : null,
  };
}

// SOF markers carry dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

async function jpegInfo(readAt: ReadAt): Promise<ImageInfo> {
  const none: ImageInfo = { mime: 'image/jpeg', width: null, height: null };
  let pos = 2;
  // Bounded walk: a corrupt length could otherwise loop for a long time.
  for (let i = 0; i < 1000; i++) {
    const seg = await readAt(pos, 9);
    if (seg.length < 4 || seg[0] !== 0xff) return none;
    const marker = seg[1] ?? 0;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return none;
    if (isSof(marker)) {
      if (seg.length < 9) return none;
      return { mime: 'image/jpeg', height: seg.readUInt16BE(5), width: seg.readUInt16BE(7) };
    }
    pos += 2 + seg.readUInt16BE(2);
  }
  return none;
}

function webpInfo(head: Buffer): ImageInfo {
  const chunk = head.toString('latin1', 12, 16);
  const none: ImageInfo = { mime: 'image/webp', width: null, height: null };
  if (chunk === 'VP8 ' && head.length >= 30) {
    return {
      mime: 'image/webp',
      width: head.readUInt16LE(26) & 0x3fff,
      height: head.readUInt16LE(28) & 0x3fff,
    };
  }
  if (chunk === 'VP8L' && head.length >= 25 && head[20] === 0x2f) {
    const b1 = head[21] ?? 0;
    const b2 = head[22] ?? 0;
    const b3 = head[23] ?? 0;
    const b4 = head[24] ?? 0;
    return {
      mime: 'image/webp',
      width: 1 + (b1 | ((b2 & 0x3f) << 8)),
      height: 1 + ((b2 >> 6) | (b3 << 2) | ((b4 & 0x0f) << 10)),
    };
  }
  if (chunk === 'VP8X' && head.length >= 30) {
    return { mime: 'image/webp', width: 1 + head.readUIntLE(24, 3), height: 1 + head.readUIntLE(27, 3) };
  }
  return none;
}
