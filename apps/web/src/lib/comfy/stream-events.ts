import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobSnapshot, StreamEvent, StreamEventType } from '@comfy-gateway/schema';

export const STREAM_EVENT_TYPES: readonly StreamEventType[] = [
  'status',
  'images',
  'preview',
  'warning',
  'error',
  'done',
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One SSE message as a StreamEvent. The server may send the whole event (`{type, ...}`) or only
 * its payload (a JobSnapshot for `status`/`done`); both are accepted.
 */
export function toStreamEvent(type: StreamEventType, raw: string): StreamEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(data) && !Array.isArray(data)) return null;
  if (isRecord(data) && data['type'] === type) return data as StreamEvent;
  switch (type) {
    case 'status':
    case 'done': {
      const snapshot = isRecord(data) && isRecord(data['snapshot']) ? data['snapshot'] : data;
      return isRecord(snapshot) && typeof snapshot['prompt_id'] === 'string'
        ? { type, snapshot: snapshot as JobSnapshot }
        : null;
    }
    case 'images': {
      const images = Array.isArray(data) ? data : isRecord(data) ? data['images'] : null;
      if (!Array.isArray(images)) return null;
      const node = isRecord(data) && typeof data['node'] === 'string' ? data['node'] : null;
      return { type, node, images: images as Extract<StreamEvent, { type: 'images' }>['images'] };
    }
    case 'preview':
      if (!isRecord(data) || typeof data['data'] !== 'string') return null;
      return {
        type,
        node: typeof data['node'] === 'string' ? data['node'] : null,
        mime: typeof data['mime'] === 'string' ? data['mime'] : 'image/jpeg',
        data: data['data'],
      };
    case 'warning':
    case 'error':
      if (!isRecord(data)) return null;
      return {
        type,
        code: typeof data['code'] === 'string' ? data['code'] : type.toUpperCase(),
        message: typeof data['message'] === 'string' ? data['message'] : String(data['code'] ?? type),
        ...(type === 'error' && 'details' in data ? { details: data['details'] } : {}),
      } as StreamEvent;
  }
}

/** A snapshot for a stream that ended without a `done` event. */
export function unknownSnapshot(promptId: string, message: string): JobSnapshot {
  return { prompt_id: promptId, status: 'unknown', error: { message } };
}

export const isFinal = (s: JobSnapshot): boolean => isFinalJobStatus(s.status);
