import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { validatePrompt } from '../exec/validate.ts';
import { isObject, type Graph } from '../exec/validate-types.ts';
import type { QueueItem } from '../queue/prompt-queue.ts';
import { pyBool, pyFloat, pyInt, pyStr } from '../util/py.ts';
import { AIOHTTP_500, HttpError, readBody, readJson, sendEmpty, sendJson, sendJsonText } from './respond.ts';
import type { Router } from './router.ts';

const bodyObject = async (req: IncomingMessage) => {
  const json = await readJson(req);
  return isObject(json) ? json : {};
};

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => pyStr(x)) : []);

function queryInt(v: string | null, fallback: number | null): number | null {
  if (v === null) return fallback;
  const n = pyInt(v);
  if (!n.ok) throw new HttpError(500, AIOHTTP_500);
  return n.value as number;
}

/** POST/GET /prompt, /queue, /interrupt, /free and /history. */
export function addQueueRoutes(router: Router): void {
  router.add('POST', '/prompt', async ({ req, res, rt }) => {
    const body = await bodyObject(req);
    const queue = rt.queue;
    let number: number;
    if ('number' in body) {
      const f = pyFloat(body['number']);
      if (!f.ok) throw new HttpError(500, AIOHTTP_500);
      number = f.value as number;
    } else {
      // The counter advances for every POST without `number`, even ones rejected below.
      number = pyBool(body['front']) ? -queue.counter : queue.counter;
      queue.counter++;
    }
    if (!('prompt' in body)) {
      const error = {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      };
      return sendJson(res, 400, { error, node_errors: {} });
    }
    const prompt = body['prompt'];
    if (!isObject(prompt)) throw new HttpError(500, AIOHTTP_500);
    const promptId = 'prompt_id' in body ? pyStr(body['prompt_id']) : randomUUID();
    const result = validatePrompt(prompt as Graph, rt.defs(), body['partial_execution_targets']);
    if (!result.ok) return sendJson(res, 400, result.body);
    const extraData: Record<string, unknown> = isObject(body['extra_data']) ? { ...body['extra_data'] } : {};
    if ('client_id' in body) extraData['client_id'] = body['client_id'];
    const item: QueueItem = [number, promptId, prompt as Graph, extraData, result.outputs];
    rt.stats.promptsAccepted++;
    sendJson(res, 200, {
      prompt_id: promptId,
      number: Object.is(number, -0) ? 0 : number,
      node_errors: result.nodeErrors,
    });
    queue.put(item);
  });

  router.add('GET', '/prompt', ({ res, rt }) =>
    sendJson(res, 200, { exec_info: { queue_remaining: rt.queue.remaining } }),
  );

  router.add('GET', '/queue', ({ res, rt }) =>
    sendJson(res, 200, {
      queue_running: rt.queue.running ? [rt.queue.running] : [],
      queue_pending: [...rt.queue.pending],
    }),
  );

  router.add('POST', '/queue', async ({ req, res, rt }) => {
    const body = await bodyObject(req);
    if ('clear' in body && pyBool(body['clear'])) rt.queue.clearPending();
    if ('delete' in body) rt.queue.deletePending(stringList(body['delete']));
    sendEmpty(res);
  });

  router.add('POST', '/interrupt', async ({ req, res, rt }) => {
    let body: Record<string, unknown> = {};
    try {
      const json: unknown = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      if (isObject(json)) body = json;
    } catch {
      // Bad JSON counts as no body here, unlike every other route.
    }
    const id = body['prompt_id'];
    rt.executor.interrupt(id === undefined || id === null ? undefined : pyStr(id));
    sendEmpty(res);
  });

  router.add('POST', '/free', async ({ req, res, rt }) => {
    const body = await bodyObject(req);
    if (pyBool(body['free_memory'])) {
      if (rt.queue.running) rt.freeMemoryRequested = true;
      else rt.cache.clear();
    }
    sendEmpty(res);
  });

  router.add('GET', '/history', ({ url, res, rt }) => {
    const maxItems = queryInt(url.searchParams.get('max_items'), null);
    const offset = queryInt(url.searchParams.get('offset'), -1) ?? -1;
    const pairs = rt.history.list(maxItems, offset);
    // Built by hand so integer-like prompt ids keep their insertion order.
    sendJsonText(
      res,
      200,
      `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  });

  router.add('GET', '/history/{id}', ({ params, res, rt }) =>
    sendJson(res, 200, rt.history.get(params['id'] ?? '')),
  );

  router.add('POST', '/history', async ({ req, res, rt }) => {
    const body = await bodyObject(req);
    if ('clear' in body && pyBool(body['clear'])) rt.history.clear();
    if ('delete' in body) rt.history.delete(stringList(body['delete']));
    sendEmpty(res);
  });
}
