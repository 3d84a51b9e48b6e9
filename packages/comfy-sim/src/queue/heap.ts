// A min-heap with Python heapq's exact sift rules, so GET /queue lists pending items in the same
// (unsorted) heap order as the real server.

export type Less<T> = (a: T, b: T) => boolean;

function siftDown<T>(heap: T[], start: number, pos: number, less: Less<T>): void {
  const item = heap[pos] as T;
  while (pos > start) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos] as T;
    if (!less(item, parent)) break;
    heap[pos] = parent;
    pos = parentPos;
  }
  heap[pos] = item;
}

function siftUp<T>(heap: T[], pos: number, less: Less<T>): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos] as T;
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !less(heap[child] as T, heap[right] as T)) child = right;
    heap[pos] = heap[child] as T;
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos, less);
}

export function heapPush<T>(heap: T[], item: T, less: Less<T>): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1, less);
}

export function heapPop<T>(heap: T[], less: Less<T>): T | undefined {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return last;
  const top = heap[0];
  heap[0] = last;
  siftUp(heap, 0, less);
  return top;
}

export function heapify<T>(heap: T[], less: Less<T>): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftUp(heap, i, less);
}
