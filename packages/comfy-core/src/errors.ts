// The domain error is shared with the server and the tRPC layer, so it lives in the schema package.
export { GatewayError, isGatewayError } from '@comfy-gateway/schema';
