import { sharedJsonOf } from '@comfy-gateway/api';

/** The tRPC WebSocket adapter's encoder contract (`experimental_encoder`). */
export interface WsEncoder {
  encode(data: unknown): string;
  decode(data: unknown): unknown;
}

const comma = (objectJson: string): string => (objectJson === '{}' ? '{' : `${objectJson.slice(0, -1)},`);

/**
 * A subscription's data message whose payload is a shared event: the envelope (ids differ per
 * subscriber) is stringified here and the payload's JSON text, made once per event, spliced in.
 */
function encodeSharedData(msg: Record<string, unknown>): string | undefined {
  const result = msg['result'];
  if (typeof result !== 'object' || result === null) return undefined;
  const { data, ...resultRest } = result as Record<string, unknown>;
  const text = sharedJsonOf(data);
  if (text === undefined) return undefined;
  const { result: _result, ...rest } = msg;
  return `${comma(JSON.stringify(rest))}"result":${comma(JSON.stringify(resultRest))}"data":${text}}}`;
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
