/**
 * The incremental Project (only the edited top-level items re-parsed and re-checked; the results
 * of the items an edit moved follow them) gives what a fresh check of the same texts gives:
 * diagnostics, symbols, references, visible locals, the type and resolution of every identifier,
 * agents and policies.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Project, typeToString, type CheckResult } from "../../compiler/check/index.js";
import { walk, type Node } from "../../grammar/index.js";

const ROOT = join(fileURLToPath(new URL("../..", import.meta.url)), "test/fixtures/reference-project");
/** An agent file of our own (metadata first, then an agent with warnings) edited in the project's lib and types. */
const AGENT = `metadata {
    version = "1.0.0"
    description = "Scans one target"
}

agent target_scanner(target: ScanTarget, image: String) -> String {
    capabilities = ["check_vulnerabilities"]

    policy scanning {
        allow: check_vulnerabilities(img) if img == image
        require: { approval: true }
    }

    with sandbox = "Tier1", timeout = 60s {
        let found = [];
        let unused = 3;
        count = 0;
        for v in found {
            if v.cvss > 7.0 {
                count += 1;
            }
        }
        let result = check_vulnerabilities(image);
        print(result);
        if target.authorized {
            return format("{} findings", count);
        }
        return "not authorised";
    }
}

function describe_target(t: ScanTarget) -> String {
    let label = t.identifier + " (" + t.classification + ")";
    return label;
}
`;
const FILES = ["lib/security.symbi", "types/operations.symbi", "agents/target_scanner.symbi", "lib/events.symbi"].map(
  (f) => join(ROOT, f),
);
const EDITED = FILES[2]!;
const TEXTS = new Map(FILES.map((f) => [f, f === EDITED ? AGENT : readFileSync(f, "utf8")]));

function projectOf(texts: ReadonlyMap<string, string>): Project {
  const p = new Project(ROOT);
  for (const [f, t] of texts) p.setFile(f, t);
  return p;
}

const plain = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** What a check says, by position (node objects differ between two projects). */
function summary(r: CheckResult): Record<string, string> {
  const table = r.symbols;
  const perNode: string[] = [];
  const locals: string[] = [];
  for (const [file, parse] of r.files) {
    walk(parse.program, (n: Node) => {
      const t = r.typeOf(n);
      const res = n.kind === "Identifier" ? r.resolutionOf(n) : undefined;
      if (t || res)
        perNode.push(`${file}:${n.kind}@${n.span.start}-${n.span.end} ${t ? typeToString(t) : ""} ${res ?? ""}`);
    });
    for (let o = 0; o < parse.text.length; o += 97)
      locals.push(
        `${o}: ${r
          .visibleLocals(file, o)
          .map((s) => s.id)
          .join(",")}`,
      );
  }
  const symbols = table
    .all()
    .map((s) => plain({ ...s, type: s.type ? typeToString(s.type) : undefined }))
    .sort();
  const references = FILES.flatMap((f) => table.referencesIn(f).map((x) => plain(x))).sort();
  const agents = [...r.agents.values()].map((a) =>
    plain({
      name: a.name,
      params: a.params.map((p) => [p.name, p.symbolId, typeToString(p.type)]),
      policies: a.policies.map((p) => [
        p.name,
        p.rules.map((x) => [x.verb, x.actions.map((y) => y.binders.map((b) => b.symbolId))]),
      ]),
      settings: a.requireSettings.map((s) => [s.key, s.keySpan, s.valueSpan]),
    }),
  );
  return {
    diagnostics: plain(r.diagnostics),
    symbols: symbols.join("\n"),
    references: references.join("\n"),
    perNode: perNode.join("\n"),
    locals: locals.join("\n"),
    agents: agents.join("\n"),
  };
}

function assertSame(got: CheckResult, want: CheckResult, context: string): void {
  const a = summary(got);
  const b = summary(want);
  for (const k of Object.keys(b)) assert.equal(a[k], b[k], `${k} (${context})`);
}

const SNIPPETS = [
  "x",
  " ",
  "\n",
  ";",
  "let y = 1;\n",
  'let z = len("ab");\n',
  "// note\n",
  "print(count);",
  "\n    let unused = 2;\n",
  "function g() -> int { 1 }\n",
  "{",
  "}",
];

test("after random edits, an incremental check equals a fresh check of the same texts", () => {
  const text = TEXTS.get(EDITED)!;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          at: fc.double({ min: 0, max: 1, noNaN: true }),
          remove: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 })),
          insert: fc.constantFrom(...SNIPPETS),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      (edits) => {
        const texts = new Map(TEXTS);
        const project = projectOf(texts);
        project.check();
        let current = text;
        for (const e of edits) {
          const at = Math.floor(e.at * current.length);
          current = current.slice(0, at) + e.insert + current.slice(at + e.remove);
          texts.set(EDITED, current);
          project.setFile(EDITED, current);
          const got = project.check();
          assertSame(got, projectOf(texts).check(), `edit at ${at}: -${e.remove} +${JSON.stringify(e.insert)}`);
        }
      },
    ),
    { numRuns: 60, seed: 10 },
  );
});

test("a body edit re-checks only the edited item; the results of the moved items follow them", () => {
  const project = projectOf(TEXTS);
  const first = project.check();
  const text = TEXTS.get(EDITED)!;
  const items = first.files.get(EDITED)!.program.items;
  assert.ok(items.length >= 2, "the edited file has several items");
  // An entry added to the first item (the metadata block): the agent after it moves by a line.
  const firstItem = items[0]!;
  assert.is(firstItem.kind, "Metadata");
  const lineStart = text.lastIndexOf("\n", firstItem.span.end - 2) + 1;
  const edited = text.slice(0, lineStart) + '    owner = "moved_by_one"\n' + text.slice(lineStart);
  const agent = items[1]!;
  const agentLine = agent.span.line;
  // The agent's diagnostics, as positions, before the edit (the objects themselves move).
  const before = first.diagnostics
    .filter((d) => d.file === EDITED && d.span.start > agent.span.start)
    .map((d) => `${d.code}@${d.span.line + 1}:${d.span.col}`);
  assert.ok(before.length > 0, "the agent has diagnostics");
  project.setFile(EDITED, edited);
  const second = project.check();
  assert.is(second.checkedItems, 1, "one item re-checked");
  assert.is(second.files.get(EDITED)!.program.items[1], agent, "the agent keeps its nodes");
  assert.is(agent.span.line, agentLine + 1, "and moved down a line");
  // The diagnostics of the moved agent moved with it, a line down.
  const after = second.diagnostics
    .filter((d) => d.file === EDITED && d.span.start > agent.span.start)
    .map((d) => `${d.code}@${d.span.line}:${d.span.col}`);
  assert.equal(after, before);
  const texts = new Map(TEXTS);
  texts.set(EDITED, edited);
  assertSame(second, projectOf(texts).check(), "one-line insertion");
});

test.run();
