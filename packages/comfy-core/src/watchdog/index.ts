export { backoffDelay } from './backoff.ts';
export { createWatchdog } from './watchdog.ts';
export type {
  Watchdog,
  WatchdogInfo,
  WatchdogOptions,
  WatchdogStateChange,
  WatchdogTimers,
} from './types.ts';
