import type { BackendHealth } from '@comfy-gateway/schema';

/** What a server row shows as its state: draining wins over the connection state. */
export function backendStateLabel(b: BackendHealth): string {
  return b.draining ? 'draining' : b.state;
}

/** Load of one server as "running / room", plus what waits in its own queue. */
export function backendLoad(b: BackendHealth): string {
  const running = b.in_flight - b.queue_remaining;
  const waiting = b.queue_remaining > 0 ? `, ${b.queue_remaining} waiting` : '';
  return `${b.in_flight} / ${b.max_in_flight} in flight (${running} running${waiting})`;
}

/** Share of a server's slots in use, 0..100, for the load bar. */
export function backendLoadPercent(b: BackendHealth): number {
  return Math.min(100, Math.round((b.in_flight / b.max_in_flight) * 100));
}
