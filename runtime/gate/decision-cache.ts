/**
 * A bounded cache of the gate's decisions (runtime/gate/README.md "Decision cache").
 *
 * Key: the JSON text of the Cedar request the gate built (principal, action, resource, context
 * with `args`, `input`, `facts`, the trusted records and the `derived` values already computed).
 * cedar-wasm receives exactly that text: its JavaScript binding passes the call through
 * `JSON.stringify`, and the rest of the call (no request validation, the ids of the preparsed
 * policy sets, and either the preparsed schema or the action's entity, which the action in the
 * key determines) is fixed for a PolicySet. So two requests with the same key are the same input
 * to Cedar.
 *
 * Why a hit is the decision Cedar would make: a decision is a pure function of that input and
 * the PolicySet's preparsed policies and schema — Cedar's evaluation is deterministic, the only
 * entity passed is fixed by the key's action, and every value the policies can read is in the key: the derived values
 * as computed (not recomputed from the key), the run's start time the runtime puts in
 * `context.context`. The preparsed sets are registered once under ids unique to
 * the PolicySet and never replaced, and the gate's own interpretation of Cedar's answer (rule
 * ids, locations, reasons) reads only the set's rule table, fixed at load. The cache belongs to
 * the PolicySet, so it is dropped with it: loading a bundle again (another run, a rebuilt
 * project) starts empty. Nothing else invalidates it, because nothing else can change an answer.
 *
 * What it never does: skip the audit (callers append a record for every decision, hit or not),
 * cache a gate failure that threw (a thrown error is not an answer of Cedar), hold a request
 * larger than MAX_KEY_CHARS (a call with megabytes of arguments is decided, not remembered), or
 * grow past DECISION_CACHE_ENTRIES entries and MAX_CACHED_CHARS characters of keys.
 */
import { LRUCache } from "lru-cache";
import type { GateDecision } from "./gate.js";

/** Decisions kept per PolicySet (least recently used first out). */
export const DECISION_CACHE_ENTRIES = 4096;

/** Requests whose JSON is longer than this are not cached. */
export const MAX_KEY_CHARS = 8192;

/** The keys held together stay under this many characters (at most 8 MiB, two bytes a character). */
export const MAX_CACHED_CHARS = 4 * 1024 * 1024;

export class DecisionCache {
  /** Undefined when caching is off (capacity 0). */
  private readonly entries: LRUCache<string, GateDecision> | undefined;
  hits = 0;
  misses = 0;

  constructor(readonly capacity = DECISION_CACHE_ENTRIES) {
    this.entries =
      capacity > 0
        ? new LRUCache({
            max: capacity,
            maxSize: MAX_CACHED_CHARS,
            maxEntrySize: MAX_KEY_CHARS,
            sizeCalculation: (_d, key) => Math.max(1, key.length),
          })
        : undefined;
  }

  /** The decision cached for `key` (a copy the caller may change), or undefined. */
  get(key: string): GateDecision | undefined {
    const d = this.entries?.get(key);
    if (d === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return copyDecision(d);
  }

  /** Remembers a decision (a copy, so later changes by the caller do not leak into hits). */
  set(key: string, d: GateDecision): void {
    if (key.length > MAX_KEY_CHARS) return;
    this.entries?.set(key, copyDecision(d));
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}

function copyDecision(d: GateDecision): GateDecision {
  const c: GateDecision = { ...d, rules: [...d.rules], locations: [...d.locations] };
  if (d.allowedBy) c.allowedBy = [...d.allowedBy];
  return c;
}
