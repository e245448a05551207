import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  BUILTINS,
  BUILTIN_TYPES,
  BUILTIN_FUNCTIONS,
  BUILTIN_ACTIONS,
  builtinMethods,
  builtinFields,
  parseSignature,
  parseTypeExpr,
  printTypeExpr,
  receiverParams,
  type TypeExpr,
} from "../../stdlib/index.js";

const TYPE_WORDS = new Set(["any", "never", "unit", "null"]);

function namesIn(t: TypeExpr, out: string[] = []): string[] {
  switch (t.kind) {
    case "name":
      out.push(t.name);
      t.args.forEach((a) => namesIn(a, out));
      break;
    case "union":
      t.options.forEach((o) => namesIn(o, out));
      break;
    case "record":
      t.fields.forEach((f) => namesIn(f.type, out));
      break;
    case "fn":
      t.params.forEach((p) => namesIn(p.type, out));
      namesIn(t.result, out);
      break;
  }
  return out;
}

test("every signature and type in the table parses and names only known types", () => {
  for (const d of BUILTINS) {
    const vars = new Set<string>();
    const exprs: TypeExpr[] = [];
    if (d.kind === "function") {
      const s = parseSignature(d.signature);
      s.typeParams.forEach((p) => vars.add(p));
      exprs.push(s.type);
    }
    if (d.kind === "method") {
      receiverParams(d.receiver).forEach((p) => vars.add(p));
      const s = parseSignature(d.signature);
      s.typeParams.forEach((p) => vars.add(p));
      exprs.push(s.type, parseTypeExpr(d.receiver));
    }
    if (d.kind === "field") {
      receiverParams(d.receiver).forEach((p) => vars.add(p));
      exprs.push(parseTypeExpr(d.type));
    }
    if (d.kind === "value") exprs.push(parseTypeExpr(d.type));
    if (d.kind === "type" && d.definition) exprs.push(parseTypeExpr(d.definition));
    if (d.kind === "action") d.binders.forEach(([, t]) => exprs.push(parseTypeExpr(t)));
    for (const e of exprs)
      for (const n of namesIn(e)) {
        assert.ok(
          vars.has(n) || TYPE_WORDS.has(n) || BUILTIN_TYPES.has(n),
          `${d.kind} ${d.name}: unknown type name ${n}`,
        );
      }
    assert.ok(d.doc.length > 10, `${d.name} has a doc line`);
  }
});

test("names are unique per kind and receiver", () => {
  const seen = new Set<string>();
  for (const d of BUILTINS) {
    const key = `${d.kind}:${"receiver" in d ? d.receiver + "." : ""}${d.name}`;
    assert.not.ok(seen.has(key), `duplicate ${key}`);
    seen.add(key);
  }
});

test("gated functions name a built-in action and one of their parameters", () => {
  for (const f of BUILTIN_FUNCTIONS.values()) {
    if (!f.action) continue;
    assert.ok(BUILTIN_ACTIONS.has(f.action), `${f.name} → ${f.action}`);
    const sig = parseSignature(f.signature);
    assert.ok(
      sig.type.kind === "fn" && sig.type.params.some((p) => p.name === f.target),
      `${f.name} target ${f.target}`,
    );
  }
});

test("corpus builtins are present", () => {
  for (const n of [
    "len",
    "length",
    "format",
    "now",
    "log",
    "error",
    "Some",
    "Ok",
    "Err",
    "parse_json",
    "to_json",
    "delegate",
    "ask",
    "send_to",
  ])
    assert.ok(BUILTIN_FUNCTIONS.has(n), n);
  for (const n of ["contains", "starts_with", "ends_with", "len"]) assert.ok(builtinMethods("String").has(n), n);
  for (const n of ["push", "map", "filter", "len", "join"]) assert.ok(builtinMethods("Array").has(n), n);
  assert.ok(builtinMethods("Map").has("keys"));
  assert.ok(builtinFields("List").has("length"));
});

test("type syntax round-trips and rejects malformed input", () => {
  for (const s of [
    "fn(a: String, b?: int, ...rest: any) -> List<Map<String, int>>",
    "{ a: int, b?: String, .. }",
    "String | List<T>",
  ]) {
    assert.is(printTypeExpr(parseTypeExpr(s)), s);
  }
  assert.throws(() => parseTypeExpr("List<"));
  assert.throws(() => parseTypeExpr("fn(a: ) -> int"));
  assert.is(printTypeExpr(parseTypeExpr("fn(T) -> bool")), "fn(T) -> bool");
  assert.throws(() => parseSignature("<T fn() -> T"));
});

test.run();
