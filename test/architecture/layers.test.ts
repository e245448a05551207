/**
 * The architecture invariants of DESIGN §2 ("Layers you can see"), checked on every import of the
 * product's TypeScript (rust-analyzer states its invariants the same way: as a test):
 *
 * 1. Layers, lowest first: `grammar/` and `stdlib/` import nothing outside themselves;
 *    `formats/` (what the compiler writes and the runtime reads) imports only those two;
 *    `config/` only those three; `schemapin/` (signatures, pins) only those four; `skills/` (the
 *    skill scanner) those and `schemapin/`; `compiler/` nothing of `runtime/` or `lsp/` (but for the
 *    symbic CLI's reaches, REACHES_UP); `lsp/` nothing of `runtime/`. `runtime/` may compile a
 *    `.symbi` in memory (it imports the compiler).
 * 2. No cycles between the folders one level down (`compiler/check` → `compiler/emit` →
 *    `compiler/check` is refused): each folder is a stage that later stages build on.
 * 3. Every exported name means one thing across the tree: no two modules declare an export of
 *    the same name.
 * 4. cedar-wasm is imported by formats/cedar-wasm.ts alone, which sets the V8 flag every Cedar
 *    call relies on before anything calls it (test/runtime/v8-wasm-inlining.test.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import ts from "typescript";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const LAYERS = [
  "grammar",
  "stdlib",
  "formats",
  "config",
  "schemapin",
  "skills",
  "compiler",
  "runtime",
  "testing",
  "lsp",
] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import besides itself. */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  grammar: [],
  stdlib: [],
  formats: ["grammar", "stdlib"],
  config: ["grammar", "stdlib", "formats"],
  schemapin: ["grammar", "stdlib", "formats", "config"],
  skills: ["grammar", "stdlib", "formats", "config", "schemapin"],
  compiler: ["grammar", "stdlib", "formats", "config", "schemapin", "skills"],
  runtime: ["grammar", "stdlib", "formats", "config", "schemapin", "skills", "compiler"],
  testing: ["grammar", "stdlib", "formats", "config", "schemapin", "skills", "compiler", "runtime"],
  lsp: ["grammar", "stdlib", "formats", "config", "schemapin", "skills", "compiler", "testing"],
};

/**
 * Modules that may also import a layer above their own. The `symbic` CLI is a composition root
 * over the compiler: it runs `testing/` (`symbic test`, `symbic explain`), and `symbic build`
 * lists MCP servers through the runtime's sandboxed listing (compiler/cli/mcp-pins.ts only) so a
 * build never starts a server with more rights than a run gives it. The compiler proper
 * (check, emit, mcp, ...) imports nothing of either.
 */
const REACHES_UP: ReadonlyArray<{ folder: string; to: Layer; dynamicOnly?: boolean }> = [
  { folder: "compiler/cli/", to: "testing" },
  // Only by `await import(...)`: symbic loads the runtime for a project with servers, never at start.
  { folder: "compiler/cli/mcp-pins.ts", to: "runtime", dynamicOnly: true },
];

function sources(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

interface Module {
  file: string;
  imports: Array<{ target: string; line: number; dynamic: boolean }>;
  exports: string[];
}

function parse(file: string): Module {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const imports: Module["imports"] = [];
  const exports: string[] = [];
  const addImport = (spec: string, node: ts.Node, dynamic = false) => {
    if (!spec.startsWith(".")) return;
    const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
    imports.push({ target, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, dynamic });
  };
  const visit = (n: ts.Node) => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier)
    )
      addImport(n.moduleSpecifier.text, n);
    else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteral(n.arguments[0])
    )
      addImport(n.arguments[0].text, n, true);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal))
      addImport(n.argument.literal.text, n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const st of sf.statements) {
    const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) : undefined;
    if (!mods?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) exports.push(d.name.getText(sf));
    else if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    )
      exports.push(st.name.text);
  }
  return { file, imports, exports };
}

const modules = LAYERS.flatMap((l) => sources(join(ROOT, l))).map(parse);
const rel = (p: string) => relative(ROOT, p).split(sep).join("/");
const layerOf = (p: string): string => rel(p).split("/")[0]!;
/** The folder one level down (`compiler/check`), or the layer for files at its top. */
const unitOf = (p: string): string => {
  const parts = rel(p).split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
};

test("each layer imports only the layers below it", () => {
  const bad: string[] = [];
  for (const m of modules) {
    const from = layerOf(m.file) as Layer;
    for (const i of m.imports) {
      const to = layerOf(i.target);
      if (to === from) continue;
      if (!(LAYERS as readonly string[]).includes(to)) {
        bad.push(`${rel(m.file)}:${i.line} imports ${rel(i.target)}, outside the product's layers`);
        continue;
      }
      if (REACHES_UP.some((r) => rel(m.file).startsWith(r.folder) && r.to === to && (i.dynamic || !r.dynamicOnly)))
        continue;
      if (!ALLOWED[from].includes(to as Layer)) bad.push(`${rel(m.file)}:${i.line}: ${from}/ imports ${rel(i.target)}`);
    }
  }
  assert.equal(bad, []);
});

test("no import cycles between folders", () => {
  const edges = new Map<string, Map<string, string>>();
  for (const m of modules) {
    const a = unitOf(m.file);
    for (const i of m.imports) {
      const b = unitOf(i.target);
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, `${rel(m.file)}:${i.line}`);
    }
  }
  // Tarjan's strongly connected components: any component of more than one folder is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) {
        const inComp = new Set(comp);
        const why = comp.flatMap((a) =>
          [...(edges.get(a) ?? [])].filter(([b]) => inComp.has(b)).map(([b, at]) => `${a} → ${b} (${at})`),
        );
        cycles.push(why.join("; "));
      }
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) strong(v);
  assert.equal(cycles, []);
});

test("every exported name is declared by one module only", () => {
  const by = new Map<string, string[]>();
  for (const m of modules) for (const e of new Set(m.exports)) by.set(e, [...(by.get(e) ?? []), rel(m.file)]);
  // Each CLI command module exports `register(program)`: one convention, one meaning.
  const dup = [...by].filter(([name, files]) => files.length > 1 && name !== "register");
  assert.equal(
    dup.map(([n, f]) => `${n}: ${f.join(", ")}`),
    [],
  );
});

test("the checker sees the product's folders (the walk found modules in every existing layer)", () => {
  for (const l of ["grammar", "stdlib", "formats", "compiler", "runtime", "lsp"])
    assert.ok(
      modules.some((m) => layerOf(m.file) === l),
      l,
    );
});

test("cedar-wasm is imported through formats/cedar-wasm.ts only (testing/explain.ts imported it directly)", () => {
  const direct = modules
    .filter((m) =>
      /from\s*["']@cedar-policy\/cedar-wasm|import\(\s*["']@cedar-policy\/cedar-wasm/.test(
        readFileSync(m.file, "utf8"),
      ),
    )
    .map((m) => rel(m.file));
  assert.equal(direct, ["formats/cedar-wasm.ts"]);
});

test.run();
