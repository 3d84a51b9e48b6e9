import type { GatewayClientError } from '@comfy-gateway/client';

type UnauthorizedHandler = (err: GatewayClientError) => void;
let onUnauthorized: UnauthorizedHandler = () => {};

/** Who to tell when any call answers 401 (the layout sends the user to /login). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** The clients' `onError`: passes 401s to the handler. */
export function reportUnauthorized(err: GatewayClientError): void {
  if (err.status === 401) onUnauthorized(err);
}
