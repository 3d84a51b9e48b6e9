import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError, isGatewayError } from '@comfy-gateway/schema';
import type { ErrorCode } from '@comfy-gateway/schema';

/** Runs one call on the instance that serves (the lease holder); a thrown GatewayError travels back as is. */
export type RpcHandler = (op: string, args: unknown) => Promise<unknown>;

interface RpcRequest {
  id: string;
  replyTo: string;
  op: string;
  args: unknown;
}

interface RpcReply {
  id: string;
  value?: unknown;
  error?: { code: ErrorCode; message: string; details?: unknown };
}

export interface HolderRpcOptions {
  /** A connection for PUBLISH; a duplicate of it subscribes. */
  redis: Redis;
  /** The channel requests go to; replies go to `<channel>:reply:<instanceId>`. */
  channel: string;
  instanceId: string;
  /** How long a caller waits for the answer (default 10 s). */
  timeoutMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Calls from any instance to the one that currently serves (the dispatch lease holder), over Redis
 * pub/sub: a request names its reply channel; nobody subscribed (no holder now) is known at once
 * from PUBLISH's receiver count. At most one instance serves at a time (the lease decides who).
 */
export function createHolderRpc(o: HolderRpcOptions) {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const replyTo = `${o.channel}:reply:${o.instanceId}`;
  const sub = o.redis.duplicate({ enableOfflineQueue: true });
  sub.on('error', (err: unknown) => o.onError?.(err));
  const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let handler: RpcHandler | null = null;
  const listening = sub.subscribe(replyTo);

  const answer = async (req: RpcRequest) => {
    const reply: RpcReply = { id: req.id };
    try {
      if (!handler) throw new GatewayError('COMFY_UNAVAILABLE', 'this instance no longer holds the lease');
      reply.value = await handler(req.op, req.args);
    } catch (err) {
      reply.error = isGatewayError(err)
        ? { code: err.code, message: err.message, details: err.details }
        : { code: 'INTERNAL', message: 'the lease holder failed on this call' };
      if (!isGatewayError(err)) o.onError?.(err);
    }
    await o.redis.publish(req.replyTo, JSON.stringify(reply)).catch((err: unknown) => o.onError?.(err));
  };

  sub.on('message', (channel: string, raw: string) => {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch (err) {
      return o.onError?.(err);
    }
    if (channel === o.channel) return void answer(msg as RpcRequest);
    const reply = msg as RpcReply;
    const w = waiting.get(reply.id);
    if (!w) return;
    waiting.delete(reply.id);
    if (reply.error) w.reject(new GatewayError(reply.error.code, reply.error.message, reply.error.details));
    else w.resolve(reply.value);
  });

  return {
    /**
     * Runs `op` on the holder. COMFY_UNAVAILABLE when no instance serves now (a handover) or none
     * answers in time; REDIS_UNAVAILABLE when Redis cannot be reached.
     */
    async call(op: string, args: unknown, opts: { timeoutMs?: number } = {}): Promise<unknown> {
      const req: RpcRequest = { id: randomUUID(), replyTo, op, args };
      let receivers: number;
      try {
        await listening;
        receivers = await o.redis.publish(o.channel, JSON.stringify(req));
      } catch (err) {
        throw new GatewayError('REDIS_UNAVAILABLE', 'Redis is not reachable; retry shortly', undefined, {
          cause: err,
        });
      }
      if (receivers === 0)
        throw new GatewayError(
          'COMFY_UNAVAILABLE',
          'no gateway instance follows the ComfyUI servers right now (a lease handover takes up to 10 s); retry',
        );
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(req.id);
          reject(
            new GatewayError(
              'COMFY_UNAVAILABLE',
              'the instance that follows the ComfyUI servers did not answer in time',
            ),
          );
        }, opts.timeoutMs ?? timeoutMs);
        waiting.set(req.id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },

    /** Starts answering calls (on taking the lease); `stopServing` ends it (on losing it). */
    async serve(h: RpcHandler): Promise<void> {
      handler = h;
      await sub.subscribe(o.channel);
    },
    async stopServing(): Promise<void> {
      handler = null;
      await sub.unsubscribe(o.channel).catch((err: unknown) => o.onError?.(err));
    },
    /** Resolves once replies can be received (subscribed). */
    ready: (): Promise<unknown> => listening,
    async close(): Promise<void> {
      handler = null;
      for (const w of waiting.values()) w.reject(new GatewayError('COMFY_UNAVAILABLE', 'shutting down'));
      waiting.clear();
      if (sub.status === 'ready') await sub.quit().catch(() => sub.disconnect());
      else sub.disconnect();
    },
  };
}

export type HolderRpc = ReturnType<typeof createHolderRpc>;
