import { createHash, randomBytes } from 'node:crypto';
import type { TrpcFacts } from './trpc-scan.ts';
import { readTrpcJson, scanTrpcMessage } from './trpc-scan.ts';
import { newFacts } from './event-scan.ts';
import { headThenBody, requestHead } from './http-head.ts';
import { connectRaw } from './raw-socket.ts';
import type { Subscription } from './subscription.ts';
import { OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, WsFrameDecoder, maskedFrame } from './ws-frames.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const PING = Buffer.from('PING');

/**
 * One WebSocket to `/trpc` on a raw socket (upgrade and frames done here, no compression) with a
 * `comfy.onStatus` subscription per entry of `subs` (request ids 1..n). Answers the server's PING
 * (tRPC keep-alive, a text frame) and WebSocket pings; closes once every subscription got `done`.
 * Resolves when every subscription started, failed, or the socket ended.
 */
export function openTrpcSocket(base: string, token: string, subs: Subscription[]): Promise<void> {
  const url = new URL('/trpc', base);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const prompts = subs.map((s) => Buffer.from(s.prompt));
  const promptOf = (id: number) => prompts[id - 1];
  return new Promise((resolve) => {
    let t = 0;
    let settled = 0;
    let finished = 0;
    let closeCode = 1006;
    let closing = false;
    let over = false;
    const msg: TrpcFacts = { sub: NaN, kind: 'other', error: '' };
    const facts = newFacts();
    const send = (op: number, payload: Buffer | string) => {
      if (!socket.destroyed) socket.write(maskedFrame(op, payload));
    };
    const close = (code: number) => {
      if (closing) return;
      closing = true;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      send(OP_CLOSE, payload);
    };
    const endAll = (why: string) => {
      if (over) return;
      over = true;
      for (const s of subs) s.end(why);
      socket.destroy();
      resolve();
    };
    const settle = () => {
      if (++settled === subs.length) resolve();
    };
    const decoder = new WsFrameDecoder((op, buf, from, to) => {
      if (op === OP_PING) return send(OP_PONG, Buffer.from(buf.subarray(from, to)));
      if (op === OP_CLOSE) {
        if (to - from >= 2) closeCode = buf.readUInt16BE(from);
        close(closeCode === 1005 || closeCode === 1006 ? 1000 : closeCode);
        return void socket.end();
      }
      if (op !== OP_TEXT) return;
      if (to - from === PING.length && buf.compare(PING, 0, PING.length, from, to) === 0)
        return send(OP_TEXT, 'PONG');
      if (!scanTrpcMessage(buf, from, to, promptOf, msg, facts))
        readTrpcJson(buf.toString('utf8', from, to), promptOf, msg, facts);
      const sub = subs[msg.sub - 1];
      if (!sub) return;
      if (msg.kind === 'started') settle();
      else if (msg.kind === 'error') {
        sub.end(`tRPC error: ${msg.error}`);
        settle();
      } else if (msg.kind === 'stopped') sub.end();
      else if (msg.kind === 'data' && sub.event(facts, t) && ++finished === subs.length) close(1000);
    });
    const read = headThenBody(
      (head, acc) => {
        if (head.status !== 101) return endAll(`WebSocket upgrade answered HTTP ${head.status}`);
        if (head.headers.get('sec-websocket-accept') !== accept)
          return endAll('WebSocket upgrade: wrong Sec-WebSocket-Accept');
        socket.write(
          Buffer.concat(subs.map((s, i) => maskedFrame(OP_TEXT, subscribeMessage(i + 1, s.prompt)))),
        );
        decoder.feed(acc, head.length, acc.length);
      },
      (buf, from, to) => decoder.feed(buf, from, to),
    );
    const socket = connectRaw(url, (buf, n, readAt) => {
      t = readAt;
      read(buf, n);
    });
    socket.on('connect', () =>
      socket.write(
        requestHead('GET', url.pathname, {
          Host: url.host,
          Authorization: `Bearer ${token}`,
          Upgrade: 'websocket',
          Connection: 'Upgrade',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Version': '13',
        }),
      ),
    );
    socket.on('error', (err) => endAll(err.message));
    socket.on('close', () => endAll(`WebSocket closed before done (code ${closeCode})`));
  });
}

function subscribeMessage(id: number, promptId: string): string {
  return JSON.stringify({
    id,
    method: 'subscription',
    params: { path: 'comfy.onStatus', input: { json: { prompt_id: promptId } } },
  });
}
