import { ERROR_CODE_BY_STATUS, ERROR_HTTP_STATUS } from '@comfy-gateway/schema';
import type { ErrorCode } from '@comfy-gateway/schema';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODE_NUMBER } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

const TRPC_KEYS = Object.keys(TRPC_ERROR_CODES_BY_KEY) as TRPC_ERROR_CODE_KEY[];

/** The HTTP status tRPC itself gives a code (its own table, read through its public API). */
export function httpStatusOfTrpcCode(key: TRPC_ERROR_CODE_KEY): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code: key }));
}

// PARSE_ERROR shares 400 with BAD_REQUEST; a gateway 400 is a bad request, not unreadable JSON.
const TRPC_KEY_BY_STATUS = new Map<number, TRPC_ERROR_CODE_KEY>(
  TRPC_KEYS.filter((key) => key !== 'PARSE_ERROR')
    .toReversed()
    .map((key) => [httpStatusOfTrpcCode(key), key]),
);

/** Each gateway code's tRPC code: the tRPC code of its status in `ERROR_HTTP_STATUS`. */
export const ERROR_TRPC_CODE = Object.fromEntries(
  (Object.keys(ERROR_HTTP_STATUS) as ErrorCode[]).map((code) => {
    const key = TRPC_KEY_BY_STATUS.get(ERROR_HTTP_STATUS[code]);
    if (!key) throw new Error(`no tRPC code has HTTP status ${ERROR_HTTP_STATUS[code]} (${code})`);
    return [code, key];
  }),
) as Readonly<Record<ErrorCode, TRPC_ERROR_CODE_KEY>>;

/** The JSON-RPC number a gateway code is sent with (`-32004` for NOT_FOUND, not `-32603`). */
export function rpcCodeOf(code: ErrorCode): TRPC_ERROR_CODE_NUMBER {
  return TRPC_ERROR_CODES_BY_KEY[ERROR_TRPC_CODE[code]];
}

/** The gateway code for a tRPC code raised by tRPC itself (bad input, unknown procedure, ...). */
export function gatewayCodeOf(key: TRPC_ERROR_CODE_KEY): ErrorCode {
  // A procedure called with the wrong method is, to a REST-minded caller, no such route.
  if (key === 'METHOD_NOT_SUPPORTED') return 'NOT_FOUND';
  const status = httpStatusOfTrpcCode(key);
  return ERROR_CODE_BY_STATUS[status] ?? (status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL');
}
