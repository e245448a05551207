/**
 * Cached per-item check results follow their item when an edit moves it (incremental re-parsing,
 * grammar/incremental.ts): the item's nodes moved in place, and so must every position the
 * results hold that is not one of those nodes' spans — copied spans, the offsets of local
 * bindings and the offsets inside local symbol ids (`local:<file>:<offset>`, symbols.ts).
 * Spans shared with the nodes are recognised by identity and move only once.
 */
import { movedOffset, moveSpan, type PositionShift } from "../../grammar/incremental.js";
import type { Span } from "../../grammar/span.js";
import type { ItemCheck } from "./file-checker.js";
import type { PolicyInfo } from "./policies.js";
import type { LocalBinding } from "./symbols.js";

/**
 * Moves the positions of `check` (an item of `file`) that lie at or after the edit. An item that
 * ends before the edit holds such positions only in its diagnostics (a related location, a fix):
 * everything else it records is inside itself.
 */
export function moveItemCheck(check: ItemCheck, file: string, shift: PositionShift, itemEnd: number): void {
  const prefix = `local:${file}:`;
  const id = (s: string): string => {
    if (!s.startsWith(prefix)) return s;
    const offset = Number(s.slice(prefix.length));
    return offset >= shift.from ? prefix + (offset + shift.offset) : s;
  };
  const span = (s: Span | undefined) => {
    if (s) moveSpan(shift, s);
  };
  for (const d of check.diagnostics) {
    if (d.file === file) span(d.span);
    for (const r of d.related ?? []) if (r.file === file) span(r.span);
    for (const e of d.fix?.edits ?? []) if (e.file === file) span(e.span);
  }
  if (itemEnd < shift.from) return;
  for (const r of check.references) {
    if (r.file === file) span(r.span);
    r.symbolId = id(r.symbolId);
  }
  for (const s of check.symbols) {
    if (s.file === file) span(s.span);
    s.id = id(s.id);
  }
  for (const l of check.locals as LocalBinding[]) {
    l.from = movedOffset(shift, l.from);
    l.to = movedOffset(shift, l.to);
    l.symbolId = id(l.symbolId);
  }
  const resolved = check.resolved as Map<unknown, string>;
  for (const [k, v] of resolved) {
    const moved = id(v);
    if (moved !== v) resolved.set(k, moved);
  }
  const policy = (p: PolicyInfo) => {
    for (const r of p.rules) {
      for (const a of r.actions) for (const b of a.binders) b.symbolId = id(b.symbolId);
      for (const s of r.settings) {
        span(s.keySpan);
        span(s.valueSpan);
      }
    }
  };
  if (check.agent) {
    check.agent.policies.forEach(policy);
    for (const w of check.agent.withBlocks) span(w.tierSpan);
  }
  if (check.topPolicy) policy(check.topPolicy);
  check.channelPolicies.forEach(policy);
}
