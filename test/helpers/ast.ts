/** Test helpers for comparing ASTs without positions or comment attachment. */
import type { Program } from "../../grammar/ast.js";
import { parseText } from "../../grammar/index.js";

const DROP = new Set(["span", "leadingComments", "trailingComments", "innerComments", "comments"]);

/** A JSON form of a tree with positions and comments removed. */
export function shape(node: unknown): string {
  return JSON.stringify(node, (k, v) => (DROP.has(k) ? undefined : v));
}

export function parseOk(text: string, file = "test.symbi"): Program {
  const r = parseText(text, file);
  if (r.diagnostics.length > 0) {
    throw new Error(
      `expected no diagnostics, got:\n${r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join("\n")}`,
    );
  }
  return r.program;
}

export function errorsOf(text: string): string[] {
  return parseText(text, "test.symbi")
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.span.line}:${d.span.col} ${d.code}`);
}

/** The first path at which two position-free trees differ, for short failure messages. */
export function firstDifference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b))
    return `${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  if (a === null || typeof a !== "object")
    return a === b ? undefined : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const ka = Object.keys(a as object).filter((k) => !DROP.has(k));
  const kb = Object.keys(b as object).filter((k) => !DROP.has(k));
  for (const k of new Set([...ka, ...kb])) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}
