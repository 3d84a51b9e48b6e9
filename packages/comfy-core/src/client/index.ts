export { createComfyClient, MAX_HISTORY_PAGE } from './comfy-client.ts';
export type { ComfyClient, ComfyClientOptions } from './comfy-client.ts';
export { createComfySocket } from './socket.ts';
export type { ComfySocket, ComfySocketOptions, WebSocketCtor, WebSocketLike } from './socket.ts';
export { parseBinaryFrame, parseTextFrame } from './parse-frame.ts';
export type { ComfyEvent, ComfyEventType, NodeProgress } from './events.ts';
export type { FetchLike } from './request.ts';
export type { SystemStats } from './upstream-schemas.ts';
