export { useComfy } from './use-comfy.ts';
export type {
  Comfy,
  ComfyDeps,
  CompleteHandler,
  IngestInput,
  StreamEventHandler,
  SubscribeOptions,
  Unsubscribe,
} from './use-comfy.ts';
export { withRetry, backoffDelay, isRetryable, parseRetryAfter, DEFAULT_RETRY_POLICY } from './retry.ts';
export type { RetryPolicy } from './retry.ts';
