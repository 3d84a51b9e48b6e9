import type { RpcHandler } from '@comfy-gateway/cluster';
import { GatewayError } from '../errors.ts';
import type { DispatchRole } from './dispatch-role.ts';

/** Calls only the dispatching instance can answer (it holds the gateway queue and the sockets). */
type DispatcherOps = Record<string, (args: never) => Promise<unknown>>;

/**
 * One entry point per dispatcher call: run here when this instance dispatches (one process, or
 * the lease holder), else on the holder through Redis. `handler` is what the holder answers.
 * Arguments and answers are plain JSON (callers are `{ id, role }`).
 */
export function routeToDispatcher<T extends DispatcherOps>(role: DispatchRole | null, ops: T) {
  const handler: RpcHandler = (op, args) => {
    if (!Object.hasOwn(ops, op))
      return Promise.reject(new GatewayError('VALIDATION_ERROR', `unknown dispatcher call ${op}`));
    return (ops[op] as (a: unknown) => Promise<unknown>)(args);
  };
  const call = Object.fromEntries(
    Object.keys(ops).map((op) => [
      op,
      (args: unknown) =>
        !role || role.dispatches()
          ? (ops[op] as (a: unknown) => Promise<unknown>)(args)
          : role.call(op, args),
    ]),
  ) as unknown as T;
  return { handler, call };
}
