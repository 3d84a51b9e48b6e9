import { sharedJsonOf } from '@comfy-gateway/api';

/** The tRPC WebSocket adapter's encoder contract (`experimental_encoder`). */
export interface WsEncoder {
  encode(data: unknown): string;
  decode(data: unknown): unknown;
}

// The keys tRPC's adapter writes, quoted once.
const QUOTED: Record<string, string> = {
  id: '"id"',
  jsonrpc: '"jsonrpc"',
  result: '"result"',
  type: '"type"',
  data: '"data"',
};
const quote = (key: string): string => QUOTED[key] ?? JSON.stringify(key);

/** `JSON.stringify(obj)` of a plain object, with the value under `spliceKey` given as JSON text. */
function stringifyWith(obj: Record<string, unknown>, spliceKey: string, spliced: string): string {
  let out = '';
  for (const key in obj) {
    const json = key === spliceKey ? spliced : JSON.stringify(obj[key]);
    if (json === undefined) continue;
    out += `${out === '' ? '{' : ','}${quote(key)}:${json}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

/**
 * A subscription's data message whose payload is a shared event: the envelope (ids differ per
 * subscriber) is written field by field and the payload's JSON text, made once per event, spliced in.
 */
function encodeSharedData(msg: Record<string, unknown>): string | undefined {
  const result = msg['result'];
  if (typeof result !== 'object' || result === null) return undefined;
  const text = sharedJsonOf((result as Record<string, unknown>)['data']);
  if (text === undefined) return undefined;
  return stringifyWith(msg, 'result', stringifyWith(result as Record<string, unknown>, 'data', text));
}

/**
 * JSON in text frames, as tRPC's default, except that subscription events many sockets receive
 * are not stringified once per socket.
 */
export const sharedEventEncoder: WsEncoder = {
  encode(data) {
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      const spliced = encodeSharedData(data as Record<string, unknown>);
      if (spliced !== undefined) return spliced;
    }
    return JSON.stringify(data);
  },
  decode(data) {
    if (typeof data !== 'string') throw new Error('expected a text frame (JSON)');
    return JSON.parse(data) as unknown;
  },
};
