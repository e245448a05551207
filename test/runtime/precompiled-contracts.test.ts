/**
 * A bundle's contracts.json (compiler/contracts/precompiled.ts, issue 13): the tool contracts as
 * `symbic build` resolved them, loaded by `symbi exec` without a TOML parser. These tests keep it
 * faithful (the same contracts the runtime parses from the bundle's TOML, for every example), keep
 * its generated validator fresh, and refuse every way the file can disagree with the bundle.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildDir, buildText } from "../build/helpers.js";
import { sealBundle } from "../../compiler/emit/bundle.js";
import { loadContractSources } from "../../compiler/contracts/load.js";
import {
  PRECOMPILED_CONTRACTS_FILE,
  parsePrecompiledContracts,
  precompiledContractsText,
} from "../../compiler/contracts/precompiled.js";
import { precompiledContractsValidatorSource } from "../../compiler/contracts/precompiled-codegen.js";
import type { ToolContract } from "../../compiler/contracts/model.js";
import { bundleFromFiles } from "../../runtime/exec/bundle.js";
import { BundleError, type BundleFiles } from "../../formats/bundle.js";
import type { AgentBundle } from "../../compiler/emit/build.js";
import { REPO } from "../helpers/corpus.js";

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** The contracts the runtime parses from a bundle's own TOML (the path a bundle without contracts.json takes). */
function fromToml(files: BundleFiles): Map<string, ToolContract> {
  const tomls = [...files.keys()].filter((p) => /^tools\/[^/]+\.clad\.toml$/.test(p)).sort();
  const toolclad = files.get("toolclad.toml");
  const r = loadContractSources(
    tomls.map((p) => ({ file: p, text: files.get(p)!.toString("utf8") })),
    toolclad ? { file: "toolclad.toml", text: toolclad.toString("utf8") } : undefined,
  );
  assert.equal(
    r.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  return r.contracts;
}

const EXAMPLES: Array<[string, string]> = [
  ["quickstart", "."],
  ["seed-policies", "agents"],
  ["log-triage", "."],
  ["diff-review", "."],
  ["kubernetes", "."],
];

function exampleBundles(): AgentBundle[] {
  return EXAMPLES.flatMap(([name, sub]) => buildDir(join(REPO, "examples", name), { sub }).bundles);
}

/** The bundle's files with `change` applied (a file's new bytes, or undefined to remove it), sealed again. */
function resealed(b: AgentBundle, change: Record<string, string | undefined>): BundleFiles {
  const files: BundleFiles = new Map([...b.files].filter(([p]) => p !== "bundle.json"));
  for (const [p, text] of Object.entries(change)) {
    if (text === undefined) files.delete(p);
    else files.set(p, Buffer.from(text));
  }
  const manifest = JSON.parse(b.files.get("bundle.json")!.toString("utf8")) as {
    sources: Array<{ path: string }>;
  };
  // The sources' hashes only need to be some hashes here: they are recorded, not re-read.
  return sealBundle(
    b.agent,
    files,
    manifest.sources.map((s) => ({ path: s.path, bytes: s.path })),
    "test",
  );
}

function load(files: BundleFiles) {
  return bundleFromFiles(files.get("bundle.json")!.toString("utf8"), files, "bundle");
}

function refused(files: BundleFiles, message: RegExp): void {
  try {
    load(files);
  } catch (e) {
    assert.instance(e, BundleError);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`the bundle should be refused (${message})`);
}

test("the generated contracts.json validator is what ajv generates from the schema (else run npm run validators:sync)", () => {
  const file = readFileSync(join(REPO, "compiler/contracts/precompiled.validator.ts"), "utf8");
  assert.ok(file === precompiledContractsValidatorSource(), "compiler/contracts/precompiled.validator.ts is stale");
});

test("every example's contracts.json holds exactly the contracts the runtime parses from its TOML", () => {
  let checked = 0;
  for (const b of exampleBundles()) {
    const text = b.files.get(PRECOMPILED_CONTRACTS_FILE);
    const tomls = [...b.files.keys()].filter((p) => p.startsWith("tools/") && p.endsWith(".clad.toml"));
    if (tomls.length === 0) {
      assert.not.ok(text, `${b.agent}: no contracts, no contracts.json`);
      continue;
    }
    assert.ok(text, `${b.agent} carries contracts.json`);
    const r = parsePrecompiledContracts(text!.toString("utf8"), tomls);
    assert.ok(r.ok, r.ok ? "" : r.problem);
    if (!r.ok) continue;
    assert.equal(plain([...r.contracts]), plain([...fromToml(b.files)]), b.agent);
    // And the runtime loads the bundle with them.
    assert.equal(plain([...load(b.files).contracts]), plain([...r.contracts]));
    checked++;
  }
  assert.ok(checked >= 5, `contracts checked in ${checked} example bundles`);
});

const quick = () => buildDir(join(REPO, "examples/quickstart"), { sub: "." }).bundles[0]!;
const doc = (b: AgentBundle) =>
  JSON.parse(b.files.get(PRECOMPILED_CONTRACTS_FILE)!.toString("utf8")) as {
    format: string;
    contracts: Array<Record<string, unknown>>;
  };

test("the runtime runs what contracts.json says, once the bundle's hashes cover it", () => {
  const b = quick();
  const d = doc(b);
  const greet = d.contracts.find((c) => c.name === "greet")!;
  (greet as { timeoutSeconds: number }).timeoutSeconds = 3;
  const text = JSON.stringify(d);
  assert.is(load(resealed(b, { [PRECOMPILED_CONTRACTS_FILE]: text })).contracts.get("greet")!.timeoutSeconds, 3);
  // The same change without new hashes is tampering.
  const tampered = new Map(b.files);
  tampered.set(PRECOMPILED_CONTRACTS_FILE, Buffer.from(text));
  refused(tampered, /contracts\.json does not match its hash in bundle\.json/);
});

test("a bundle without contracts.json (built before it existed) still loads its contracts from the TOML", () => {
  const b = quick();
  const old = resealed(b, { [PRECOMPILED_CONTRACTS_FILE]: undefined });
  assert.not.ok(old.has(PRECOMPILED_CONTRACTS_FILE));
  assert.equal(plain([...load(old).contracts]), plain([...load(b.files).contracts]));
});

test("contracts.json that disagrees with the bundle's contract files is refused", () => {
  const b = quick();
  const d = doc(b);
  const without = (name: string) => ({ ...d, contracts: d.contracts.filter((c) => c.name !== name) });
  const greet = d.contracts.find((c) => c.name === "greet")!;
  const cases: Array<[string, unknown, RegExp]> = [
    ["a contract missing", without("greet"), /has no contract for tools\/greet\.clad\.toml/],
    ["a contract twice", { ...d, contracts: [...d.contracts, greet] }, /holds tool `greet` twice/],
    [
      "a contract without its TOML",
      { ...d, contracts: [...d.contracts, { ...greet, name: "extra", file: "tools/extra.clad.toml" }] },
      /tool `extra`, whose tools\/extra\.clad\.toml is not in the bundle/,
    ],
    [
      "a contract from another file",
      { ...d, contracts: d.contracts.map((c) => (c === greet ? { ...c, file: "tools/factor.clad.toml" } : c)) },
      /tool `greet` comes from tools\/factor\.clad\.toml/,
    ],
  ];
  for (const [what, value, message] of cases) {
    try {
      refused(resealed(b, { [PRECOMPILED_CONTRACTS_FILE]: JSON.stringify(value) }), message);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
});

test("contracts.json of the wrong shape is refused, never partly used", () => {
  const b = quick();
  const d = doc(b);
  const edit = (f: (c: Record<string, unknown>) => void) => {
    const copy = structuredClone(d);
    f(copy.contracts.find((c) => c.name === "greet")!);
    return JSON.stringify(copy);
  };
  const cases: Array<[string, string]> = [
    ["not JSON", "{"],
    ["another format", JSON.stringify({ ...d, format: "symbi-contracts/v2" })],
    ["an unknown field", edit((c) => (c.shell = true))],
    ["an MCP binding (only mcp.json declares those)", edit((c) => (c.mcp = { server: "s" }))],
    [
      "a writable mount",
      edit((c) => ((c.sandbox as { mounts: unknown[] }).mounts = [{ source: "/", target: "/x", readOnly: false }])),
    ],
    ["a contract marked invalid", edit((c) => (c.valid = false))],
    ["an unknown base type", edit((c) => ((c.args as Array<Record<string, unknown>>)[0]!.baseType = "shell"))],
    [
      "a network port out of range",
      edit((c) => ((c.sandbox as { network: unknown[] }).network = [{ host: "h", port: 0 }])),
    ],
    [
      "a `when` expression of no known kind",
      edit((c) => {
        (c.command as { conditionals: unknown[] }).conditionals = [
          { name: "x", when: "x", whenExpr: { kind: "eval", code: "1" }, template: "-x" },
        ];
      }),
    ],
  ];
  for (const [what, text] of cases) {
    try {
      refused(
        resealed(b, { [PRECOMPILED_CONTRACTS_FILE]: text }),
        /contracts\.json (is not valid JSON|is not a contracts file)/,
      );
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
});

test("a build writes no contracts.json for contracts that would not read back as they are", () => {
  const c = [...load(quick().files).contracts.values()][0]!;
  assert.is(precompiledContractsText([{ ...c, args: c.args.map((a) => ({ ...a, max: Infinity })) }]), undefined);
  assert.is(precompiledContractsText([{ ...c, valid: false }]), undefined);
  assert.ok(precompiledContractsText([c]));
});

test("a build from in-memory contracts carries contracts.json too", () => {
  const out = buildText(
    `agent a() {
    capabilities = ["greet"]
    policy p { allow: greet(who) }
    with sandbox = "process" { return greet("Ada"); }
}
`,
    { contracts: { greet: readFileSync(join(REPO, "examples/quickstart/tools/greet.clad.toml"), "utf8") } },
  );
  const b = out.bundles[0];
  assert.ok(b, JSON.stringify(out.diagnostics));
  assert.equal(plain([...load(b!.files).contracts]), plain([...fromToml(b!.files)]));
});

test.run();
