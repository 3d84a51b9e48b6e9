import type { ComfyEvent, NodeProgress } from './events.ts';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const stamp = (d: Obj) => (typeof d['timestamp'] === 'number' ? { timestamp: d['timestamp'] } : {});

/** Parses a text frame `{"type", "data"}`; malformed JSON gives null (logged by the caller). */
export function parseTextFrame(text: string): ComfyEvent | null {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') return null;
  const type = str((msg as Obj)['type']) ?? '';
  const d = ((msg as Obj)['data'] ?? {}) as Obj;
  const promptId = str(d['prompt_id']) ?? '';
  switch (type) {
    case 'status': {
      const info = ((d['status'] as Obj | undefined)?.['exec_info'] ?? {}) as Obj;
      const sid = str(d['sid']);
      return { type, queue_remaining: num(info['queue_remaining']), ...(sid ? { sid } : {}) };
    }
    case 'execution_start':
    case 'execution_success':
      return { type, prompt_id: promptId, ...stamp(d) };
    case 'execution_cached':
      return { type, prompt_id: promptId, nodes: strings(d['nodes']) };
    case 'executing': {
      const display = str(d['display_node']);
      return {
        type,
        node: strOrNull(d['node']),
        ...(str(d['prompt_id']) ? { prompt_id: promptId } : {}),
        ...(display ? { display_node: display } : {}),
      };
    }
    case 'progress':
      return {
        type,
        node: strOrNull(d['node']),
        value: num(d['value']),
        max: num(d['max'], 1),
        ...(str(d['prompt_id']) ? { prompt_id: promptId } : {}),
      };
    case 'progress_state':
      return { type, prompt_id: promptId, nodes: (d['nodes'] ?? {}) as Record<string, NodeProgress> };
    case 'executed': {
      const display = str(d['display_node']);
      const output = d['output'] && typeof d['output'] === 'object' ? (d['output'] as Obj) : null;
      return {
        type,
        prompt_id: promptId,
        node: strOrNull(d['node']) ?? '',
        output,
        ...(display ? { display_node: display } : {}),
      };
    }
    case 'execution_error':
      return {
        type,
        prompt_id: promptId,
        node_id: strOrNull(d['node_id']),
        node_type: strOrNull(d['node_type']),
        executed: strings(d['executed']),
        exception_message: str(d['exception_message']) ?? 'execution failed',
        exception_type: str(d['exception_type']) ?? 'Exception',
        traceback: strings(d['traceback']),
        current_inputs:
          d['current_inputs'] && typeof d['current_inputs'] === 'object' ? (d['current_inputs'] as Obj) : {},
        current_outputs: d['current_outputs'] ?? null,
        ...stamp(d),
      };
    case 'execution_interrupted':
      return {
        type,
        prompt_id: promptId,
        node_id: strOrNull(d['node_id']),
        node_type: strOrNull(d['node_type']),
        executed: strings(d['executed']),
        ...stamp(d),
      };
    case 'feature_flags':
      return { type, flags: d };
    default:
      return { type: 'unknown', raw_type: type, data: d };
  }
}

// Type 1's second word is ComfyUI's format code: 1 = JPEG, 2 = PNG (comfy/cli_args + server.py).
const PREVIEW_FORMATS: Record<number, string> = { 1: 'jpeg', 2: 'png' };
const formatOf = (mime: string) => mime.replace(/^image\//, '') || 'jpeg';

/** Parses a binary frame: 4-byte big-endian type, then the type's payload. */
export function parseBinaryFrame(buf: Uint8Array): ComfyEvent | null {
  if (buf.byteLength < 8) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const kind = view.getUint32(0);
  if (kind === 1) {
    const format = PREVIEW_FORMATS[view.getUint32(4)] ?? 'jpeg';
    return { type: 'preview', format, mime: `image/${format}`, data: buf.subarray(8) };
  }
  if (kind === 3) {
    const len = view.getUint32(4);
    if (8 + len > buf.byteLength) return null;
    const dec = new TextDecoder();
    return {
      type: 'text',
      node_id: dec.decode(buf.subarray(8, 8 + len)),
      text: dec.decode(buf.subarray(8 + len)),
    };
  }
  if (kind === 4) {
    const len = view.getUint32(4);
    if (8 + len > buf.byteLength) return null;
    let meta: Obj;
    try {
      meta = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + len))) as Obj;
    } catch {
      return null;
    }
    if (!meta || typeof meta !== 'object') return null;
    const promptId = str(meta['prompt_id']);
    const nodeId = str(meta['node_id']);
    const displayId = str(meta['display_node_id']);
    const imageType = str(meta['image_type']);
    const mime = imageType ?? 'image/jpeg';
    return {
      type: 'preview',
      format: formatOf(mime),
      mime,
      data: buf.subarray(8 + len),
      ...(promptId ? { prompt_id: promptId } : {}),
      ...(nodeId ? { node_id: nodeId } : {}),
      ...(displayId ? { display_node_id: displayId } : {}),
      ...(imageType ? { image_type: imageType } : {}),
    };
  }
  return null;
}
