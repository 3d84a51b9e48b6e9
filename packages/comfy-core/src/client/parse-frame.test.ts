import { describe, expect, it } from 'vitest';
import { parseBinaryFrame, parseTextFrame } from './parse-frame.ts';

// Frames copied from the recorded transcripts of a real ComfyUI 0.3.64.
const PID = 'daea214e-99b2-4aaa-9c88-f400003ff0ee';

describe('parseTextFrame', () => {
  it('parses the recorded text frames', () => {
    expect(parseTextFrame('{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "observer"}}')).toEqual({
      type: 'status',
      queue_remaining: 0,
      sid: 'observer',
    });
    expect(parseTextFrame(`{"type": "executing", "data": {"node": "2", "display_node": "2", "prompt_id": "${PID}"}}`)).toEqual({
      type: 'executing',
      node: '2',
      display_node: '2',
      prompt_id: PID,
    });
    expect(parseTextFrame(`{"type": "executing", "data": {"node": null, "prompt_id": "${PID}"}}`)).toEqual({
      type: 'executing',
      node: null,
      prompt_id: PID,
    });
    expect(
      parseTextFrame(`{"type": "executed", "data": {"node": "2", "display_node": "2", "output": {"images": [{"filename": "test_00001_.png", "subfolder": "", "type": "output"}]}, "prompt_id": "${PID}"}}`),
    ).toMatchObject({ type: 'executed', node: '2', output: { images: [{ filename: 'test_00001_.png' }] } });
    expect(parseTextFrame(`{"type": "progress", "data": {"value": 1, "max": 3, "prompt_id": "${PID}", "node": "3"}}`)).toEqual({
      type: 'progress',
      value: 1,
      max: 3,
      node: '3',
      prompt_id: PID,
    });
    expect(parseTextFrame(`{"type": "execution_cached", "data": {"nodes": ["1","2"], "prompt_id": "${PID}", "timestamp": 1}}`)).toEqual({
      type: 'execution_cached',
      prompt_id: PID,
      nodes: ['1', '2'],
    });
  });

  it('keeps every field of an execution error and interrupt', () => {
    const err = parseTextFrame(
      `{"type": "execution_error", "data": {"prompt_id": "${PID}", "node_id": "3", "node_type": "ImageBlur", "executed": [], "exception_message": "boom", "exception_type": "RuntimeError", "traceback": ["a"], "current_inputs": {}, "current_outputs": [], "timestamp": 1}}`,
    );
    expect(err).toEqual({
      type: 'execution_error',
      prompt_id: PID,
      node_id: '3',
      node_type: 'ImageBlur',
      exception_message: 'boom',
      exception_type: 'RuntimeError',
      traceback: ['a'],
    });
    expect(
      parseTextFrame(`{"type": "execution_interrupted", "data": {"prompt_id": "${PID}", "node_id": "3", "node_type": "ImageInvert", "executed": ["2","1"], "timestamp": 1}}`),
    ).toEqual({ type: 'execution_interrupted', prompt_id: PID, node_id: '3', node_type: 'ImageInvert', executed: ['2', '1'] });
  });

  it('passes unknown events through and drops malformed JSON', () => {
    expect(parseTextFrame('{"type": "custom_thing", "data": {"x": 1}}')).toEqual({ type: 'unknown', raw_type: 'custom_thing', data: { x: 1 } });
    expect(parseTextFrame('{nope')).toBeNull();
    expect(parseTextFrame('42')).toBeNull();
  });
});

const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

describe('parseBinaryFrame', () => {
  it('parses type 1 previews with their format', () => {
    const ev = parseBinaryFrame(new Uint8Array([...u32(1), ...u32(2), 0x89, 0x50]));
    expect(ev).toMatchObject({ type: 'preview', mime: 'image/png' });
    expect(ev?.type === 'preview' && [...ev.data]).toEqual([0x89, 0x50]);
  });

  it('parses the recorded 45-byte type 3 text frame', () => {
    const text = new TextEncoder().encode('width: 24, height: 12\n batch size: 1');
    const frame = new Uint8Array([...u32(3), ...u32(1), 0x32, ...text]);
    expect(frame.byteLength).toBe(45);
    expect(parseBinaryFrame(frame)).toEqual({ type: 'text', node_id: '2', text: 'width: 24, height: 12\n batch size: 1' });
  });

  it('parses type 4 metadata previews and rejects truncated frames', () => {
    const meta = new TextEncoder().encode(JSON.stringify({ node_id: '3', prompt_id: PID, image_type: 'image/jpeg' }));
    const ev = parseBinaryFrame(new Uint8Array([...u32(4), ...u32(meta.byteLength), ...meta, 0xff, 0xd8]));
    expect(ev).toMatchObject({ type: 'preview', mime: 'image/jpeg', prompt_id: PID, node_id: '3' });
    expect(parseBinaryFrame(new Uint8Array([...u32(4), ...u32(999), 1]))).toBeNull();
    expect(parseBinaryFrame(new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0]))).toBeNull();
  });
});
