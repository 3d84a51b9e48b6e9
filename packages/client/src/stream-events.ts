import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

type ImagesEvent = Extract<StreamEvent, { type: 'images' }>;

/** Reads a payload that lacks its `type` (older servers sent bare snapshots) by the SSE event name. */
function fromPayload(eventName: string, data: unknown): StreamEvent | null {
  switch (eventName) {
    case 'status':
    case 'done': {
      const snapshot = isRecord(data) && isRecord(data['snapshot']) ? data['snapshot'] : data;
      return isRecord(snapshot) && typeof snapshot['prompt_id'] === 'string'
        ? { type: eventName, snapshot: snapshot as JobSnapshot }
        : null;
    }
    case 'images': {
      const images = Array.isArray(data) ? data : isRecord(data) ? data['images'] : null;
      if (!Array.isArray(images)) return null;
      const node = isRecord(data) && typeof data['node'] === 'string' ? data['node'] : null;
      return { type: 'images', node, images: images as ImagesEvent['images'] };
    }
    case 'preview':
      if (!isRecord(data) || typeof data['data'] !== 'string') return null;
      return {
        type: 'preview',
        node: typeof data['node'] === 'string' ? data['node'] : null,
        mime: typeof data['mime'] === 'string' ? data['mime'] : 'image/jpeg',
        data: data['data'],
      };
    case 'warning':
    case 'error':
      if (!isRecord(data)) return null;
      return {
        type: eventName,
        code: typeof data['code'] === 'string' ? data['code'] : eventName.toUpperCase(),
        message:
          typeof data['message'] === 'string'
            ? data['message']
            : typeof data['code'] === 'string'
              ? data['code']
              : eventName,
        ...(eventName === 'error' && 'details' in data ? { details: data['details'] } : {}),
      };
    default:
      return isRecord(data) ? ({ type: eventName, ...data } as StreamEvent) : null;
  }
}

/**
 * One SSE message as a `StreamEvent`: the whole event (`{type, ...}`, what the gateway sends) or
 * only its payload, typed by the SSE event name. Null for what cannot be read.
 */
export function toStreamEvent(eventName: string, raw: string): StreamEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (isRecord(data) && typeof data['type'] === 'string') return data as StreamEvent;
  return fromPayload(eventName, data);
}
