/**
 * The VS Code extension's static parts and launch logic: the manifest, the language
 * configuration, the snippets (expanded and run through the grammar and the project's parser),
 * and how the client picks the server to start.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseText } from "../../grammar/index.js";
import {
  expandPath,
  resolveServerLaunch,
  type ServerLaunchInput,
  WATCHED_FILE_GLOBS,
  TEST_FILE_PATTERN,
} from "../../vscode-extension/src/server-launch.js";
import { hasScope, loadGrammar, repoRoot, tokenize } from "./textmate.js";
import { defaultSettings } from "../../lsp/core/settings.js";
import { DEFAULT_DIAGNOSTICS_DELAY_MS } from "../../lsp/server.js";

const extDir = join(repoRoot, "vscode-extension");
const readJson = (p: string) => JSON.parse(readFileSync(join(extDir, p), "utf8"));

// ---------------------------------------------------------------------------------------------
const manifest = suite("manifest");

manifest("identity, engine, entry point and activation", () => {
  const m = readJson("package.json");
  assert.is(m.name, "symbiont");
  assert.is(m.publisher, "symbiont");
  assert.is(m.engines.vscode, "^1.91.0");
  assert.is(m.main, "./dist/extension.js");
  // A workspace with skills starts the server too: it shows the skill scanner's findings (lsp/features/skill-diagnostics.ts);
  // so does one with policy tests (code lenses and hover on cases, lsp/features/code-lens.ts).
  assert.equal(m.activationEvents, [
    "onLanguage:symbiont",
    "workspaceContains:**/SKILL.md",
    "workspaceContains:**/*.test.toml",
  ]);
  assert.ok(/^\d+\.\d+\.\d+$/.test(m.version));
  assert.is(m.license, "Apache-2.0");
  assert.is(
    m.dependencies,
    undefined,
    "runtime dependencies must be bundled, not declared (vsce runs with --no-dependencies)",
  );
});

manifest("contributes the language, grammar and snippets with paths that exist in the package", () => {
  const m = readJson("package.json");
  const [lang] = m.contributes.languages;
  assert.is(lang.id, "symbiont");
  // `.dsl` is another language's extension: the extension does not claim it (the tools still read legacy files).
  assert.equal(lang.extensions, [".symbi"]);
  assert.is(lang.configuration, "./language-configuration.json");
  readJson(lang.configuration);
  const [grammar] = m.contributes.grammars;
  assert.equal(grammar, {
    language: "symbiont",
    scopeName: "source.symbiont",
    path: "./syntaxes/symbiont.tmLanguage.json",
  });
  // The grammar is copied from grammar/ when packaging; its scope name must match.
  assert.is(
    JSON.parse(readFileSync(join(repoRoot, "grammar", "symbiont.tmLanguage.json"), "utf8")).scopeName,
    grammar.scopeName,
  );
  const [snippets] = m.contributes.snippets;
  assert.is(snippets.language, "symbiont");
  readJson(snippets.path);
});

manifest("settings: server path, extra args and trace", () => {
  const props = readJson("package.json").contributes.configuration.properties;
  assert.is(props["symbiont.server.path"].type, "string");
  assert.is(props["symbiont.server.path"].default, "");
  assert.is(props["symbiont.server.extraArgs"].type, "array");
  assert.equal(props["symbiont.trace.server"].enum, ["off", "messages", "verbose"]);
  assert.is(props["symbiont.trace.server"].default, "off");
  // Untrusted workspaces must not choose the program the extension runs.
  assert.ok(
    readJson("package.json").capabilities.untrustedWorkspaces.restrictedConfigurations.includes("symbiont.server.path"),
  );
  // Issue 17 item 7: nor the arguments it is started with.
  assert.ok(
    readJson("package.json").capabilities.untrustedWorkspaces.restrictedConfigurations.includes(
      "symbiont.server.extraArgs",
    ),
  );
});

manifest(
  "the server's settings (workspace/configuration, section symbiont) are declared with the server's defaults",
  () => {
    const props = readJson("package.json").contributes.configuration.properties;
    const defaults = defaultSettings(DEFAULT_DIAGNOSTICS_DELAY_MS);
    assert.is(props["symbiont.diagnosticsDelay"].default, defaults.diagnosticsDelay);
    for (const [k, v] of Object.entries(defaults.inlayHints)) {
      assert.is(props[`symbiont.inlayHints.${k}`].type, "boolean", k);
      assert.is(props[`symbiont.inlayHints.${k}`].default, v, k);
    }
  },
);

manifest("every contributed command is registered by the client, and vice versa", () => {
  const declared = readJson("package.json")
    .contributes.commands.map((c: { command: string }) => c.command)
    .sort();
  const source = readFileSync(join(extDir, "src", "extension.ts"), "utf8");
  const registered = [...source.matchAll(/registerCommand\("([^"]+)"/g)].map((m) => m[1]).sort();
  assert.equal(registered, declared);
  assert.ok(declared.length >= 2);
});

manifest.run();

// ---------------------------------------------------------------------------------------------
const langConfig = suite("language configuration");
const lc = readJson("language-configuration.json");

langConfig("comments, brackets, auto-closing and surrounding pairs", () => {
  assert.equal(lc.comments, { lineComment: "//" });
  assert.equal(lc.brackets, [
    ["{", "}"],
    ["[", "]"],
    ["(", ")"],
  ]);
  const auto = Object.fromEntries(
    lc.autoClosingPairs.map((p: { open: string; close: string; notIn?: string[] }) => [p.open, p]),
  );
  for (const [o, c] of [
    ["{", "}"],
    ["[", "]"],
    ["(", ")"],
    ['"', '"'],
  ])
    assert.is(auto[o!]?.close, c);
  assert.equal(auto['"'].notIn, ["string", "comment"]);
  assert.ok(lc.surroundingPairs.some((p: string[]) => p[0] === '"' && p[1] === '"'));
});

langConfig("word pattern selects identifiers, durations, numbers and vault references whole", () => {
  const re = new RegExp(lc.wordPattern, "g");
  const words = (s: string) => s.match(re);
  assert.equal(words("max_memory_mb = 512"), ["max_memory_mb", "512"]);
  assert.equal(words("timeout = 1.5h, grace = 100ms, t = 30.seconds"), [
    "timeout",
    "1.5h",
    "grace",
    "100ms",
    "t",
    "30",
    "seconds",
  ]);
  assert.equal(words("let k = vault://api/keys[source.auth_key];"), [
    "let",
    "k",
    "vault://api/keys",
    "source",
    "auth_key",
  ]);
  assert.equal(words("a.type"), ["a", "type"]);
});

langConfig("indentation rules and folding markers", () => {
  const inc = new RegExp(lc.indentationRules.increaseIndentPattern);
  const dec = new RegExp(lc.indentationRules.decreaseIndentPattern);
  for (const line of [
    "agent a(x: String) -> R {",
    "    policy p {",
    '    with sandbox = "Tier1" {',
    "    let r = f(",
    "    tags = [",
    "    require: { // settings",
  ]) {
    assert.ok(inc.test(line), `should indent after: ${line}`);
  }
  for (const line of [
    '    let s = "{";',
    "    // a { in a comment",
    "    # also {",
    "    let x = { a: 1 };",
    "    f(x);",
  ]) {
    assert.not.ok(inc.test(line), `should not indent after: ${line}`);
  }
  for (const line of ["}", "    }", "  ]", ")", "    } else {"]) assert.ok(dec.test(line), `should dedent: ${line}`);
  assert.not.ok(dec.test("    let x = 1;"));
  const start = new RegExp(lc.folding.markers.start);
  const end = new RegExp(lc.folding.markers.end);
  assert.ok(start.test("  // #region policies") && start.test("// region"));
  assert.ok(end.test("  // #endregion") && !end.test("// #region"));
  assert.ok(lc.onEnterRules.some((r: { beforeText: string }) => new RegExp(r.beforeText).test("    with")));
});

langConfig.run();

// ---------------------------------------------------------------------------------------------
const snippets = suite("snippets");
const snippetFile: Record<string, { prefix: string; body: string[] | string; description: string }> =
  readJson("snippets/symbiont.json");

/**
 * Expands VS Code snippet syntax to the text a user gets by accepting every default:
 * `${1:default}` (nested), `${1|a,b|}` (first choice), `$1` / `${1}` (mirrors of tab stop 1), `$0`.
 */
export function expandSnippet(body: string): string {
  const defaults = new Map<string, string>();
  const mirrors: string[] = [];
  let i = 0;
  const parse = (stopAt: string | undefined): string => {
    let out = "";
    while (i < body.length) {
      const ch = body[i]!;
      if (stopAt && ch === stopAt) return out;
      if (ch === "\\" && i + 1 < body.length) {
        out += body[i + 1];
        i += 2;
      } else if (ch === "$" && /\d/.test(body[i + 1] ?? "")) {
        const m = /^\$(\d+)/.exec(body.slice(i))!;
        i += m[0].length;
        out += mirror(m[1]!);
      } else if (ch === "$" && body[i + 1] === "{") {
        const m = /^\$\{(\d+)/.exec(body.slice(i));
        if (!m) throw new Error(`unsupported snippet syntax at ${body.slice(i, i + 20)}`);
        i += m[0].length;
        const n = m[1]!;
        if (body[i] === "}") {
          i++;
          out += mirror(n);
        } else if (body[i] === ":") {
          i++;
          const inner = parse("}");
          i++;
          if (!defaults.has(n)) defaults.set(n, inner);
          out += mirror(n);
        } else if (body[i] === "|") {
          const close = body.indexOf("|}", i + 1);
          const first = body.slice(i + 1, close).split(",")[0]!;
          i = close + 2;
          if (!defaults.has(n)) defaults.set(n, first);
          out += mirror(n);
        } else throw new Error(`unsupported snippet syntax at ${body.slice(i - m[0].length, i + 20)}`);
      } else {
        out += ch;
        i++;
      }
    }
    return out;
  };
  const mirror = (n: string) => {
    mirrors.push(n);
    return `\u0000${n}\u0000`;
  };
  let text = parse(undefined);
  // Mirrors may refer to tab stops defined later (or inside other defaults): resolve repeatedly.
  for (let round = 0; round < 5 && text.includes("\u0000"); round++) {
    text = text.replace(/\u0000(\d+)\u0000/g, (_, n: string) => (n === "0" ? "" : (defaults.get(n) ?? "")));
  }
  return text.replace(/\t/g, "    ");
}

/** Where each snippet's text is valid: as a top-level item, a policy rule, an agent item or a statement. */
const CONTEXT: Record<string, (s: string) => string> = {
  item: (s) => s,
  rule: (s) => `policy p {\n${s}\n}\n`,
  agentItem: (s) => `agent a {\n${s}\n}\n`,
  statement: (s) => `function f() {\n${s}\n}\n`,
};
const CONTEXT_OF: Record<string, keyof typeof CONTEXT> = {
  agent: "item",
  policy: "item",
  metadata: "item",
  function: "item",
  type: "item",
  allow: "rule",
  deny: "rule",
  require: "rule",
  "require-settings": "rule",
  audit: "rule",
  with: "agentItem",
  call: "statement",
  try: "statement",
  match: "statement",
  for: "statement",
  if: "statement",
  let: "statement",
};

snippets("the issue's snippets exist, each with a description", () => {
  const prefixes = Object.values(snippetFile).map((s) => s.prefix);
  for (const p of [
    "agent",
    "policy",
    "allow",
    "deny",
    "require",
    "audit",
    "with",
    "call",
    "try",
    "match",
    "for",
    "function",
    "metadata",
  ]) {
    assert.ok(prefixes.includes(p), `no snippet with prefix ${p}`);
  }
  assert.is(new Set(prefixes).size, prefixes.length, "duplicate prefixes");
  for (const [name, s] of Object.entries(snippetFile))
    assert.ok(s.description && s.description.length > 5, `${name} has no description`);
});

snippets("the expander handles nested placeholders, choices and mirrors", () => {
  assert.is(expandSnippet("agent ${1:name} { policy ${2:${1}_p} { x } } $0"), "agent name { policy name_p { x } } ");
  assert.is(expandSnippet('with sandbox = "${1|Tier1,Tier2|}" {}'), 'with sandbox = "Tier1" {}');
  assert.is(expandSnippet("catch (${2:e}) { ${2}.kind }"), "catch (e) { e.kind }");
});

snippets("every snippet, expanded with its defaults, parses without errors and highlights cleanly", async () => {
  const grammar = await loadGrammar();
  for (const [name, s] of Object.entries(snippetFile)) {
    const context = CONTEXT_OF[s.prefix];
    assert.ok(context, `snippet ${name} (${s.prefix}) has no test context; add it to CONTEXT_OF`);
    const body = Array.isArray(s.body) ? s.body.join("\n") : s.body;
    const text = CONTEXT[context]!(expandSnippet(body));
    const parsed = parseText(text, `${s.prefix}.symbi`);
    const errors = parsed.diagnostics.filter((d) => d.severity === "error");
    assert.equal(
      errors.map((d) => `${d.code} ${d.message}`),
      [],
      `snippet ${name} does not parse:\n${text}`,
    );
    const doc = tokenize(grammar, text);
    assert.is(doc.finalDepth, 1, `snippet ${name} leaves a region open:\n${text}`);
    const invalid = doc.tokens.flat().filter((t) => hasScope(t.scopes, "invalid"));
    assert.equal(
      invalid.map((t) => t.text),
      [],
      `snippet ${name} has invalid tokens`,
    );
  }
});

snippets.run();

// ---------------------------------------------------------------------------------------------
const launch = suite("server launch");
const base: ServerLaunchInput = {
  configuredPath: "",
  extraArgs: [],
  bundledPath: "/ext/server/main.js",
  workspaceRoot: "/work/proj",
  workspaceTrusted: true,
  homeDir: "/home/u",
  fileExists: (p) => p === "/ext/server/main.js" || p === "/work/proj/dist/lsp/main.js" || p === "/home/u/lsp.js",
};

launch("uses the bundled server by default", () => {
  const r = resolveServerLaunch(base);
  assert.equal(r, { ok: true, module: "/ext/server/main.js", source: "bundled", args: [], notes: [] });
});

launch("a configured path wins, resolved against the workspace or home", () => {
  const r = resolveServerLaunch({ ...base, configuredPath: "dist/lsp/main.js" });
  assert.ok(r.ok && r.module === "/work/proj/dist/lsp/main.js" && r.source === "setting");
  const h = resolveServerLaunch({ ...base, configuredPath: " ~/lsp.js " });
  assert.ok(h.ok && h.module === "/home/u/lsp.js");
});

launch("an untrusted workspace cannot pick the server", () => {
  const r = resolveServerLaunch({ ...base, configuredPath: "dist/lsp/main.js", workspaceTrusted: false });
  assert.ok(r.ok && r.source === "bundled" && r.notes.length === 1 && r.notes[0]!.includes("not trusted"));
});

launch("missing servers are clear errors, not crashes", () => {
  const r = resolveServerLaunch({ ...base, configuredPath: "/nope/main.js" });
  assert.ok(!r.ok && r.message.includes("/nope/main.js") && r.message.includes("symbiont.server.path"));
  const b = resolveServerLaunch({ ...base, fileExists: () => false });
  assert.ok(!b.ok && b.message.includes("/ext/server/main.js"));
});

launch("extra arguments: strings only, and --stdio is the client's to add", () => {
  const r = resolveServerLaunch({ ...base, extraArgs: ["--log", 3, "--stdio", "--x=y"] });
  assert.ok(r.ok);
  assert.equal(r.ok && r.args, ["--log", "--x=y"]);
});

launch("issue 17 item 7: extra arguments are ignored in an untrusted workspace", () => {
  const r = resolveServerLaunch({ ...base, workspaceTrusted: false, extraArgs: ["--inspect=0.0.0.0:9229"] });
  assert.ok(r.ok);
  assert.equal(r.ok && r.args, []);
  assert.ok(r.ok && r.notes.some((n) => n.includes("extraArgs") && n.includes("not trusted")));
});

launch("issue 17 item 3: the watched files include the project marker symbi.toml (not symbiont.toml)", () => {
  assert.ok(WATCHED_FILE_GLOBS.includes("**/symbi.toml"));
  assert.not.ok((WATCHED_FILE_GLOBS as readonly string[]).includes("**/symbiont.toml"));
});

launch("policy test files are watched and opened with the server (code lenses, explain on hover)", () => {
  assert.ok((WATCHED_FILE_GLOBS as readonly string[]).includes(TEST_FILE_PATTERN));
  assert.is(TEST_FILE_PATTERN, "**/*.test.toml");
});

launch("expandPath", () => {
  assert.is(expandPath("~", undefined, "/h"), "/h");
  assert.is(expandPath("/a/../b", undefined, "/h"), "/b");
  assert.is(expandPath("x.js", "/w", "/h"), "/w/x.js");
});

launch.run();
