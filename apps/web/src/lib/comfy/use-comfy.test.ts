import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Notifier, ToastKind } from '../notifications.svelte.ts';
import { useComfy } from './use-comfy.ts';

/** One `text/event-stream` answer the test writes into, as the gateway would. */
class FakeStream {
  static instances: FakeStream[] = [];
  aborted = false;
  cancelled = false;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #nextId = 1;
  readonly body: ReadableStream<Uint8Array>;
  constructor(
    readonly url: string,
    readonly init: RequestInit | undefined,
  ) {
    this.body = new ReadableStream({
      start: (c) => void (this.#controller = c),
      cancel: () => void (this.cancelled = true),
    });
    init?.signal?.addEventListener('abort', () => {
      this.aborted = true;
      this.#controller.error(init.signal?.reason);
    });
    FakeStream.instances.push(this);
  }
  get lastEventId(): string | null {
    return new Headers(this.init?.headers).get('last-event-id');
  }
  /** A server event (`event: type`, `id`, `data: ...`). */
  emit(type: string, data: unknown): void {
    const frame = `event: ${type}\nid: ${this.#nextId++}\ndata: ${JSON.stringify(data)}\n\n`;
    this.#controller.enqueue(new TextEncoder().encode(frame));
  }
  /** The connection breaks (proxy cut, network down). */
  drop(): void {
    this.#controller.error(new TypeError('network connection lost'));
  }
  static last(): FakeStream {
    const s = FakeStream.instances.at(-1);
    if (!s) throw new Error('no stream opened');
    return s;
  }
}

function fakeNotifier() {
  const log: [ToastKind, string][] = [];
  const notifier: Notifier = {
    notify: (kind, message) => void log.push([kind, message]),
    dismiss: () => {},
  };
  return { notifier, log };
}

const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : input.toString());
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const snap = (status: JobSnapshot['status'], extra: Partial<JobSnapshot> = {}): JobSnapshot => ({
  prompt_id: 'p1',
  status,
  ...extra,
});

/** A fetch that opens a FakeStream for `/stream/` and asks `other` for everything else. */
function streamingFetch(other: typeof fetch = vi.fn<typeof fetch>()) {
  return vi.fn<typeof fetch>((input, init) => {
    const url = urlOf(input);
    if (!url.startsWith('/api/comfy/stream/')) return other(input, init);
    const stream = new FakeStream(url, init);
    return Promise.resolve(new Response(stream.body, { headers: { 'content-type': 'text/event-stream' } }));
  });
}

function setup(fetchImpl: typeof fetch = streamingFetch()) {
  const { notifier, log } = fakeNotifier();
  const comfy = useComfy({
    fetch: fetchImpl,
    notifier,
    retryPolicy: { retries: 2, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 },
    streamReopens: 1,
  });
  return { comfy, log, fetchImpl };
}

beforeEach(() => {
  FakeStream.instances = [];
});

describe('subscribeToStatus(promptId, onEvent, onComplete)', () => {
  it('passes every event on, completes on done and closes the stream', async () => {
    const { comfy, log } = setup();
    const events: StreamEvent[] = [];
    const onComplete = vi.fn();
    comfy.subscribeToStatus('p1', (e) => events.push(e), onComplete, { previews: true });
    await vi.waitFor(() => expect(FakeStream.instances).toHaveLength(1));
    const es = FakeStream.last();
    expect(es.url).toBe('/api/comfy/stream/p1?previews=1');
    expect(es.init?.credentials).toBe('same-origin');

    const running = snap('running', { progress: { value: 3, max: 20, node: '3', percent: 40 } });
    es.emit('status', running); // bare snapshot
    es.emit('preview', { node: '3', mime: 'image/jpeg', data: 'AAAA' });
    es.emit('images', {
      type: 'images',
      node: '9',
      images: [{ filename: 'a.png', subfolder: '', type: 'output' }],
    });
    es.emit('done', { type: 'done', snapshot: snap('completed') }); // whole StreamEvent

    await vi.waitFor(() => expect(onComplete).toHaveBeenCalledExactlyOnceWith(snap('completed')));
    expect(events.map((e) => e.type)).toEqual(['status', 'preview', 'images', 'done']);
    expect(events[0]).toEqual({ type: 'status', snapshot: running });
    await vi.waitFor(() => expect(es.cancelled || es.aborted).toBe(true));
    expect(log).toContainEqual(['success', 'Job p1 completed']);
  });

  it('tells a server `error` event from a transport error, and resumes after a drop', async () => {
    const { comfy, log } = setup();
    const events: StreamEvent[] = [];
    comfy.subscribeToStatus('p1', (e) => events.push(e), vi.fn());
    await vi.waitFor(() => expect(FakeStream.instances).toHaveLength(1));
    const es = FakeStream.last();
    es.emit('error', { code: 'EXECUTION_ERROR', message: 'boom' });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    es.drop(); // the client reconnects by itself, from the last event id
    await vi.waitFor(() => expect(FakeStream.instances).toHaveLength(2));
    expect(FakeStream.last().lastEventId).toBe('1');
    expect(events).toEqual([{ type: 'error', code: 'EXECUTION_ERROR', message: 'boom' }]);
    expect(log).toContainEqual(['warning', 'Progress stream interrupted; reconnecting']);
  });

  it('stops on unsubscribe without calling onComplete', async () => {
    const { comfy } = setup();
    const onEvent = vi.fn();
    const onComplete = vi.fn();
    const stop = comfy.subscribeToStatus('p1', onEvent, onComplete);
    await vi.waitFor(() => expect(FakeStream.instances).toHaveLength(1));
    const es = FakeStream.last();
    stop();
    expect(es.aborted).toBe(true);
    expect(onEvent).not.toHaveBeenCalled();
    expect(onComplete).not.toHaveBeenCalled();
  });
});

describe('subscribeToStatus(promptId, onComplete)', () => {
  it('calls onComplete once with the final snapshot', async () => {
    const { comfy, log } = setup();
    const onComplete = vi.fn();
    comfy.subscribeToStatus('p1', onComplete);
    await vi.waitFor(() => expect(FakeStream.instances).toHaveLength(1));
    const es = FakeStream.last();
    expect(es.url).toBe('/api/comfy/stream/p1');
    es.emit('status', snap('running'));
    es.emit('done', snap('failed', { error: { message: 'out of memory' } }));
    await vi.waitFor(() =>
      expect(onComplete).toHaveBeenCalledExactlyOnceWith(
        snap('failed', { error: { message: 'out of memory' } }),
      ),
    );
    expect(log).toContainEqual(['error', 'Job p1 failed: out of memory']);
  });

  it('asks /status for the truth when the stream fails for good', async () => {
    const fetchImpl = vi.fn<typeof fetch>((input) =>
      Promise.resolve(
        urlOf(input).startsWith('/api/comfy/stream/')
          ? json(400, { error: { code: 'VALIDATION_ERROR', message: 'bad stream request' } })
          : json(200, snap('completed')),
      ),
    );
    const { comfy } = setup(fetchImpl);
    const onComplete = vi.fn();
    comfy.subscribeToStatus('p1', onComplete, { notify: false });
    await vi.waitFor(() => expect(onComplete).toHaveBeenCalledWith(snap('completed')));
    expect(fetchImpl.mock.calls[1]?.[0]).toBe('/api/comfy/status/p1');
  });

  it('ends the job as unknown when the session is gone (401), without reconnecting', async () => {
    const fetchImpl = vi.fn<typeof fetch>(() =>
      Promise.resolve(json(401, { error: { code: 'UNAUTHORIZED', message: 'authentication required' } })),
    );
    const { comfy } = setup(fetchImpl);
    const onComplete = vi.fn();
    comfy.subscribeToStatus('p1', onComplete, { notify: false });
    await vi.waitFor(() =>
      expect(onComplete).toHaveBeenCalledWith(
        snap('unknown', { error: { message: 'authentication required' } }),
      ),
    );
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});

describe('retries', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('textToImage retries 503 with one idempotency key and notifies', async () => {
    const ok = { prompt_id: 'p1', client_id: 'c', seed: 7, workflow_source: 'builtin' };
    const fetchImpl = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(json(503, { error: { code: 'COMFY_UNAVAILABLE', message: 'ComfyUI is down' } }))
      .mockResolvedValueOnce(json(200, ok));
    const { comfy, log } = setup(fetchImpl);
    const p = comfy.textToImage({ caption: 'a cat' });
    await vi.advanceTimersByTimeAsync(100);
    await expect(p).resolves.toEqual(ok);
    const keys = fetchImpl.mock.calls.map(([, init]) => new Headers(init?.headers).get('idempotency-key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(log[0]?.[0]).toBe('warning');
    expect(log[0]?.[1]).toMatch(/retry 1 of 2/);
    expect(log.at(-1)).toEqual(['info', 'Starting the generation succeeded after 1 retry']);
  });

  it('queueWorkflow retries a network failure and sends the client id', async () => {
    const fetchImpl = vi
      .fn<typeof fetch>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(json(200, { prompt_id: 'p9', client_id: 'app-1' }));
    const { comfy, log } = setup(fetchImpl);
    const workflow = { '1': { class_type: 'SaveImage', inputs: {} } };
    const p = comfy.queueWorkflow(workflow, 'app-1');
    await vi.advanceTimersByTimeAsync(100);
    await expect(p).resolves.toEqual({ prompt_id: 'p9', client_id: 'app-1' });
    expect(JSON.parse(fetchImpl.mock.calls[1]?.[1]?.body as string)).toEqual({
      workflow,
      client_id: 'app-1',
    });
    expect(log[0]?.[1]).toMatch(
      /^Queueing the workflow failed \(The gateway could not be reached\); retry 1 of 2 in 0\.1 s$/,
    );
  });

  it('textToImage never retries a 400 and exposes per-field errors', async () => {
    const body = {
      error: {
        code: 'COMFY_VALIDATION',
        message: 'unknown checkpoint',
        details: {
          fields: { checkpoint: ['not installed'] },
          suggestions: { checkpoint: ['sdxl.safetensors'] },
        },
      },
    };
    const fetchImpl = vi.fn<typeof fetch>().mockResolvedValue(json(400, body));
    const { comfy } = setup(fetchImpl);
    const err = await comfy.textToImage({ caption: 'a cat', checkpoint: 'nope' }).catch((e: unknown) => e);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(err).toMatchObject({
      status: 400,
      code: 'COMFY_VALIDATION',
      fields: { checkpoint: ['not installed'] },
      suggestions: { checkpoint: ['sdxl.safetensors'] },
    });
  });

  it('fetchImage waits for Retry-After on 429', async () => {
    const fetchImpl = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(
        json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '2' }),
      )
      .mockResolvedValueOnce(
        new Response(new Uint8Array([137, 80, 78, 71]), { headers: { 'content-type': 'image/png' } }),
      );
    URL.createObjectURL = vi.fn(() => 'blob:x');
    const { comfy } = setup(fetchImpl);
    const p = comfy.fetchImage({ filename: 'a b.png', subfolder: '', type: 'output' });
    await vi.advanceTimersByTimeAsync(1999);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toMatchObject({ url: 'blob:x' });
    expect(fetchImpl.mock.calls[1]?.[0]).toBe('/api/comfy/view?filename=a+b.png&type=output');
  });
});

describe('ingestImage', () => {
  it('sends JSON for a ComfyUI image and multipart for an upload', async () => {
    const out = { id: 'abc', deduplicated: false };
    const fetchImpl = vi.fn<typeof fetch>().mockImplementation(() => Promise.resolve(json(201, out)));
    const { comfy, log } = setup(fetchImpl);
    await comfy.ingestImage({ prompt_id: 'p1', filename: 'a.png', metadata: { seed: 1 } });
    await comfy.ingestImage({ file: new Blob([new Uint8Array([1])]), prompt_id: 'p1', workflow: { a: 1 } });
    const [first, second] = fetchImpl.mock.calls.map(([, init]) => init);
    expect(JSON.parse(first?.body as string)).toEqual({
      prompt_id: 'p1',
      filename: 'a.png',
      metadata: { seed: 1 },
    });
    const form = second?.body as FormData;
    expect(form.get('prompt_id')).toBe('p1');
    expect(form.get('workflow')).toBe('{"a":1}');
    expect(form.get('file')).toBeInstanceOf(Blob);
    expect(log).toContainEqual(['success', 'Saved to the gallery']);
  });
});
