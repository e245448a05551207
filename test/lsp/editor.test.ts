/**
 * Issue 17 over JSON-RPC: the editor experience outside VS Code. A project whose workspace
 * folder is a subfolder of it, a folder-less window, a broken symlink, watched-file
 * registration and an on-disk change, the added features (highlight, selection ranges, inlay
 * hints, pull diagnostics, plain-text hover) and the small defects of item 7.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { REPO } from "../helpers/corpus.js";
import { REQUIRE_SETTINGS } from "../../compiler/check/index.js";
import { LspClient, positionOf } from "./client.js";

const TYPES = `type File = {
    path: String,
    size: int,
}

function detect_format(f: File) -> String {
    return f.path;
}
`;

const AGENT = `agent converter(input: File) -> String {
    capabilities = ["greet"]

    policy p {
        allow: greet(who)
    }

    with sandbox = "process", timeout = 10000 {
        let format = detect_format(input);
        let unused = 1;
        let g = greet(format);
        print(g);
        return format;
    }
}
`;

/** A project (symbi.toml, tools/, lib/ and agents/) with a broken and a looping link in agents/. */
function project(): { dir: string; agentUri: string; typesUri: string } {
  const dir = mkdtempSync(join(tmpdir(), "symbi-lsp-editor-"));
  writeFileSync(join(dir, "symbi.toml"), "");
  cpSync(join(REPO, "examples/quickstart/tools"), join(dir, "tools"), { recursive: true });
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "agents"));
  writeFileSync(join(dir, "lib/files.symbi"), TYPES);
  writeFileSync(join(dir, "agents/converter.symbi"), AGENT);
  symlinkSync(join(dir, "gone.symbi"), join(dir, "agents/dangling.symbi"));
  symlinkSync("loop-b.symbi", join(dir, "agents/loop-a.symbi"));
  symlinkSync("loop-a.symbi", join(dir, "agents/loop-b.symbi"));
  const uri = (p: string) => pathToFileURL(join(dir, p)).href;
  return { dir, agentUri: uri("agents/converter.symbi"), typesUri: uri("lib/files.symbi") };
}

const td = (uri: string) => ({ textDocument: { uri } });
const codes = (d: { diagnostics: Array<{ code?: string }> }) => d.diagnostics.map((x) => x.code).sort();

test("issue 17 item 1: a workspace folder that is a subfolder of the project sees the whole project (as symbic check)", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(join(fx.dir, "agents"), { diagnosticsDelay: 5 });
    client.open(fx.agentUri, AGENT, 1);
    const d = await client.diagnosticsFor(fx.agentUri, 1);
    // No false "unknown type File" / "unknown function detect_format": lib/ is read too.
    assert.equal(codes(d), ["W0100", "W0400"], JSON.stringify(d.diagnostics));
    const def = await client.request("textDocument/definition", {
      ...td(fx.agentUri),
      position: positionOf(AGENT, "detect_format("),
    });
    assert.is(def[0].uri, fx.typesUri, "cross-file definition");
    const refs = await client.request("textDocument/references", {
      ...td(fx.agentUri),
      position: positionOf(AGENT, "File)"),
      context: { includeDeclaration: true },
    });
    assert.ok(refs.length >= 3, `references of File across files: ${JSON.stringify(refs)}`);
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 1: a folder-less window (no rootUri, no workspace folders) reads the opened file's project", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(undefined, { diagnosticsDelay: 5 });
    client.open(fx.agentUri, AGENT, 1);
    const d = await client.diagnosticsFor(fx.agentUri, 1);
    assert.equal(codes(d), ["W0100", "W0400"], JSON.stringify(d.diagnostics));
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 2: a broken or looping symlink in the workspace is skipped with a warning, the workspace kept", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(fx.dir, { diagnosticsDelay: 5 });
    client.open(fx.agentUri, AGENT, 1);
    const d = await client.diagnosticsFor(fx.agentUri, 1);
    assert.equal(codes(d), ["W0100", "W0400"]);
    const logs = client.notifications
      .filter((n) => n.method === "window/logMessage")
      .map((n) => n.params.message as string);
    assert.ok(
      logs.some((m) => m.includes("dangling.symbi") && m.includes("broken symbolic link")),
      logs.join("\n"),
    );
    assert.ok(logs.some((m) => m.includes("loop-a.symbi") && m.includes("loop")));
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 3: file watchers are registered dynamically; an on-disk change notified through them is seen", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(
      fx.dir,
      { diagnosticsDelay: 5 },
      { workspace: { didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true } } },
    );
    const reg = await (async () => {
      for (let i = 0; i < 100; i++) {
        const r = client.serverRequests.find((q) => q.method === "client/registerCapability");
        if (r) return r;
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    })();
    assert.ok(reg, "client/registerCapability was sent");
    const registration = reg!.params.registrations[0];
    assert.is(registration.method, "workspace/didChangeWatchedFiles");
    const globs = JSON.stringify(registration.registerOptions.watchers);
    for (const pattern of ["*.symbi", "*.clad.toml", "symbi.toml", "toolclad.toml"]) assert.match(globs, pattern);

    // A new library file appears on disk (git pull): the agent's call of it resolves.
    const uses = AGENT.replace("return format;", "return shout(format);");
    client.open(fx.agentUri, uses, 1);
    const d1 = await client.diagnosticsFor(fx.agentUri, 1);
    assert.ok(d1.diagnostics.some((x) => x.code === "E0100" && /shout/.test(x.message)));
    writeFileSync(join(fx.dir, "lib/shout.symbi"), "function shout(s: String) -> String {\n    return s;\n}\n");
    const mark = client.notifications.length;
    client.notify("workspace/didChangeWatchedFiles", {
      changes: [{ uri: pathToFileURL(join(fx.dir, "lib/shout.symbi")).href, type: 1 }],
    });
    await client.waitFor(
      (n) =>
        client.notifications.indexOf(n) >= mark &&
        n.method === "textDocument/publishDiagnostics" &&
        n.params.uri === fx.agentUri &&
        !n.params.diagnostics.some((x: { code: string }) => x.code === "E0100"),
      10_000,
      "shout resolved after the watched-file change",
    );
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 6: document highlight, selection ranges, inlay hints, pull diagnostics, plain-text hover", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    const init = await client.initialize(
      fx.dir,
      { diagnosticsDelay: 5 },
      { textDocument: { diagnostic: {}, hover: { contentFormat: ["plaintext"] } } },
    );
    for (const f of ["documentHighlightProvider", "selectionRangeProvider", "inlayHintProvider", "diagnosticProvider"])
      assert.ok(init.capabilities[f], f);
    client.open(fx.agentUri, AGENT, 1);
    // Pull diagnostics: the client asks; nothing is pushed for the open document.
    const pulled = await client.request("textDocument/diagnostic", td(fx.agentUri));
    assert.is(pulled.kind, "full");
    assert.equal(pulled.items.map((x: { code: string }) => x.code).sort(), ["W0100", "W0400"]);

    const hl = await client.request("textDocument/documentHighlight", {
      ...td(fx.agentUri),
      position: positionOf(AGENT, "format = "),
    });
    assert.is(hl.length, 3, JSON.stringify(hl)); // the `let` and two uses
    assert.is(hl[0].kind, 3, "the declaration is a write");

    const sel = await client.request("textDocument/selectionRange", {
      ...td(fx.agentUri),
      positions: [positionOf(AGENT, "input);")],
    });
    let depth = 0;
    for (let r = sel[0]; r; r = r.parent) depth++;
    assert.ok(depth >= 4, `nested selection ranges: ${JSON.stringify(sel)}`);
    assert.equal(sel[0].range.start, positionOf(AGENT, "input);"));

    const hints = await client.request("textDocument/inlayHint", {
      ...td(fx.agentUri),
      range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
    });
    const labels = hints.map((h: { label: string }) => h.label);
    assert.ok(labels.includes("who:"), `the tool's parameter name: ${JSON.stringify(hints)}`);
    assert.ok(labels.includes("ms"), "the unit of a bare-number timeout");

    const hover = await client.request("textDocument/hover", {
      ...td(fx.agentUri),
      position: positionOf(AGENT, "detect_format("),
    });
    assert.is(hover.contents.kind, "plaintext");
    assert.not.match(hover.contents.value, "```");
    assert.match(hover.contents.value, "function detect_format(f: File) -> String");
    assert.not.ok(
      client.notifications.some((n) => n.method === "textDocument/publishDiagnostics" && n.params.uri === fx.agentUri),
      "a pulling client is not also pushed the same diagnostics",
    );
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

const SETTINGS = `type Person = {
    name: String,
    age: int,
}

agent greeter(who: String) -> String {
    capabilities = ["greet"]

    policy p {
        allow: ["greet"]
        require: { signature_verification: true, rate_limiting: "10/hour" }
        audit: { log_level: "info" }
    }

    with sandbox = "process", timeout = 10s {
        let person = Person { name: who, age: 3 };
        let g = greet(person.name);
        return g.raw_output;
    }
}
`;

test("issue 17 item 6: require/audit setting keys and allow action strings complete; setting keys hover; record fields rename", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(fx.dir, { diagnosticsDelay: 5 });
    const uri = pathToFileURL(join(fx.dir, "agents/settings.symbi")).href;
    client.open(uri, SETTINGS, 1);
    const published = await client.diagnosticsFor(uri, 1);
    assert.equal(codes(published), [], "the file checks clean");
    const labels = async (needle: string, delta = 0) =>
      (
        await client.request("textDocument/completion", { ...td(uri), position: positionOf(SETTINGS, needle, delta) })
      ).items.map((i: { label: string }) => i.label);

    // Keys of the record of a `require:` / `audit:` rule: the checker's settings schema.
    const requireKeys = await labels("signature_verification");
    for (const k of ["rate_limiting", "sandbox_tier", "timeout_per_request", "signature_verification"])
      assert.ok(requireKeys.includes(k), `${k} in ${requireKeys.join(",")}`);
    assert.not.ok(requireKeys.includes("log_level"), "audit keys are not require keys");
    const auditKeys = await labels("log_level");
    for (const k of ["log_level", "retention_days", "include_input"])
      assert.ok(auditKeys.includes(k), `${k} in ${auditKeys.join(",")}`);
    // An action string in `allow: [...]`.
    const actions = await labels('allow: ["greet"]', 'allow: ["g'.length);
    assert.ok(actions.includes("greet"), `greet in ${actions.join(",")}`);

    const hoverOf = async (needle: string) =>
      (await client.request("textDocument/hover", { ...td(uri), position: positionOf(SETTINGS, needle, 1) })).contents
        .value as string;
    assert.match(await hoverOf("rate_limiting"), REQUIRE_SETTINGS.get("rate_limiting")!.doc);
    assert.match(await hoverOf("log_level"), 'one of "debug"');

    // Renaming a record field renames its declaration, the record literal's key and the member access.
    const edit = await client.request("textDocument/rename", {
      ...td(uri),
      position: positionOf(SETTINGS, "name: String"),
      newName: "full_name",
    });
    const edits = (edit.changes[uri] as Array<{ range: { start: { line: number; character: number } } }>)
      .map((e) => e.range.start)
      .sort((a, b) => a.line - b.line);
    assert.equal(edits, [
      positionOf(SETTINGS, "name: String"),
      positionOf(SETTINGS, "name: who"),
      positionOf(SETTINGS, "name);"),
    ]);
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 6: workspace/configuration settings are read at start and after a change; wrong values are reported", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    let section: unknown = { inlayHints: { parameterNames: false } };
    client.answers.set("workspace/configuration", (p: { items: Array<{ section?: string }> }) =>
      p.items.map((i) => (i.section === "symbiont" ? section : null)),
    );
    await client.initialize(
      fx.dir,
      { diagnosticsDelay: 5 },
      { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } },
    );
    client.open(fx.agentUri, AGENT, 1);
    await client.diagnosticsFor(fx.agentUri, 1);
    const registered = client.serverRequests.filter((r) => r.method === "client/registerCapability");
    assert.ok(
      registered.some((r) =>
        r.params.registrations.some((x: { method: string }) => x.method === "workspace/didChangeConfiguration"),
      ),
      "the server registers for configuration changes",
    );
    const labels = async () =>
      (
        await client.request("textDocument/inlayHint", {
          ...td(fx.agentUri),
          range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
        })
      ).map((h: { label: string }) => h.label);
    assert.equal(await labels(), ["ms"], "parameter names turned off by the setting");

    const asked = () => client.serverRequests.filter((r) => r.method === "workspace/configuration").length;
    const waitAsked = async (n: number) => {
      for (let i = 0; i < 200 && asked() < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.is(asked(), n, "the server asks for the settings again");
    };
    section = { inlayHints: { parameterNames: true, timeoutUnits: false } };
    client.notify("workspace/didChangeConfiguration", { settings: null });
    await waitAsked(2);
    assert.equal(await labels(), ["who:"]);

    // A value of the wrong type: reported, and the setting keeps its value.
    section = { inlayHints: { parameterNames: "yes" }, diagnosticsDelay: "fast" };
    client.notify("workspace/didChangeConfiguration", { settings: null });
    await waitAsked(3);
    const warned = await client.waitFor(
      (n) =>
        n.method === "window/logMessage" && /inlayHints\.parameterNames must be true or false/.test(n.params.message),
    );
    assert.ok(warned);
    await client.waitFor((n) => n.method === "window/logMessage" && /diagnosticsDelay must be/.test(n.params.message));
    assert.equal(await labels(), ["who:"]);
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test("issue 17 item 7: codeAction without context is InvalidParams; no literal placeholders without snippet support", async () => {
  const fx = project();
  const client = new LspClient();
  try {
    await client.initialize(fx.dir, { diagnosticsDelay: 5 });
    client.open(fx.agentUri, AGENT, 1);
    await client.diagnosticsFor(fx.agentUri, 1);
    const r = await client.raw("textDocument/codeAction", {
      ...td(fx.agentUri),
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    });
    assert.is(r.error?.code, -32602, JSON.stringify(r));
    const text = AGENT.replace("        return format;", "        l\n        return format;");
    client.replace(fx.agentUri, text, 2);
    await client.diagnosticsFor(fx.agentUri, 2);
    const c = await client.request("textDocument/completion", {
      ...td(fx.agentUri),
      position: positionOf(text, "        l\n", 9),
    });
    const let_ = c.items.find((i: { label: string }) => i.label === "let");
    assert.ok(let_, "let is offered");
    assert.not.ok((let_.insertText ?? "").includes("name"), `no template text: ${JSON.stringify(let_)}`);
  } finally {
    await client.shutdown();
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test.run();
