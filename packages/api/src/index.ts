export { appRouter } from './router.ts';
export type { AppRouter } from './router.ts';
export { createCallerFactory } from './init.ts';
export { shareAcrossSubscribers, sharedJsonOf, transformer as trpcTransformer } from './serialize-once.ts';
export { isListenable, listenable, listenTo } from './listenable.ts';
export type { ListenableSubscription, SubscriptionSink } from './listenable.ts';
export { createContextInner } from './context.ts';
export type { Context } from './context.ts';
export { ERROR_TRPC_CODE, gatewayCodeOf, httpStatusOfTrpcCode, rpcCodeOf } from './error-codes.ts';
export type {
  AuthServices,
  AuthenticatedCredential,
  CachedValue,
  CallContext,
  Caller,
  ComfyServices,
  GalleryServices,
  PromptStream,
  Services,
  StreamItem,
} from './services.ts';
