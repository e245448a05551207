/** The Project API: incremental re-checking, the symbol table, typeOf, agent info for the emitter. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Project, typeToString } from "../../compiler/check/index.js";
import type { Identifier } from "../../grammar/ast.js";
import { nodePathAt } from "../../grammar/index.js";
import { contract } from "./helpers.js";

const TYPES = "type Point = { x: int, y: int }\n";
const MAIN = `function norm(p: Point) -> int {
    let s = p.x * p.x + p.y * p.y;
    return s;
}
`;
const OTHER = `function twice(p: Point) -> int {
    return norm(p) * 2;
}
`;

function project(): Project {
  const p = new Project("/proj", { loadContractsFromDisk: false });
  p.setFile("/proj/types.symbi", TYPES);
  p.setFile("/proj/main.symbi", MAIN);
  p.setFile("/proj/other.symbi", OTHER);
  return p;
}

test("names resolve across files; a clean project has no diagnostics", () => {
  const r = project().check();
  assert.equal(r.diagnostics, []);
  assert.equal(r.checkedFiles, ["/proj/main.symbi", "/proj/other.symbi", "/proj/types.symbi"]);
});

test("editing a body re-checks only that file; editing a declaration re-checks all", () => {
  const p = project();
  p.check();
  p.setFile("/proj/main.symbi", MAIN.replace("return s;", "return s + 1;"));
  assert.equal(p.check().checkedFiles, ["/proj/main.symbi"]);
  assert.equal(p.check().checkedFiles, [], "nothing changed: nothing re-checked");
  p.setFile("/proj/types.symbi", "type Point = { x: int, y: int, z: int }\n");
  assert.equal(p.check().checkedFiles.length, 3);
});

test("a body error in one file does not disturb the others; fixing it clears it", () => {
  const p = project();
  p.setFile("/proj/other.symbi", OTHER.replace("norm(p)", "norm(q)"));
  let r = p.check();
  assert.equal(
    r.diagnostics.map((d) => [d.file, d.code]),
    [["/proj/other.symbi", "E0100"]],
  );
  p.setFile("/proj/other.symbi", OTHER);
  r = p.check();
  assert.equal(r.diagnostics, []);
});

test("removing a file removes its declarations", () => {
  const p = project();
  p.removeFile("/proj/types.symbi");
  const r = p.check();
  assert.ok(r.diagnostics.every((d) => d.code === "E0101"));
  assert.is(r.diagnostics.length, 2);
});

test("the symbol table gives definitions and references across files", () => {
  const r = project().check();
  const at = r.symbols.at("/proj/other.symbi", OTHER.indexOf("norm("));
  assert.ok(at);
  assert.is(at!.symbol?.id, "function:norm");
  assert.is(at!.symbol?.file, "/proj/main.symbi");
  const refs = r.symbols.referencesTo("function:norm");
  assert.equal(
    refs.map((x) => [x.file, x.isDeclaration]),
    [
      ["/proj/main.symbi", true],
      ["/proj/other.symbi", false],
    ],
  );
  // The struct's fields are symbols too (rename a field → every `p.x`).
  const fieldRefs = r.symbols.referencesTo("field:Point.x");
  assert.is(fieldRefs.length, 3);
  // A local variable: declaration and its use.
  const s = r.symbols.at("/proj/main.symbi", MAIN.indexOf("return s") + 7);
  assert.is(s!.symbol?.kind, "variable");
  assert.is(r.symbols.referencesTo(s!.symbol!.id).length, 2);
});

test("built-in names under the cursor have a symbol with their stdlib doc", () => {
  const r = project().check();
  const at = r.symbols.at("/proj/types.symbi", TYPES.indexOf(": int") + 2);
  assert.is(at?.symbol?.id, "builtin-type:int");
  assert.ok(at?.symbol?.doc);
});

test("typeOf gives the type of expressions and names (hover)", () => {
  const r = project().check();
  const program = r.files.get("/proj/main.symbi")!.program;
  const path = nodePathAt(program, MAIN.indexOf("p.x *") + 2);
  const member = path.reverse().find((n) => n.kind === "Member")!;
  assert.is(typeToString(r.typeOf(member)!), "int");
  const id = path.find((n) => n.kind === "Identifier" && (n as Identifier).name === "x") as Identifier | undefined;
  assert.ok(id);
  const sym = r.symbolOf(nodePathAt(program, MAIN.indexOf("p.x")).pop() as Identifier);
  assert.is(sym?.kind, "param");
});

test("tool contracts set and removed in memory give signatures; a broken contract is located", () => {
  const p = new Project("/proj", { loadContractsFromDisk: false });
  p.setFile("/proj/tools/scan.clad.toml", contract("scan"));
  p.setFile("/proj/main.symbi", 'function f() -> String { return scan("x").status; }\n');
  assert.equal(p.check().diagnostics, []);
  p.setFile("/proj/tools/scan.clad.toml", "[tool\nname = ");
  const r = p.check();
  const bad = r.diagnostics.find((d) => d.file === "/proj/tools/scan.clad.toml");
  assert.is(bad?.code, "E0500");
  assert.is(bad?.span.line, 1);
  assert.ok(r.diagnostics.some((d) => d.code === "E0100" && d.message === "unknown function `scan`"));
});

test("agent info for the emitter: params, capabilities, policies in scope, with settings", () => {
  const p = new Project("/proj", { loadContractsFromDisk: false });
  p.setFile(
    "/proj/tools/fetch.clad.toml",
    contract(
      "fetch",
      '[args.url]\nposition = 1\nrequired = true\ntype = "url"\ndescription = "u"',
      '\n[tool.policy]\ngroups = ["network_access"]\n',
    ),
  );
  p.setFile(
    "/proj/a.symbi",
    `policy global { deny: network_access if system.maintenance_mode }
agent a(limit: int, who: String) -> String {
    capabilities = ["fetch", "summarise"]
    policy local {
        allow: fetch(url) if url.starts_with("https://") && limit > 0
        require: { sandbox_tier: "Tier1", rate_limiting: "10/minute" }
        audit: { log_level: "info", include_input: false }
    }
    with sandbox = "Tier2", timeout = 30s, max_memory_mb = 256, max_cpu_cores = 0.5, max_pids = 32, network_policy = "deny_all" {
        return fetch("https://example.com").status;
    }
}
`,
  );
  const r = p.check();
  assert.equal(r.diagnostics, []);
  const a = r.agents.get("a")!;
  assert.equal(
    a.params.map((x) => [x.name, typeToString(x.type)]),
    [
      ["limit", "int"],
      ["who", "String"],
    ],
  );
  assert.equal(a.capabilities, ["fetch", "summarise"]);
  assert.equal(
    a.policies.map((x) => [x.name, x.scope]),
    [
      ["local", "agent"],
      ["global", "top"],
    ],
  );
  const allow = a.policies[0]!.rules[0]!;
  assert.equal(
    allow.actions.map((x) => [
      x.action.kind,
      x.action.name,
      x.binders.map((b) => [b.name, b.argName, typeToString(b.type)]),
    ]),
    [["tool", "fetch", [["url", "url", "String"]]]],
  );
  const deny = a.policies[1]!.rules[0]!;
  assert.equal(deny.actions[0]!.action, { kind: "group", name: "network_access", members: ["fetch"] });
  const w = a.withBlocks[0]!;
  assert.equal(
    [w.tier, w.timeoutMs, w.memoryMb, w.cpus, w.pids, w.network],
    ["tier2", 30000, 256, 0.5, 32, { mode: "none" }],
  );
  assert.equal(
    a.requireSettings.map((s) => [s.key, s.value, s.normalized]),
    [
      ["sandbox_tier", "Tier1", "tier1"],
      ["rate_limiting", "10/minute", 10 / 60],
    ],
  );
  assert.equal(
    a.auditSettings.map((s) => [s.key, s.value]),
    [
      ["log_level", "info"],
      ["include_input", false],
    ],
  );
});

test("output order is deterministic whatever order files are added in", () => {
  const files: Array<[string, string]> = [
    ["/proj/b.symbi", "function b() -> int { return zz; }\n"],
    ["/proj/a.symbi", "function a() -> int { return yy; }\n"],
    ["/proj/c.symbi", "type T = { x: Nope }\n"],
  ];
  const run = (order: Array<[string, string]>) => {
    const p = new Project("/proj", { loadContractsFromDisk: false });
    for (const [f, t] of order) p.setFile(f, t);
    return JSON.stringify(p.check().diagnostics);
  };
  assert.is(run(files), run([...files].reverse()));
});

test.run();
