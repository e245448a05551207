/**
 * The TextMate grammar against real code: every corpus agent, parser sample and formatter
 * fixture (and every `examples/` program) is tokenized with vscode-textmate + oniguruma, and the
 * scopes are compared with what the project's own lexer and parser (grammar/) say about the same
 * text:
 * - lexer level: every string, comment, vault reference, duration and number token gets its
 *   scope over its whole extent, and no code token sits inside a string or comment scope (so no
 *   line ends inside an unterminated string or comment unexpectedly);
 * - parser level: declarations, policy verbs, `with` blocks and attributes, statements,
 *   parameters, record keys and members are scoped as what the parser built, so contextual
 *   keywords are keywords exactly where the parser treats them as keywords;
 * - every begin/end region is closed at the end of a file that parses without errors.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LineMap, parseText, walk, type Node } from "../../grammar/index.js";
import { lex } from "../../grammar/lexer.js";
import { DurationLiteral, NumberLiteral, StringLiteral, VaultRefToken as VaultRef } from "../../grammar/tokens.js";
import { BUILTIN_FUNCTIONS as STDLIB_FUNCTIONS, BUILTIN_TYPES as STDLIB_TYPES } from "../../stdlib/index.js";
import { CORPUS, SHARED } from "../helpers/corpus.js";
import { hasScope, loadGrammar, repoRoot, tokenize, type Tokenized } from "./textmate.js";

const sharedDir = SHARED;
const corpusDir = CORPUS;

function filesUnder(dir: string, accept: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, accept));
    else if (accept(name)) out.push(p);
  }
  return out;
}

const isSource = (n: string) => n.endsWith(".symbi") || n.endsWith(".dsl");
const corpusFiles = [
  ...filesUnder(join(corpusDir, "agents"), isSource),
  ...filesUnder(join(corpusDir, "samples"), (n) => isSource(n) && n.startsWith("valid_")),
  ...filesUnder(join(corpusDir, "fixtures"), isSource),
];
const exampleFiles = filesUnder(join(repoRoot, "examples"), isSource);
const allFiles = [...corpusFiles, ...exampleFiles];
const shown = (f: string) => (f.startsWith(repoRoot) ? relative(repoRoot, f) : relative(sharedDir, f));

interface Checker {
  problems: string[];
  counts: Map<string, number>;
  expect(what: string, offset: number, scope: string, mustNot?: string): void;
  forbid(what: string, offset: number, scope: string): void;
}

function checker(file: string, text: string, doc: Tokenized): Checker {
  const map = new LineMap(text);
  const problems: string[] = [];
  const counts = new Map<string, number>();
  const at = (offset: number) => {
    const { line, col } = map.position(offset);
    const toks = doc.tokens[line - 1] ?? [];
    const t = toks.find((tok) => tok.start <= col - 1 && col - 1 < tok.end);
    return { line, col, scopes: t ? t.scopes : [] };
  };
  return {
    problems,
    counts,
    expect(what, offset, scope, mustNot) {
      counts.set(what, (counts.get(what) ?? 0) + 1);
      const { line, col, scopes } = at(offset);
      const bad = mustNot && hasScope(scopes, mustNot);
      if (!hasScope(scopes, scope) || bad) {
        problems.push(
          `${shown(file)}:${line}:${col} ${what}: expected ${scope}${mustNot ? ` and not ${mustNot}` : ""}, got [${scopes.slice(1).join(" ")}]`,
        );
      }
    },
    forbid(what, offset, scope) {
      const { line, col, scopes } = at(offset);
      if (hasScope(scopes, scope))
        problems.push(
          `${shown(file)}:${line}:${col} ${what}: must not be ${scope}, got [${scopes.slice(1).join(" ")}]`,
        );
    },
  };
}

/** Lexer tokens vs scopes. */
function checkTokens(c: Checker, text: string): void {
  const lexed = lex(text, "x.symbi");
  for (const cm of lexed.comments) {
    const scope = cm.style === "#" ? "comment.line.number-sign" : "comment.line.double-slash";
    c.expect("comment start", cm.span.start, scope);
    c.expect("comment end", cm.span.end - 1, scope);
  }
  for (const t of lexed.tokens) {
    const start = t.startOffset;
    const last = t.endOffset ?? start;
    if (t.tokenType === StringLiteral) {
      c.expect("string start", start, "string.quoted.double");
      c.expect("string end", last, "string.quoted.double");
      // `#` and `//` inside a string are text, not comments.
      for (let i = start; i <= last; i++) {
        if (text[i] === "#" || (text[i] === "/" && text[i + 1] === "/"))
          c.expect("comment marker inside a string", i, "string.quoted.double", "comment");
      }
    } else if (t.tokenType === VaultRef) {
      c.expect("vault reference", start, "string.other.link.vault");
      c.expect("vault reference end", last, "string.other.link.vault");
    } else if (t.tokenType === DurationLiteral) {
      c.expect("duration", start, "constant.numeric.duration");
      c.expect("duration end", last, "constant.numeric.duration");
    } else if (t.tokenType === NumberLiteral) {
      c.expect("number", start, "constant.numeric");
    } else {
      // Words and punctuation: never inside a string or a comment.
      c.forbid(`code token ${JSON.stringify(t.image)}`, start, "string.quoted.double");
      c.forbid(`code token ${JSON.stringify(t.image)}`, start, "comment");
    }
  }
}

const PRIMITIVE_TYPES = new Set(["String", "int", "float", "bool"]);

/** Parser nodes vs scopes. */
function checkAst(c: Checker, program: Node): void {
  const DECL: Partial<Record<Node["kind"], string>> = {
    Agent: "storage.type.agent",
    Policy: "storage.type.policy",
    Function: "storage.type.function",
    TypeDef: "storage.type.type",
    Metadata: "storage.type.metadata",
    Schedule: "storage.type.schedule",
    Channel: "storage.type.channel",
    Memory: "storage.type.memory",
    Webhook: "storage.type.webhook",
    With: "keyword.other.with",
    Capabilities: "keyword.other.declaration.capabilities",
    Let: "storage.type.let",
    Return: "keyword.control.return",
    If: "keyword.control.conditional",
    IfExpr: "keyword.control.conditional",
    For: "keyword.control.loop",
    Match: "keyword.control.match",
    Try: "keyword.control.exception",
    Catch: "keyword.control.exception",
  };
  const NAME: Partial<Record<Node["kind"], string>> = {
    Agent: "entity.name.type.agent",
    Policy: "entity.name.type.policy",
    Function: "entity.name.function",
    TypeDef: "entity.name.type",
    Param: "variable.parameter",
    WithAttribute: "entity.other.attribute-name",
    FieldDecl: "variable.other.property",
    NamedArg: "variable.parameter.named-argument",
  };
  walk(program, (node, parent) => {
    const rec = node as unknown as Record<string, any>;
    const decl = DECL[node.kind];
    if (decl) c.expect(`${node.kind} keyword`, node.span.start, decl);
    const name = NAME[node.kind];
    if (name && rec.name?.span) c.expect(`${node.kind} name`, rec.name.span.start, name);
    switch (node.kind) {
      case "PolicyRule":
        c.expect("policy verb", node.span.start, `keyword.other.policy.${rec.verb}`);
        break;
      case "Member": {
        const isCallee = parent?.kind === "Call" && (parent as any).callee === node;
        c.expect(
          "member",
          rec.property.span.start,
          isCallee ? "entity.name.function.member" : "variable.other.property",
          "keyword",
        );
        break;
      }
      case "Call":
        if (rec.callee.kind === "Identifier") {
          const builtin = STDLIB_FUNCTIONS.has(rec.callee.name);
          c.expect(
            builtin ? "builtin call" : "call",
            rec.callee.span.start,
            builtin ? "support.function.builtin" : "entity.name.function.call",
          );
        }
        break;
      case "RecordField":
        if (rec.key.kind === "Identifier")
          c.expect("record key", rec.key.span.start, "support.type.property-name", "keyword");
        break;
      case "Property":
        c.expect("block entry key", rec.key.span.start, "support.type.property-name");
        break;
      case "Lambda":
        for (const p of rec.params) c.expect("lambda parameter", p.span.start, "variable.parameter");
        break;
      case "TypeRef": {
        const n = rec.name.name as string;
        const scope = PRIMITIVE_TYPES.has(n)
          ? "support.type.primitive"
          : STDLIB_TYPES.has(n)
            ? "support.type.builtin"
            : "entity.name.type";
        c.expect("type name", rec.name.span.start, scope);
        break;
      }
    }
  });
}

const grammarPromise = loadGrammar();

test("corpus: there is real code to check", () => {
  assert.ok(existsSync(corpusDir), `corpus not found at ${corpusDir}`);
  assert.ok(corpusFiles.length >= 20, `only ${corpusFiles.length} corpus files found`);
  assert.ok(corpusFiles.filter((f) => f.includes("/agents/")).length >= 15, "the 15 reference agents are missing");
});

test("corpus: scopes agree with the lexer and the parser on every file", async () => {
  const grammar = await grammarPromise;
  const problems: string[] = [];
  const totals = new Map<string, number>();
  let parsedClean = 0;
  for (const file of allFiles) {
    const text = readFileSync(file, "utf8");
    const doc = tokenize(grammar, text);
    const c = checker(file, text, doc);
    checkTokens(c, text);
    for (const [n, toks] of doc.tokens.entries()) {
      for (const t of toks)
        if (hasScope(t.scopes, "invalid"))
          problems.push(`${shown(file)}:${n + 1}:${t.start + 1} ${JSON.stringify(t.text)} is scoped invalid`);
    }
    const parsed = parseText(text, basename(file));
    if (!parsed.diagnostics.some((d) => d.severity === "error")) {
      parsedClean++;
      checkAst(c, parsed.program);
      if (doc.finalDepth !== 1)
        problems.push(
          `${shown(file)}: a begin/end region is still open at the end of the file (depth ${doc.finalDepth})`,
        );
    }
    problems.push(...c.problems);
    for (const [k, v] of c.counts) totals.set(k, (totals.get(k) ?? 0) + v);
  }
  assert.is(problems.slice(0, 40).join("\n"), "", `${problems.length} problems`);
  // Enough of each construct was actually checked for the agreement to mean something.
  assert.ok(parsedClean >= 20, `only ${parsedClean} files parsed cleanly`);
  const min: Record<string, number> = {
    "Agent keyword": 15,
    "policy verb": 100,
    "With keyword": 15,
    "WithAttribute name": 60,
    "Let keyword": 50,
    "record key": 200,
    member: 200,
    "comment start": 50,
    "string start": 300,
    "vault reference": 5,
    duration: 2,
    "lambda parameter": 5,
    call: 100,
    "builtin call": 50,
    "Match keyword": 5,
    "Catch keyword": 10,
    "block entry key": 40,
  };
  for (const [what, n] of Object.entries(min))
    assert.ok((totals.get(what) ?? 0) >= n, `only ${totals.get(what) ?? 0} × ${what} checked (want ≥ ${n})`);
});

test("corpus: an unclosed brace leaves a region open (the end-of-file check can fail)", async () => {
  const grammar = await grammarPromise;
  const broken = join(corpusDir, "samples", "invalid_missing_brace.dsl");
  assert.ok(existsSync(broken));
  assert.ok(tokenize(grammar, readFileSync(broken, "utf8")).finalDepth > 1);
  assert.is(tokenize(grammar, "agent a {\n  with x = 1 {\n  }\n}\n").finalDepth, 1);
});

test.run();
