/** The head of an HTTP/1.1 response, as much of it as a bench client needs. */
export interface ResponseHead {
  status: number;
  /** Header names lower-cased, values trimmed (the last one wins). */
  headers: Map<string, string>;
  /** Bytes the head took, the blank line included: the body starts there. */
  length: number;
}

const END = Buffer.from('\r\n\r\n');

/** Parses the response head at the start of `buf`; null while it is incomplete. */
export function parseResponseHead(buf: Buffer): ResponseHead | null {
  const end = buf.indexOf(END);
  if (end < 0) return null;
  const [statusLine = '', ...lines] = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), headers, length: end + END.length };
}

/** A request head with CRLF line ends and the blank line that ends it. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * A raw socket's read handler for an HTTP/1.1 response: the head first (gathered across reads),
 * then `onHead` with the bytes read so far (the body starts at `head.length`), then every later
 * read straight to `onBody`. Read buffers are reused: a partial head is copied.
 */
export function headThenBody(
  onHead: (head: ResponseHead, acc: Buffer) => void,
  onBody: (buf: Buffer, from: number, to: number) => void,
): (buf: Buffer, n: number) => void {
  let head: ResponseHead | null = null;
  let pending: Buffer | null = null;
  return (buf, n) => {
    if (head) return onBody(buf, 0, n);
    const acc: Buffer = pending ? Buffer.concat([pending, buf.subarray(0, n)]) : buf.subarray(0, n);
    head = parseResponseHead(acc);
    if (!head) {
      pending = Buffer.from(acc);
      return;
    }
    pending = null;
    onHead(head, acc);
  };
}
