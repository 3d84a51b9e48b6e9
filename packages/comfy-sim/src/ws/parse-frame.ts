import { BinaryEvent } from './frames.ts';

export type BinaryFrame =
  | { type: 1; format: number; image: Buffer }
  | { type: 3; nodeId: string; text: string }
  | { type: 4; metadata: Record<string, unknown>; image: Buffer }
  | { type: 'other'; code: number; payload: Buffer };

/** Decodes a server binary frame (protocol §2.5); handy in tests of any package. */
export function parseBinaryFrame(buf: Buffer): BinaryFrame {
  const type = buf.readUInt32BE(0);
  if (type === BinaryEvent.PREVIEW_IMAGE)
    return { type, format: buf.readUInt32BE(4), image: buf.subarray(8) };
  if (type === BinaryEvent.TEXT) {
    const len = buf.readUInt32BE(4);
    return { type, nodeId: buf.toString('utf8', 8, 8 + len), text: buf.toString('utf8', 8 + len) };
  }
  if (type === BinaryEvent.PREVIEW_IMAGE_WITH_METADATA) {
    const len = buf.readUInt32BE(4);
    const metadata = JSON.parse(buf.toString('utf8', 8, 8 + len)) as Record<string, unknown>;
    return { type, metadata, image: buf.subarray(8 + len) };
  }
  return { type: 'other', code: type, payload: buf.subarray(4) };
}
