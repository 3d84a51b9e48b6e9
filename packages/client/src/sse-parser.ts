/** One dispatched Server-Sent Event. */
export interface SseMessage {
  type: 'event';
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event id seen on this stream so far (ids persist across events, as in EventSource). */
  id: string;
}

/** Everything a stream can carry: events, `retry:` hints and comments (heartbeats). */
export type SseItem = SseMessage | { type: 'retry'; ms: number } | { type: 'comment'; text: string };

export interface SseParser {
  /** Feeds decoded text (any chunking, even mid-line or between CR and LF); returns what completed. */
  feed(text: string): SseItem[];
  /** The id of the last complete event, kept across `reset()` so a reconnect can send it. */
  readonly lastEventId: string;
  /** Drops a half-received event, as a new connection must. */
  reset(): void;
}

/**
 * A push parser for the `text/event-stream` format (WHATWG HTML §9.2.6): CRLF, LF or CR line
 * ends, comments, multi-line data, persistent ids and `retry`. Pure: no I/O, no timers.
 */
export function createSseParser(opts: { lastEventId?: string } = {}): SseParser {
  let buffer = '';
  // A chunk that ended in CR may be followed by the LF of the same CRLF.
  let skipLeadingLf = false;
  let data: string[] = [];
  let eventType = '';
  let lastEventId = opts.lastEventId ?? '';
  // An `id:` only counts once its event is complete: a frame cut before its blank line is resent.
  let idBuffer = lastEventId;

  function processLine(line: string, out: SseItem[]): void {
    if (line === '') {
      lastEventId = idBuffer;
      if (data.length > 0)
        out.push({ type: 'event', event: eventType || 'message', data: data.join('\n'), id: lastEventId });
      data = [];
      eventType = '';
      return;
    }
    if (line.startsWith(':')) {
      out.push({ type: 'comment', text: line.slice(1).replace(/^ /, '') });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventType = value;
    else if (field === 'id') {
      if (!value.includes('\0')) idBuffer = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) out.push({ type: 'retry', ms: Number(value) });
  }

  return {
    feed(text) {
      const out: SseItem[] = [];
      if (skipLeadingLf && text !== '') {
        skipLeadingLf = false;
        if (text.startsWith('\n')) text = text.slice(1);
      }
      buffer += text;
      let start = 0;
      for (;;) {
        const cr = buffer.indexOf('\r', start);
        const lf = buffer.indexOf('\n', start);
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        if (end === -1) break;
        processLine(buffer.slice(start, end), out);
        if (buffer[end] === '\r') {
          if (end + 1 === buffer.length) {
            skipLeadingLf = true;
            start = end + 1;
            break;
          }
          start = buffer[end + 1] === '\n' ? end + 2 : end + 1;
        } else start = end + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    get lastEventId() {
      return lastEventId;
    },
    reset() {
      buffer = '';
      idBuffer = lastEventId;
      skipLeadingLf = false;
      data = [];
      eventType = '';
    },
  };
}

/**
 * Reads a byte stream of `text/event-stream` into items. UTF-8 is decoded across chunk
 * boundaries; `onChunk` runs for every chunk received (idle detection).
 */
export async function* readSseStream(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  onChunk?: () => void,
): AsyncGenerator<SseItem, void, undefined> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
  } finally {
    // Cancelling tells fetch to drop the connection when the consumer stops early.
    await reader.cancel().catch(() => undefined);
  }
}
