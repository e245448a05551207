/**
 * The JavaScript heap as the memory budget (budget.ts) reads it: how much is in use, and how
 * much is still in use after a full garbage collection (what is really alive). The collection
 * is V8's own `gc()`, which Node exposes only behind a flag: the flag is turned on just long
 * enough to take the function from a fresh context (as test runners that measure leaks do),
 * then off again. Where that is not possible, the live figure is the heap in use, garbage
 * included — larger, so the budget errs on the safe side.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as unknown;
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  return collect;
}

/** Bytes of the heap in use now (live values and garbage not yet collected). */
export function heapInUse(): number {
  return getHeapStatistics().used_heap_size;
}

/** Bytes of the heap still in use after a full collection. */
export function liveHeap(): number {
  collector()?.();
  return heapInUse();
}

/** The most this process's heap can hold before V8 aborts it. */
export function heapLimit(): number {
  return getHeapStatistics().heap_size_limit;
}
