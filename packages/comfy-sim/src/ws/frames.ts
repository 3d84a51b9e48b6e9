/** Binary event types (protocol.BinaryEventTypes). */
export const BinaryEvent = { PREVIEW_IMAGE: 1, TEXT: 3, PREVIEW_IMAGE_WITH_METADATA: 4 } as const;

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};

/** Type 1: [u32 1][u32 format: 1 JPEG, 2 PNG][image bytes]. */
export function previewFrame(png: Buffer): Buffer {
  return Buffer.concat([u32(BinaryEvent.PREVIEW_IMAGE), u32(2), png]);
}

/** Type 4: [u32 4][u32 metadata length][metadata JSON][image bytes]. */
export function previewWithMetadataFrame(meta: Record<string, unknown>, png: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  return Buffer.concat([u32(BinaryEvent.PREVIEW_IMAGE_WITH_METADATA), u32(json.length), json, png]);
}

/** Type 3: [u32 3][u32 node id length][node id][text]. */
export function textFrame(nodeId: string, text: string): Buffer {
  const id = Buffer.from(nodeId);
  return Buffer.concat([u32(BinaryEvent.TEXT), u32(id.length), id, Buffer.from(text)]);
}
