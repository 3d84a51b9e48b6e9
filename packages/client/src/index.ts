export { createComfyGatewayClient } from './create-client.ts';
export type { ComfyGatewayClient, ComfyGatewayClientOptions } from './create-client.ts';
export { createGatewayRest } from './rest-client.ts';
export type { CallOptions, CancelResult, GatewayRest, IngestUpload, WorkflowInput } from './rest-client.ts';
export type { StreamItem, StreamOptions } from './rest-stream.ts';
export type { ImageDownload } from './images.ts';
export { callTrpc, createGatewayLinks, createGatewayTrpc } from './trpc-client.ts';
export type { GatewayTrpc, GatewayTrpcOptions, WebSocketConstructor } from './trpc-client.ts';
export {
  GatewayClientError,
  errorFromResponse,
  errorMessage,
  fromTrpcError,
  isAuthError,
  parseErrorBody,
} from './errors.ts';
export { DEFAULT_RETRY_POLICY, backoffDelay, isRetryable, withRetry } from './retry.ts';
export type { RetryInfo, RetryOptions, RetryPolicy } from './retry.ts';
export { toStreamEvent } from './stream-events.ts';
export type { GatewayClientErrorCode } from './errors.ts';
export { FetchEventSource } from './event-source.ts';
export type { FetchEventSourceInit } from './event-source.ts';
export { createSseParser, readSseStream } from './sse-parser.ts';
export type { SseItem, SseMessage, SseParser } from './sse-parser.ts';
export type { TokenSource } from './http.ts';
export type {
  ComfyObjectInfo,
  ComfyQueueResponse,
  ComfyStatus,
  ComfyText2ImgResponse,
  ErrorCode,
  Health,
  HistorySummary,
  ImageRef,
  IngestFromComfyInput,
  IngestResult,
  JobSnapshot,
  JobStatus,
  StreamEvent,
  Text2ImgInput,
  Workflow,
} from '@comfy-gateway/schema';
