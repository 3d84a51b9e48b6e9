import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_UPLOAD_BYTES } from '../state.ts';

/** An HTTP error answered in aiohttp's plain-text style. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body = '',
  ) {
    super(`HTTP ${status}`);
  }
}

export const AIOHTTP_500 = '500 Internal Server Error\n\nServer got itself in trouble';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  const buf = Buffer.from(text);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': buf.length });
  res.end(buf);
}

/** `web.Response(status=...)`: no body and no content type. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  const buf = Buffer.from(text);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': buf.length });
  res.end(buf);
}

/** Reads the whole body, answering 413 past client_max_size like aiohttp. */
export async function readBody(req: IncomingMessage, limit = MAX_UPLOAD_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooBig = (size: number) =>
    new HttpError(413, `Maximum request body size ${limit} exceeded, actual body size ${size}`);
  if (declared > limit) throw tooBig(declared);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooBig(size);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `await request.json()`: malformed JSON is an unhandled exception, hence aiohttp's 500. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(500, AIOHTTP_500);
  }
}
