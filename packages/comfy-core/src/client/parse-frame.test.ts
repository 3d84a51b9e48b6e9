import { describe, expect, it } from 'vitest';
import { parseBinaryFrame, parseTextFrame } from './parse-frame.ts';

// Frames copied from the recorded transcripts of a real ComfyUI 0.3.64.
const PID = 'daea214e-99b2-4aaa-9c88-f400003ff0ee';

describe('parseTextFrame', () => {
  it('parses the recorded text frames', () => {
    expect(
      parseTextFrame(
        '{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "observer"}}',
      ),
    ).toEqual({
      type: 'status',
      queue_remaining: 0,
      sid: 'observer',
    });
    expect(
      parseTextFrame(
        `{"type": "executing", "data": {"node": "2", "display_node": "2", "prompt_id": "${PID}"}}`,
      ),
    ).toEqual({
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
      parseTextFrame(
        `{"type": "executed", "data": {"node": "2", "display_node": "2", "output": {"images": [{"filename": "test_00001_.png", "subfolder": "", "type": "output"}]}, "prompt_id": "${PID}"}}`,
      ),
    ).toMatchObject({ type: 'executed', node: '2', output: { images: [{ filename: 'test_00001_.png' }] } });
    expect(
      parseTextFrame(
        `{"type": "progress", "data": {"value": 1, "max": 3, "prompt_id": "${PID}", "node": "3"}}`,
      ),
    ).toEqual({
      type: 'progress',
      value: 1,
      max: 3,
      node: '3',
      prompt_id: PID,
    });
    expect(
      parseTextFrame(
        `{"type": "execution_cached", "data": {"nodes": ["1","2"], "prompt_id": "${PID}", "timestamp": 1}}`,
      ),
    ).toEqual({
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
      executed: [],
      exception_message: 'boom',
      exception_type: 'RuntimeError',
      traceback: ['a'],
      current_inputs: {},
      current_outputs: [],
      timestamp: 1,
    });
    expect(
      parseTextFrame(
        `{"type": "execution_interrupted", "data": {"prompt_id": "${PID}", "node_id": "3", "node_type": "ImageInvert", "executed": ["2","1"], "timestamp": 1}}`,
      ),
    ).toEqual({
      type: 'execution_interrupted',
      prompt_id: PID,
      node_id: '3',
      node_type: 'ImageInvert',
      executed: ['2', '1'],
      timestamp: 1,
    });
  });

  it('parses progress_state, execution_start, the feature_flags answer and the reconnect executing', () => {
    const ps = parseTextFrame(
      `{"type": "progress_state", "data": {"prompt_id": "${PID}", "nodes": {"1": {"value": 1, "max": 1, "state": "finished", "node_id": "1", "prompt_id": "${PID}", "display_node_id": "1", "parent_node_id": null, "real_node_id": "1"}, "2": {"value": 0, "max": 1, "state": "running", "node_id": "2", "prompt_id": "${PID}", "display_node_id": "2", "parent_node_id": null, "real_node_id": "2"}}}}`,
    );
    expect(ps?.type === 'progress_state' && Object.entries(ps.nodes).map(([id, n]) => [id, n.state])).toEqual(
      [
        ['1', 'finished'],
        ['2', 'running'],
      ],
    );
    expect(
      parseTextFrame(
        `{"type": "execution_start", "data": {"prompt_id": "${PID}", "timestamp": 1795722867228}}`,
      ),
    ).toEqual({
      type: 'execution_start',
      prompt_id: PID,
      timestamp: 1795722867228,
    });
    expect(
      parseTextFrame(
        '{"type": "feature_flags", "data": {"supports_preview_metadata": true, "max_upload_size": 104857600}}',
      ),
    ).toEqual({
      type: 'feature_flags',
      flags: { supports_preview_metadata: true, max_upload_size: 104857600 },
    });
    expect(
      parseTextFrame('{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 1}}}}'),
    ).toEqual({
      type: 'status',
      queue_remaining: 1,
    });
    // Sent to a socket that reconnects while a prompt runs: no prompt_id.
    expect(parseTextFrame('{"type": "executing", "data": {"node": "3"}}')).toEqual({
      type: 'executing',
      node: '3',
    });
  });

  it('passes unknown events through and drops malformed JSON', () => {
    expect(parseTextFrame('{"type": "custom_thing", "data": {"x": 1}}')).toEqual({
      type: 'unknown',
      raw_type: 'custom_thing',
      data: { x: 1 },
    });
    expect(parseTextFrame('{nope')).toBeNull();
    expect(parseTextFrame('42')).toBeNull();
  });
});

const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

describe('parseBinaryFrame', () => {
  it('parses type 1 previews with their format', () => {
    const ev = parseBinaryFrame(new Uint8Array([...u32(1), ...u32(2), 0x89, 0x50]));
    expect(ev).toMatchObject({ type: 'preview', format: 'png', mime: 'image/png' });
    expect(ev).not.toHaveProperty('prompt_id');
    // The recorded latent2rgb frame: 00000001 00000001 ffd8ffe0 (JPEG).
    expect(parseBinaryFrame(new Uint8Array([...u32(1), ...u32(1), 0xff, 0xd8, 0xff, 0xe0]))).toMatchObject({
      format: 'jpeg',
      mime: 'image/jpeg',
    });
    expect(ev?.type === 'preview' && [...ev.data]).toEqual([0x89, 0x50]);
  });

  it('parses the recorded 45-byte type 3 text frame', () => {
    const text = new TextEncoder().encode('width: 24, height: 12\n batch size: 1');
    const frame = new Uint8Array([...u32(3), ...u32(1), 0x32, ...text]);
    expect(frame.byteLength).toBe(45);
    expect(parseBinaryFrame(frame)).toEqual({
      type: 'text',
      node_id: '2',
      text: 'width: 24, height: 12\n batch size: 1',
    });
  });

  it('parses the recorded type 4 frame with its 166-byte metadata', () => {
    const pid = 'e8711f8e-0000-4000-8000-000000000000';
    const meta = new TextEncoder().encode(
      `{"node_id": "3", "prompt_id": "${pid}", "display_node_id": "3", "parent_node_id": null, "real_node_id": "3", "image_type": "image/jpeg"}`,
    );
    expect(meta.byteLength).toBe(166);
    const ev = parseBinaryFrame(new Uint8Array([...u32(4), ...u32(166), ...meta, 0xff, 0xd8, 0xff, 0xe0]));
    expect(ev).toMatchObject({
      type: 'preview',
      format: 'jpeg',
      mime: 'image/jpeg',
      image_type: 'image/jpeg',
      node_id: '3',
      display_node_id: '3',
      prompt_id: pid,
    });
    expect(ev?.type === 'preview' && [...ev.data]).toEqual([0xff, 0xd8, 0xff, 0xe0]);
  });

  it('parses type 4 metadata previews and rejects truncated frames', () => {
    const meta = new TextEncoder().encode(
      JSON.stringify({ node_id: '3', prompt_id: PID, image_type: 'image/jpeg' }),
    );
    const ev = parseBinaryFrame(new Uint8Array([...u32(4), ...u32(meta.byteLength), ...meta, 0xff, 0xd8]));
    expect(ev).toMatchObject({ type: 'preview', mime: 'image/jpeg', prompt_id: PID, node_id: '3' });
    expect(parseBinaryFrame(new Uint8Array([...u32(4), ...u32(999), 1]))).toBeNull();
    expect(parseBinaryFrame(new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0]))).toBeNull();
    const nullMeta = new TextEncoder().encode('null');
    expect(parseBinaryFrame(new Uint8Array([...u32(4), ...u32(4), ...nullMeta, 1]))).toBeNull();
  });
});
