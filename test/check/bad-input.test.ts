/** Hostile and broken input: diagnostics, never a crash or a hang. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Project, typeToString } from "../../compiler/check/index.js";
import { checkFiles } from "../../compiler/pipeline/check-files.js";
import { checkSource, codes, show } from "./helpers.js";

test("cyclic aliases of any length (and a self alias) are E0107; structs may be recursive", () => {
  const r = checkSource(
    "type A = B\ntype B = C\ntype C = A\ntype S = S\ntype Tree = { value: int, children: List<Tree> }\ntype U = Tree\nfunction f(t: U) -> int { return t.children[0].children[0].value; }\n",
  );
  assert.equal(codes(r).sort(), ["E0107", "E0107", "E0107", "E0107"], show(r.diagnostics));
});

test("recursive and mutually recursive functions check without looping", () => {
  const r = checkSource(`function even(n: int) -> bool { if n == 0 { return true; } return odd(n - 1); }
function odd(n: int) -> bool { if n == 0 { return false; } return even(n - 1); }
function loose(n: int) { return loose(n); }
function fact(n: int) -> int { return if n <= 1 { 1 } else { n * fact(n - 1) }; }
`);
  assert.equal(r.diagnostics, [], show(r.diagnostics));
});

const SHAPES: Array<[string, (n: number) => string]> = [
  ["binary chain", (n) => Array(n).fill("1").join(" + ")],
  ["string concatenation", (n) => Array(n).fill('"a"').join(" + ")],
  ["boolean chain", (n) => Array(n).fill("true").join(" && ")],
  ["unary", (n) => "-".repeat(n) + "1"],
  ["negation", (n) => "!".repeat(n) + "true"],
  ["member chain", (n) => "p" + ".x".repeat(n)],
  ["call chain", (n) => "f" + "()".repeat(n)],
  ["index chain", (n) => "xs" + "[0]".repeat(n)],
  ["parentheses", (n) => "(".repeat(n) + "1" + ")".repeat(n)],
  ["arrays", (n) => "[".repeat(n) + "1" + "]".repeat(n)],
  ["lambdas", (n) => "x => ".repeat(n) + "1"],
  ["if expressions", (n) => "if true { ".repeat(n) + "1" + " } else { 2 }".repeat(n)],
];

for (const [name, make] of SHAPES) {
  test(`10,000-deep ${name}: diagnostics, no crash, bounded time`, () => {
    const src = `function f() -> int { let p = 1; let xs = [1]; return ${make(10_000)}; }\n`;
    const t0 = Date.now();
    const r = checkSource(src);
    assert.ok(Date.now() - t0 < 5000, "took too long");
    for (const d of r.diagnostics) assert.ok(d.span.start >= 0 && d.span.end <= src.length);
    // Either the parser's nesting limit, the checker's, or an ordinary type error — never nothing at all for non-int shapes.
    if (name === "binary chain")
      assert.equal(
        r.diagnostics.filter((d) => d.severity === "error" && d.code !== "E0005"),
        [],
        show(r.diagnostics),
      );
  });
}

test("a long operator chain within the parser's limit checks iteratively and cleanly", () => {
  const r = checkSource(`function f() -> String { return ${Array(900).fill('"a"').join(" + ")}; }\n`);
  assert.equal(r.diagnostics, [], show(r.diagnostics));
});

test("broken contract files are diagnostics with their file and line; the rest of the project still checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-check-"));
  try {
    mkdirSync(join(dir, "tools"));
    writeFileSync(
      join(dir, "tools", "bad.clad.toml"),
      '[tool]\nname = "bad"\nbinary = "bad"\ntimeout_seconds = "soon"\n',
    );
    writeFileSync(join(dir, "tools", "garbage.clad.toml"), "this is not toml = = =\n");
    writeFileSync(join(dir, "tools", "noname.clad.toml"), "[args.x]\ntype = 3\n");
    writeFileSync(join(dir, "main.symbi"), "function f() -> int { return 1; }\n");
    const r = checkFiles([dir]);
    const byFile = r.diagnostics.filter((d) => d.file.includes("tools"));
    assert.ok(
      byFile.some((d) => d.file.endsWith("bad.clad.toml") && d.code === "E0502" && d.span.line === 4),
      show(byFile),
    );
    assert.ok(
      byFile.some((d) => d.file.endsWith("garbage.clad.toml") && d.code === "E0500" && d.span.line === 1),
      show(byFile),
    );
    assert.ok(
      byFile.some((d) => d.file.endsWith("noname.clad.toml")),
      show(byFile),
    );
    assert.ok(!r.diagnostics.some((d) => d.file.endsWith("main.symbi")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a project of 5,000 files checks, resolving names across all of them", () => {
  const p = new Project("/big", { loadContractsFromDisk: false });
  const N = 5000;
  for (let i = 0; i < N; i++) {
    const next = (i + 1) % N;
    p.setFile(
      `/big/f${String(i).padStart(4, "0")}.symbi`,
      `type T${i} = { v: int }\nfunction f${i}(x: T${i}) -> int { if x.v > 0 { return f${next}(T${next} { v: x.v - 1 }); } return x.v; }\n`,
    );
  }
  p.setFile("/big/broken.symbi", 'function broken() -> int { return f1("one"); }\n');
  const t0 = Date.now();
  const r = p.check();
  const ms = Date.now() - t0;
  assert.ok(ms < 20_000, `took ${ms} ms`);
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ["E0200"],
  );
  assert.is(typeToString(r.env.functions.get("f4999")!.type), "fn(T4999) -> int");
  // An edit to one file re-checks that file only.
  p.setFile("/big/broken.symbi", "function broken() -> int { return f1(T1 { v: 1 }); }\n");
  const r2 = p.check();
  assert.equal(r2.checkedFiles, ["/big/broken.symbi"]);
  assert.equal(r2.diagnostics, []);
});

test("invalid UTF-8 and a missing path are reported, not thrown as crashes", () => {
  const dir = mkdtempSync(join(tmpdir(), "symbi-check-"));
  try {
    writeFileSync(join(dir, "bad.symbi"), Buffer.from([0x61, 0x67, 0xff, 0xfe]));
    const r = checkFiles([dir]);
    assert.equal(
      r.diagnostics.map((d) => d.code),
      ["E0002"],
    );
    assert.throws(() => checkFiles([join(dir, "missing.symbi")]), /no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
