/**
 * Operator typing (README "Types"):
 *   `+`          numbers (int + int = int, otherwise float), Durations, lists of one type, and
 *                text: a String on either side turns the other operand into text;
 *   `- * %`      numbers; `-` also Durations; `Duration * n`;
 *   `/`          true division: numbers give float (`Duration / n` gives Duration);
 *   `< > <= >=`  numbers, Durations, or one ordered level type (`Clearance`) — never text;
 *   `== !=`      any two related types (one fits the other); unrelated types are E0218;
 *   `in`         `x in list`, `key in map`, `sub in text`;
 *   `&& ||`      bool.
 * Loose operands (JSON, any, unknown) are accepted and give a loose result.
 */
import type { BinaryOp } from "../../grammar/ast.js";
import { T, assignable, isLoose, isNumeric, isPrim, typeToString, type Type, type TypeEnv } from "./types.js";

export interface OpError {
  code: string;
  message: string;
  help?: string;
  notes?: string[];
}

export type OpResult = { type: Type } | { error: OpError };

const ok = (type: Type): OpResult => ({ type });
const bad = (code: string, message: string, help?: string, notes?: string[]): OpResult => ({
  error: { code, message, ...(help ? { help } : {}), ...(notes ? { notes } : {}) },
});

function numResult(l: Type, r: Type): Type {
  return isPrim(l, "int") && isPrim(r, "int") ? T.int : T.float;
}

const show = typeToString;

export function binaryType(op: BinaryOp, l: Type, r: Type, env: TypeEnv): OpResult {
  if (l.k === "error" || r.k === "error")
    return ok(
      op === "&&" ||
        op === "||" ||
        op === "==" ||
        op === "!=" ||
        op === "in" ||
        op === "<" ||
        op === ">" ||
        op === "<=" ||
        op === ">="
        ? T.bool
        : T.error,
    );
  const loose = isLoose(l) || isLoose(r);
  switch (op) {
    case "&&":
    case "||":
      return ok(T.bool);
    case "+": {
      if (isPrim(l, "String") || isPrim(r, "String") || l.k === "levels" || r.k === "levels") {
        if (l.k === "unit" || r.k === "unit") return bad("E0219", "`+` with a value that is `unit`");
        return ok(T.String);
      }
      if (loose) return ok(isLoose(l) ? l : r);
      if (isNumeric(l) && isNumeric(r)) return ok(numResult(l, r));
      if (isPrim(l, "Duration") && isPrim(r, "Duration")) return ok(T.Duration);
      if (l.k === "list" && r.k === "list" && (assignable(r, l, env) || assignable(l, r, env)))
        return ok(assignable(r, l, env) ? l : r);
      return bad(
        "E0205",
        `cannot add \`${show(l)}\` and \`${show(r)}\``,
        "`+` adds numbers or Durations, joins lists, and concatenates text when one side is a String",
        [`left: ${show(l)}`, `right: ${show(r)}`],
      );
    }
    case "-":
    case "*":
    case "%":
    case "/": {
      if (loose) return ok(isLoose(l) ? l : r);
      if (isNumeric(l) && isNumeric(r)) return ok(op === "/" ? T.float : numResult(l, r));
      if (op === "-" && isPrim(l, "Duration") && isPrim(r, "Duration")) return ok(T.Duration);
      if ((op === "*" || op === "/") && isPrim(l, "Duration") && isNumeric(r)) return ok(T.Duration);
      if (op === "*" && isNumeric(l) && isPrim(r, "Duration")) return ok(T.Duration);
      return bad(
        "E0205",
        `\`${op}\` does not apply to \`${show(l)}\` and \`${show(r)}\``,
        "arithmetic needs numbers (or Durations)",
        [`left: ${show(l)}`, `right: ${show(r)}`],
      );
    }
    case "<":
    case ">":
    case "<=":
    case ">=": {
      if (l.k === "levels" || r.k === "levels") {
        const lv = (l.k === "levels" ? l : r) as Extract<Type, { k: "levels" }>;
        const other = l.k === "levels" ? r : l;
        if (isLoose(other) || (other.k === "levels" && other.name === lv.name) || isPrim(other, "String"))
          return ok(T.bool);
        return bad(
          "E0213",
          `cannot order \`${show(l)}\` against \`${show(r)}\``,
          `compare a \`${lv.name}\` with another \`${lv.name}\` or one of its levels`,
        );
      }
      if (isPrim(l, "String") || isPrim(r, "String")) {
        return bad(
          "E0213",
          "text has no order: `" + op + "` cannot compare strings",
          "declare the value with an ordered level type such as `Clearance` (public < internal < confidential < secret < top_secret), or compare with `==`",
          [`left: ${show(l)}`, `right: ${show(r)}`],
        );
      }
      if (loose) return ok(T.bool);
      if (isNumeric(l) && isNumeric(r)) return ok(T.bool);
      if (isPrim(l, "Duration") && isPrim(r, "Duration")) return ok(T.bool);
      return bad(
        "E0213",
        `cannot order \`${show(l)}\` against \`${show(r)}\``,
        "ordered comparisons need numbers, Durations or an ordered level type",
        [`left: ${show(l)}`, `right: ${show(r)}`],
      );
    }
    case "==":
    case "!=": {
      if (loose || l.k === "null" || r.k === "null") return ok(T.bool);
      if (l.k === "levels" && isPrim(r, "String")) return ok(T.bool);
      if (r.k === "levels" && isPrim(l, "String")) return ok(T.bool);
      if (assignable(l, r, env) || assignable(r, l, env)) return ok(T.bool);
      return bad(
        "E0218",
        `comparing \`${show(l)}\` with \`${show(r)}\` is always ${op === "==" ? "false" : "true"}`,
        "convert one side so both have the same type",
        [`left: ${show(l)}`, `right: ${show(r)}`],
      );
    }
    case "in": {
      if (isLoose(r)) return ok(T.bool);
      if (r.k === "list") {
        if (isLoose(l) || assignable(l, r.elem, env) || assignable(r.elem, l, env)) return ok(T.bool);
        return bad("E0200", `\`${show(l)}\` can never be in a \`${show(r)}\``, undefined, [
          `expected: ${show(r.elem)}`,
          `found: ${show(l)}`,
        ]);
      }
      if (r.k === "map") {
        if (isLoose(l) || assignable(l, r.key, env)) return ok(T.bool);
        return bad("E0200", `\`${show(l)}\` is not a key type of \`${show(r)}\``, undefined, [
          `expected: ${show(r.key)}`,
          `found: ${show(l)}`,
        ]);
      }
      if (isPrim(r, "String")) {
        if (isLoose(l) || isPrim(l, "String")) return ok(T.bool);
        return bad("E0205", `\`in\` on text needs a String on the left, found \`${show(l)}\``);
      }
      return bad("E0205", `\`in\` needs a List, Map or String on the right, found \`${show(r)}\``);
    }
  }
}
