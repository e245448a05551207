/**
 * Issue 11 item 7, "project membership": any `.symbi` anywhere under the root
 * (`vendor/some/deep/helper.symbi` with `policy helpers { allow: all_operations }`) silently
 * widened every agent, and an empty nested `tools/` folder silently re-rooted the project and
 * dropped its top-level denies. Membership is now explicit and visible: `[project] sources` in
 * symbi.toml, the root and file count printed by `symbic check`, W0305 naming every agent a
 * top-level allow widens, and E0030 for nested project markers — in check, build and exec alike.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileToBundles, execAgent } from "../../runtime/exec/index.js";
import { runCli } from "../helpers/cli.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const AGENT = `
agent a(name: String) -> String {
    capabilities = ["greet", "factor"]
    policy own { allow: greet(who) }
    with sandbox = "process", timeout = 10s {
        let g = greet(name).raw_output.trim();
        try { return g + " / " + factor(12).raw_output.trim(); }
        catch (PolicyDenied e) { return g + " / factor denied"; }
    }
}
`;

/** A project: symbi.toml (with `toml`), the quick start's tools, agents/a.symbi, and `files`. */
function project(toml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "symbi-members-"));
  cpSync(join(ROOT, "examples/quickstart/tools"), join(dir, "tools"), { recursive: true });
  writeFileSync(join(dir, "symbi.toml"), toml);
  mkdirSync(join(dir, "agents"));
  writeFileSync(join(dir, "agents", "a.symbi"), AGENT);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    if (f.endsWith("/")) mkdirSync(join(dir, f), { recursive: true });
    else writeFileSync(join(dir, f), text);
  }
  return dir;
}

const symbic = (args: string[], cwd: string) => runCli("symbic", args, { cwd });

async function run(dir: string): Promise<unknown> {
  const { bundles } = await compileToBundles(join(dir, "agents", "a.symbi"));
  const r = await execAgent({ bundle: bundles.get("a")!, input: { name: "Ada" }, onLog: () => {} });
  assert.is(r.status, "ok", r.message);
  return r.value;
}

const VENDOR = { "vendor/some/deep/helper.symbi": "policy helpers { allow: all_operations }\n" };

const T = suite("issue 11 item 7: project membership");

T("a stray top-level allow is W0305 naming every agent it widens, even when only the agent is checked", () => {
  const dir = project("", VENDOR);
  const r = symbic(["check", "agents/a.symbi"], dir);
  assert.is(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /vendor\/some\/deep\/helper\.symbi:1:18: warning\[W0305\]: top-level policy `helpers` allows for every agent of the project: it widens `a`/,
  );
});

T("symbic check prints the project root and how many files are its members", () => {
  const dir = project("", VENDOR);
  const r = symbic(["check", "agents/a.symbi"], dir);
  assert.match(r.stderr, /^project \.: 2 source files from every folder under the root$/m);
});

T("[project] sources makes membership explicit: vendor/ is not part of the project", async () => {
  const open = project("", VENDOR);
  assert.is(await run(open), "Hello, Ada! / 12: 2 2 3", "the vendor file's allow widened the agent");
  const closed = project('[project]\nsources = ["agents"]\n', VENDOR);
  const r = symbic(["check", "."], closed);
  assert.is(r.status, 0, r.stderr);
  assert.not.match(r.stderr, /W0305/);
  assert.match(r.stderr, /^project \.: 1 source file from the folders agents \(\[project\] sources, project file /m);
  assert.is(await run(closed), "Hello, Ada! / factor denied");
});

T("[project] sources outside the root, or not a folder, is a located configuration error (exit 3)", () => {
  for (const [value, why] of [
    ['["../elsewhere"]', /sources: \S*elsewhere is outside the project root/],
    ['["missing"]', /sources: missing is not a folder/],
  ] as const) {
    const dir = project(`[project]\nsources = ${value}\n`);
    const r = symbic(["check", "."], dir);
    assert.is(r.status, 3, r.stderr);
    assert.match(r.stderr, /symbi\.toml:2:\d+/);
    assert.match(r.stderr, why);
  }
});

T("[project] sources from the operator's file is refused: it describes a project", () => {
  const dir = project("");
  const operator = join(dir, "..", `${dir.split("/").pop()}-operator.toml`);
  writeFileSync(operator, '[project]\nsources = ["agents"]\n');
  const r = runCli("symbic", ["check", "."], { cwd: dir, env: { SYMBIONT_CONFIG: operator } });
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /project\.sources is declared by a project \(its symbi\.toml\), never by the operator's file/);
});

T("an empty nested tools/ folder no longer re-roots the project silently: E0030 in check, build and exec", async () => {
  // The outer project denies greeting Mallory; agents/tools/ made agents/ a project of its own.
  const dir = project("", {
    "policies.symbi": 'policy no_mallory { deny: greet(who) if who == "Mallory" }\n',
    "agents/tools/": "",
  });
  const inner = symbic(["check", "agents/a.symbi"], dir);
  assert.is(inner.status, 3, inner.stderr);
  assert.match(inner.stderr, /error\[E0030\]: the project at agents lies inside the project at \./);
  const outer = symbic(["check", "."], dir);
  assert.is(outer.status, 3, outer.stderr);
  assert.match(outer.stderr, /error\[E0030\]: `agents` is a project of its own \(it has a tools\/ folder\)/);
  const build = symbic(["build", "agents/a.symbi", "--out", join(dir, "out")], dir);
  assert.is(build.status, 3, build.stderr);
  let refused = false;
  try {
    await compileToBundles(join(dir, "agents", "a.symbi"));
  } catch (e) {
    refused = /E0030|lies inside the project/.test(String((e as Error).message));
  }
  assert.ok(refused, "symbi exec refuses the nested project");
});

T("a nested project left out of [project] sources is fine", () => {
  const dir = project('[project]\nsources = ["agents"]\n', {
    "other/tools/": "",
    "other/b.symbi": 'agent b() -> String { with sandbox = "process", timeout = 5s { return "b"; } }\n',
  });
  const r = symbic(["check", "."], dir);
  assert.not.match(r.stderr, /E0030/);
});

T.run();
