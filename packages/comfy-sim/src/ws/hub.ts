import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { originRejected } from '../http/origin.ts';
import { SERVER_FEATURES, type FaultState, type StatsState } from '../state.ts';

export interface HubDeps {
  faults: FaultState;
  stats: StatsState;
  queueRemaining: () => number;
  /** The node id to re-announce when `sid` owns the running prompt (reconnect message). */
  executingNodeFor: (sid: string) => string | null;
}

/** The sid → socket map and every send rule of PromptServer (comfy-protocol.md §2). */
export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly bySid = new Map<string, WebSocket>();
  private readonly open = new Set<WebSocket>();
  private readonly flags = new Map<string, Record<string, unknown>>();

  constructor(private readonly deps: HubDeps) {}

  get connections(): number {
    return this.open.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') return refuse('404 Not Found');
    if (originRejected(req)) return refuse('403 Forbidden');
    if (this.deps.faults.rejectWs) return refuse('503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url.searchParams.get('clientId')));
  }

  private accept(ws: WebSocket, clientId: string | null): void {
    const sid = clientId || randomUUID().replace(/-/g, '');
    this.deps.stats.wsConnectionsTotal++;
    this.open.add(ws);
    // 0.3.64: a second socket with the same sid replaces the first, whose sends then stop.
    this.bySid.set(sid, ws);
    this.flags.set(sid, {});
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.open.delete(ws);
      // Only remove our own entry: upstream's cleanup bug (dropping the replacement) is not copied.
      if (this.bySid.get(sid) === ws) {
        this.bySid.delete(sid);
        this.flags.delete(sid);
      }
    });
    let first = true;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary || !first) return;
      first = false;
      this.onFirstMessage(sid, ws, data);
    });
    this.sendTo(ws, JSON.stringify({ type: 'status', data: { status: this.statusInfo(), sid } }));
    const node = this.deps.executingNodeFor(sid);
    if (node !== null) this.sendTo(ws, JSON.stringify({ type: 'executing', data: { node } }));
  }

  private onFirstMessage(sid: string, ws: WebSocket, data: RawData): void {
    let msg: unknown;
    try {
      msg = JSON.parse(new TextDecoder().decode(Array.isArray(data) ? Buffer.concat(data) : data));
    } catch {
      return;
    }
    const m = msg as { type?: unknown; data?: unknown };
    if (m?.type !== 'feature_flags') return;
    if (this.bySid.get(sid) === ws) {
      this.flags.set(
        sid,
        typeof m.data === 'object' && m.data !== null ? (m.data as Record<string, unknown>) : {},
      );
    }
    this.sendTo(ws, JSON.stringify({ type: 'feature_flags', data: SERVER_FEATURES }));
  }

  private statusInfo() {
    return { exec_info: { queue_remaining: this.deps.queueRemaining() } };
  }

  private sendTo(ws: WebSocket, payload: string | Buffer): void {
    if (this.deps.faults.silenced || ws.readyState !== ws.OPEN) return;
    ws.send(payload, () => undefined);
  }

  /** Sends to one sid (dropped when not connected) or, with `sid` null, to every mapped socket. */
  send(event: string, data: unknown, sid: string | null): void {
    this.sendRaw(JSON.stringify({ type: event, data }), sid);
  }

  sendBinary(frame: Buffer, sid: string | null): void {
    this.sendRaw(frame, sid);
  }

  private sendRaw(payload: string | Buffer, sid: string | null): void {
    if (sid === null) {
      for (const ws of this.bySid.values()) this.sendTo(ws, payload);
      return;
    }
    const ws = this.bySid.get(sid);
    if (ws) this.sendTo(ws, payload);
  }

  broadcastStatus(): void {
    this.send('status', { status: this.statusInfo() }, null);
  }

  supportsPreviewMetadata(sid: string): boolean {
    return this.flags.get(sid)?.['supports_preview_metadata'] === true;
  }

  /** Kills every socket at once (fault injection and shutdown). */
  terminateAll(): void {
    for (const ws of this.open) ws.terminate();
  }

  close(): void {
    this.terminateAll();
    this.wss.close();
  }
}
