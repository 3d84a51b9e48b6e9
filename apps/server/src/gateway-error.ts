// The one domain error lives in comfy-core; the server re-exports it for its own modules.
export { GatewayError, isGatewayError } from '@comfy-gateway/comfy-core';
