/**
 * The runtime's catchable error kinds are stdlib error types: `catch (PolicyDenied e)` checks
 * without a declaration and types `e`; the list matches the runtime's `DslErrorKind` exactly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILTIN_TYPES } from "../../stdlib/index.js";
import { checkSource, show } from "./helpers.js";
import { typeToString } from "../../compiler/check/index.js";
import type { Identifier } from "../../grammar/ast.js";

/** The string literals of `export type DslErrorKind = ...;` in the runtime's source. */
function runtimeKinds(): string[] {
  const src = readFileSync(fileURLToPath(new URL("../../runtime/interpreter/errors.ts", import.meta.url)), "utf8");
  const m = /export type DslErrorKind =([\s\S]*?)\n\n/.exec(src);
  assert.ok(m, "DslErrorKind is declared");
  return [...m![1]!.matchAll(/\|\s*"(\w+)"/g)].map((x) => x[1]!).sort();
}

function agent(body: string, extra = ""): string {
  return `${extra}\nagent a(x: String) -> String {\n    with sandbox = "Tier1" {\n${body}\n    }\n}\n`;
}

test("every catchable runtime error kind is a stdlib error type, and nothing else is", () => {
  const stdlib = [...BUILTIN_TYPES.values()]
    .filter((d) => d.error)
    .map((d) => d.name)
    .sort();
  assert.equal(stdlib, runtimeKinds());
  for (const name of stdlib)
    assert.equal(
      BUILTIN_TYPES.get(name)!.definition,
      BUILTIN_TYPES.get("Error")!.definition,
      `${name} carries Error's fields`,
    );
});

test("catch (PolicyDenied e) checks without a declaration; e.rule and e.reason are Strings", () => {
  const r = checkSource(
    agent(
      '        try {\n            return error("x");\n        } catch (PolicyDenied e) {\n            return e.rule + ": " + e.reason;\n        }',
    ),
  );
  assert.is(show(r.diagnostics), "");
  const ids = r.symbols.referencesTo("builtin-type:PolicyDenied");
  assert.is(ids.length, 1, "the kind name refers to the stdlib type (hover, go to definition)");
});

test("each kind types its binder; it is an Error wherever one is expected", () => {
  for (const kind of ["RuntimeError", "ArgumentError", "ToolError", "Timeout", "VaultError"]) {
    const src = agent(
      `        try {\n            return "ok";\n        } catch (${kind} e) {\n            return describe(e) + e.message + e.details.location;\n        }`,
      "function describe(err: Error) -> String { err.kind }",
    );
    const r = checkSource(src);
    assert.is(show(r.diagnostics), "", kind);
    const file = r.files.get("/proj/main.symbi")!;
    const text = src;
    const at = text.indexOf(`${kind} e)`) + kind.length + 1;
    let binder: Identifier | undefined;
    const visit = (n: unknown): void => {
      if (!n || typeof n !== "object" || binder) return;
      const o = n as { kind?: string; span?: { start: number }; name?: string };
      if (o.kind === "Identifier" && o.span?.start === at) binder = o as Identifier;
      for (const v of Object.values(o)) if (v && typeof v === "object") visit(v);
    };
    visit(file.program);
    assert.ok(binder, kind);
    assert.is(typeToString(r.typeOf(binder!)!), kind);
  }
});

test("catch (Error e) and catch (e) still catch everything, typed Error", () => {
  const r = checkSource(
    agent(
      '        try {\n            return "ok";\n        } catch (Error e) {\n            return e.kind;\n        } catch (e) {\n            return e.message;\n        }',
    ),
  );
  assert.is(show(r.diagnostics), "");
});

test("a misspelled kind is E0101 with a suggestion; run-ending kinds are not catchable", () => {
  const typo = checkSource(
    agent(
      '        try {\n            return "ok";\n        } catch (PolicyDenid e) {\n            return e.rule;\n        }',
    ),
  );
  assert.match(show(typo.diagnostics), /E0101 unknown error type `PolicyDenid`/);
  assert.match(typo.diagnostics[0]!.help ?? "", /PolicyDenied/);
  const fatal = checkSource(
    agent(
      '        try {\n            return "ok";\n        } catch (StepLimit e) {\n            return e.rule;\n        }',
    ),
  );
  assert.match(show(fatal.diagnostics), /E0101 unknown error type `StepLimit`/);
});

test("a kind has only Error's fields; project aliases remain their own kinds", () => {
  const r = checkSource(
    agent(
      '        try {\n            return "ok";\n        } catch (ToolError e) {\n            return e.exit_code;\n        }',
    ),
  );
  assert.match(show(r.diagnostics), /E0203 no field `exit_code` on `ToolError`/);
  const alias = checkSource(
    agent(
      '        try {\n            return "ok";\n        } catch (APIError e) {\n            return e.kind;\n        }',
      "type APIError = Error",
    ),
  );
  assert.is(show(alias.diagnostics), "");
  const redeclared = checkSource(agent('        return "ok";', "type PolicyDenied = Error"));
  assert.match(show(redeclared.diagnostics), /E0102 `PolicyDenied` is a built-in type/);
});

test.run();
