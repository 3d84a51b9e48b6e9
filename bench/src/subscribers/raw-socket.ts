import net from 'node:net';

/** Epoch ms with sub-ms precision, comparable across the bench's processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

// One read buffer for every socket of the process: each read is handled before the next one.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * A TCP connection read through the shared buffer (`onread`: no Buffer and no `data` event per
 * read). `onRead` gets the bytes, `buf[0, n)` (valid during the call only), and the time they were
 * read; what it throws destroys the socket with that error.
 */
export function connectRaw(url: URL, onRead: (buf: Buffer, n: number, t: number) => void): net.Socket {
  const socket: net.Socket = net.connect({
    host: url.hostname,
    port: Number(url.port),
    noDelay: true,
    onread: {
      buffer: READ_BUFFER,
      callback(n: number): boolean {
        if (process.env['ZZ_NOP']) return true;
        const t = now();
        try {
          onRead(READ_BUFFER, n, t);
        } catch (err) {
          socket.destroy(err instanceof Error ? err : new Error(String(err)));
        }
        return true; // keep reading
      },
    },
  });
  return socket;
}
