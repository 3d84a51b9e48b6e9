import type { EventFacts } from './event-scan.ts';

/** What the subscriptions of one group (kind and instance) received. */
export interface GroupResult {
  /** Subscriptions (an SSE stream or one tRPC subscription). */
  subs: number;
  connections: number;
  done: number;
  failed: number;
  /** Subscriptions that saw an event id not above the one before it. */
  disordered: number;
  /** Events received (every type). */
  events: number;
  /** Per step key (`prompt|node|value`): arrival epoch ms of each subscription that got it. */
  arrivals: Record<string, number[]>;
  /** Per subscription: how many distinct sampler steps arrived. */
  steps: number[];
}

/** Per group: prompt -> node -> value -> that step's arrival list (also in `arrivals`), no key string per event. */
const stepIndex = new WeakMap<GroupResult, Map<string, Map<string, Map<number, number[]>>>>();

function arrivalsOf(g: GroupResult, prompt: string, node: string, value: number): number[] {
  let byPrompt = stepIndex.get(g);
  if (!byPrompt) stepIndex.set(g, (byPrompt = new Map<string, Map<string, Map<number, number[]>>>()));
  let byNode = byPrompt.get(prompt);
  if (!byNode) byPrompt.set(prompt, (byNode = new Map<string, Map<number, number[]>>()));
  let byValue = byNode.get(node);
  if (!byValue) byNode.set(node, (byValue = new Map<number, number[]>()));
  let list = byValue.get(value);
  if (!list) {
    list = g.arrivals[`${prompt}|${node}|${value}`] ??= [];
    byValue.set(value, list);
  }
  return list;
}

export const newGroup = (): GroupResult => ({
  subs: 0,
  connections: 0,
  done: 0,
  failed: 0,
  disordered: 0,
  events: 0,
  arrivals: {},
  steps: [],
});

/**
 * One subscription's bookkeeping: records each sampler step's first arrival, checks ids increase
 * and events are for its prompt, notes `done`, and counts its end once (`ended` gets the failure).
 */
export class Subscription {
  /** Arrival lists of the steps this subscription recorded. */
  readonly #seen = new Set<number[]>();
  #lastId = -Infinity;
  #disordered = false;
  #fault: string | null = null;
  /** The last step recorded: a repeat of it (consecutive events of one step) needs no lookup. */
  #lastNode = '';
  #lastValue = NaN;
  #over = false;
  finished = false;

  constructor(
    readonly g: GroupResult,
    readonly prompt: string,
    private readonly ended: (failure: string | null) => void,
  ) {
    g.subs++;
  }

  /** Takes one event read at `t`; true when it is this subscription's `done`. */
  event(f: EventFacts, t: number): boolean {
    this.g.events++;
    if (!Number.isNaN(f.id)) {
      if (f.id <= this.#lastId) this.#disordered = true;
      this.#lastId = f.id;
    }
    if (f.otherPrompt) {
      this.#fault ??= `an event of another prompt on the stream of ${this.prompt}`;
      return false;
    }
    if (
      f.type === 'status' &&
      f.progress &&
      f.max > 1 &&
      (f.value !== this.#lastValue || f.node !== this.#lastNode)
    ) {
      this.#lastNode = f.node;
      this.#lastValue = f.value;
      const list = arrivalsOf(this.g, this.prompt, f.node, f.value);
      if (!this.#seen.has(list)) {
        this.#seen.add(list);
        list.push(t);
      }
    }
    if (f.type !== 'done' || this.finished) return false;
    this.finished = true;
    return true;
  }

  /** The subscription is over (`why`: what ended it early, if it did). */
  end(why?: string): void {
    if (this.#over) return;
    this.#over = true;
    this.g.steps.push(this.#seen.size);
    if (this.#disordered) this.g.disordered++;
    const failure = this.#fault ?? (this.finished ? null : (why ?? 'ended before done'));
    if (failure === null) this.g.done++;
    else this.g.failed++;
    this.ended(failure);
  }
}
