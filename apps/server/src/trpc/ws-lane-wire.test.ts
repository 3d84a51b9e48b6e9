import { shareAcrossSubscribers, trpcTransformer } from '@comfy-gateway/api';
import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { sharedEventEncoder } from './ws-encoder.ts';
import { dataPrefix, framePayload, trackedDataFrame } from './ws-lane-wire.ts';

// ws's frame parser (exported at run time, absent from @types/ws).
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  write(bytes: Buffer): void;
}
const { Receiver } = wsModule as unknown as { Receiver: new (o: { isServer: boolean }) => FrameReceiver };

/** What a `ws` client reads from the bytes: the text of each message. */
function readFrames(bytes: Buffer): string[] {
  const texts: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false);
    texts.push(data.toString());
  });
  receiver.write(bytes);
  return texts;
}

describe('lane data frames', () => {
  it('are the message tRPC’s adapter would send, framed for every payload length', () => {
    for (const size of [10, 60, 200, 65_400, 70_000]) {
      const event = shareAcrossSubscribers({ type: 'status', text: 'é'.repeat(size / 2), at: new Date(1) });
      const frames = [
        trackedDataFrame(dataPrefix(5, undefined), '7', event),
        trackedDataFrame(dataPrefix('a"b', '2.0'), '7', event),
      ];
      // The adapter's message for the same event and our encoder's bytes for it.
      const data = trpcTransformer.output.serialize({ id: '7', data: event }) as unknown;
      const expected = [
        sharedEventEncoder.encode({ id: 5, result: { type: 'data', data, id: '7' } }),
        sharedEventEncoder.encode({ id: 'a"b', jsonrpc: '2.0', result: { type: 'data', data, id: '7' } }),
      ];
      expect(readFrames(Buffer.concat(frames))).toEqual(expected);
      expect(frames.map((f) => framePayload(f).toString())).toEqual(expected);
    }
  });

  it('makes the shared part once per event and id', () => {
    const event = shareAcrossSubscribers({ type: 'done' });
    const a = trackedDataFrame(dataPrefix(1, undefined), '3', event);
    const b = trackedDataFrame(dataPrefix(1, undefined), '3', event);
    expect(a.equals(b)).toBe(true);
    // A notice under another subscriber's last id carries that id.
    const other = framePayload(trackedDataFrame(dataPrefix(1, undefined), '2', event)).toString();
    expect(JSON.parse(other)).toMatchObject({ result: { id: '2', data: { json: { id: '2' } } } });
  });
});
