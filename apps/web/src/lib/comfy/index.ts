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
export { withRetry, backoffDelay, isRetryable, DEFAULT_RETRY_POLICY } from '@comfy-gateway/client';
export type { RetryPolicy } from '@comfy-gateway/client';
