/**
 * What agent values cost, for the memory budget (budget.ts): estimates in bytes, made before a
 * value is built so that an allocation the budget cannot afford never happens. They are upper
 * bounds of V8's layout on 64-bit Node (strings two bytes a character, a list slot eight bytes, a
 * map entry about forty), not exact: the budget checks its estimates against the real heap
 * whenever they say it is full.
 */
import type { Value } from "./values.js";

export const STRING_HEADER_BYTES = 24;
export const BYTES_PER_CHAR = 2;
export const OBJECT_BYTES = 32;
export const SLOT_BYTES = 8;
export const MAP_ENTRY_BYTES = 40;

/**
 * `s`, flat. V8 represents `a + b` as a rope that points at both parts: cheap until something
 * reads it whole, when it is copied out (flattened). A rope's size is its parts', so a list of
 * ropes that share one long part would look small to the heap and become huge when read;
 * reading one character flattens a rope at once, so every String agent code holds takes the
 * memory it appears to.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

export function stringBytes(length: number): number {
  return STRING_HEADER_BYTES + length * BYTES_PER_CHAR;
}

export function listBytes(items: number): number {
  return OBJECT_BYTES + items * SLOT_BYTES;
}

export function mapBytes(entries: number): number {
  return OBJECT_BYTES * 2 + entries * MAP_ENTRY_BYTES;
}

/**
 * The length `display(v)` would have (values.ts), counted without building it and without
 * going past `limit` (the result is then some number above `limit`). Strings nested in
 * collections count their quotes, not their escapes.
 */
export function displayLength(v: Value, limit: number, nested = false): number {
  if (v === null) return 4;
  switch (typeof v) {
    case "string":
      return nested ? v.length + 2 : v.length;
    case "number":
    case "boolean":
      return String(v).length;
  }
  switch (v.kind) {
    case "float":
    case "duration":
      return 24;
    case "fn":
      return v.name.length + 5;
    case "option":
      return v.value === undefined ? 4 : 6 + displayLength(v.value, limit, true);
    case "result":
      return 4 + displayLength(v.value, limit, true);
    case "list": {
      let n = 2;
      for (const x of v.items) {
        n += displayLength(x, limit - n, true) + 2;
        if (n > limit) return n;
      }
      return n;
    }
    case "map": {
      let n = 2;
      for (const [k, x] of v.entries) {
        n += String(k).length + 4 + displayLength(x, limit - n, true) + 2;
        if (n > limit) return n;
      }
      return n;
    }
  }
}

/**
 * Bytes a value graph takes (for values that reach agent code from outside it: tool results,
 * answers of governed builtins), counted up to `limit`. A value shared twice counts twice.
 */
export function valueBytes(v: Value, limit: number): number {
  let total = 0;
  const stack: Value[] = [v];
  while (stack.length > 0 && total <= limit) {
    const x = stack.pop()!;
    if (x === null || typeof x === "number" || typeof x === "boolean") continue;
    if (typeof x === "string") {
      total += stringBytes(x.length);
      continue;
    }
    switch (x.kind) {
      case "list":
        total += listBytes(x.items.length);
        for (const y of x.items) stack.push(y);
        break;
      case "map":
        total += mapBytes(x.entries.size);
        for (const [k, y] of x.entries) {
          if (typeof k === "string") total += stringBytes(k.length);
          stack.push(y);
        }
        break;
      case "option":
        total += OBJECT_BYTES;
        if (x.value !== undefined) stack.push(x.value);
        break;
      case "result":
        total += OBJECT_BYTES;
        stack.push(x.value);
        break;
      default:
        total += OBJECT_BYTES;
    }
  }
  return total;
}
