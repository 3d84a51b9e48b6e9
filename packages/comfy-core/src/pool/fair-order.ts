/** One job waiting in the gateway queue, as the ordering sees it. */
export interface QueueEntry {
  promptId: string;
  /** Whose job it is: fairness is round robin across owners. */
  owner: string;
  /** Higher runs first; users submit at 0. */
  priority: number;
  /** Acceptance order (age); restored jobs keep theirs. */
  seq: number;
  /** A retried job (its server was lost while running): ahead of everything at its priority. */
  front?: boolean;
}

/**
 * The gateway queue's order: priority (high first); within a priority, retried jobs first, then
 * round robin across owners (the owner served longest ago, or never, first in each round), each
 * owner's jobs by age. One owner's hundred jobs hold another's single job back by one round at most.
 */
export function orderQueue(
  entries: Iterable<QueueEntry>,
  lastServed: ReadonlyMap<string, number>,
): QueueEntry[] {
  const byPriority = new Map<number, QueueEntry[]>();
  for (const e of entries) {
    const list = byPriority.get(e.priority);
    if (list) list.push(e);
    else byPriority.set(e.priority, [e]);
  }
  const out: QueueEntry[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => b - a)) {
    const level = (byPriority.get(priority) ?? []).sort((a, b) => a.seq - b.seq);
    out.push(...level.filter((e) => e.front));
    const byOwner = new Map<string, QueueEntry[]>();
    for (const e of level) {
      if (e.front) continue;
      const list = byOwner.get(e.owner);
      if (list) list.push(e);
      else byOwner.set(e.owner, [e]);
    }
    const served = (o: string) => lastServed.get(o) ?? -Infinity;
    const owners = [...byOwner.entries()].sort(
      ([a, la], [b, lb]) => served(a) - served(b) || (la[0]?.seq ?? 0) - (lb[0]?.seq ?? 0),
    );
    for (let round = 0; ; round++) {
      let any = false;
      for (const [, list] of owners) {
        const e = list[round];
        if (!e) continue;
        out.push(e);
        any = true;
      }
      if (!any) break;
    }
  }
  return out;
}
