/**
 * Strings for short byte runs that repeat from event to event (event types, node ids): the same
 * string object again instead of a new one per event. Per process, bounded.
 */
const entries: { bytes: Buffer; text: string }[] = [];
const LIMIT = 256;

/** `buf[from, to)` decoded as UTF-8, from the cache when these bytes were seen before. */
export function cachedString(buf: Buffer, from: number, to: number): string {
  const len = to - from;
  for (const e of entries) {
    if (e.bytes.length !== len) continue;
    let k = 0;
    while (k < len && e.bytes[k] === buf[from + k]) k++;
    if (k === len) return e.text;
  }
  const text = buf.toString('utf8', from, to);
  if (entries.length < LIMIT) entries.push({ bytes: Buffer.from(buf.subarray(from, to)), text });
  return text;
}
