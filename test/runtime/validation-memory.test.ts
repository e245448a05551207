/**
 * Remembered Cedar validations (compiler/emit/cedar/validate.ts ValidationMemory,
 * runtime/exec/validation-memory.ts): an input Cedar validated without an error is not validated
 * again; a failing one always is; the key changes with every part of the input; the memory on
 * disk is used only when it is this user's alone.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProject } from "../../compiler/emit/build.js";
import { validatePolicies, validationKey, type ValidationMemory } from "../../compiler/emit/cedar/validate.js";
import { MAX_ENTRIES, validationMemory, validationMemoryDir } from "../../runtime/exec/validation-memory.js";
import { REPO } from "../helpers/corpus.js";
import { runCli } from "../helpers/cli.js";
import { buildText } from "../build/helpers.js";
import { FETCH } from "../build/contracts.js";

const work = mkdtempSync(join(tmpdir(), "symbi-validation-memory-"));
const AGENT = `agent a(name: String) {\n    capabilities = ["fetch"]\n    policy p {\n        allow: fetch(u) if u.starts_with("https://") && user.role == "x"\n    }\n    with sandbox = "Tier1", timeout = 5s {\n        return 1;\n    }\n}\n`;

/** A memory in a Map, counting what it was asked. */
function mapMemory(): ValidationMemory & { keys: Set<string>; asked: number } {
  const keys = new Set<string>();
  const m = {
    keys,
    asked: 0,
    has: (k: string) => {
      m.asked++;
      return keys.has(k);
    },
    remember: (k: string) => void keys.add(k),
  };
  return m;
}

function compiled() {
  const out = buildText(AGENT, { contracts: { fetch: FETCH }, check: false });
  const b = out.bundles[0]!;
  const c = b.cedar;
  return { policies: [...c.emitted!.main, ...c.emitted!.approval], schema: c.schema!, at: c.emitted!.main[0]!.rule };
}

test("an input that passed is remembered, and not validated again", () => {
  const { policies, schema, at } = compiled();
  const memory = mapMemory();
  const first = validatePolicies(policies, schema, { file: at.file, span: at.span }, memory);
  assert.equal(first.diagnostics, []);
  assert.is(first.remembered, undefined, "the first time, Cedar validates");
  assert.equal([...memory.keys], [validationKey(policies, schema)]);
  const second = validatePolicies(policies, schema, { file: at.file, span: at.span }, memory);
  assert.equal(second, { diagnostics: [], millis: 0, remembered: true });
});

test("an input that fails is never remembered: the failure is reported every time", () => {
  const { policies, schema, at } = compiled();
  // A compiler bug, simulated: the generated text reads an attribute the schema does not have.
  const broken = policies.map((p, i) =>
    i === 0 ? { ...p, text: p.text.replace("context.user.role ==", "context.user.rolez ==") } : p,
  );
  assert.is.not(broken[0]!.text, policies[0]!.text);
  const memory = mapMemory();
  for (let i = 0; i < 2; i++) {
    const v = validatePolicies(broken, schema, { file: at.file, span: at.span }, memory);
    assert.is(v.diagnostics[0]?.code, "E0611");
    assert.is(v.remembered, undefined);
  }
  assert.is(memory.keys.size, 0);
  // Even when the passing input is remembered, the broken one (another key) is validated.
  validatePolicies(policies, schema, { file: at.file, span: at.span }, memory);
  assert.is(memory.keys.size, 1);
  assert.is(validatePolicies(broken, schema, { file: at.file, span: at.span }, memory).diagnostics[0]?.code, "E0611");
});

test("the key changes with each policy's text and id, the set of policies and the schema", () => {
  const { policies, schema } = compiled();
  const key = validationKey(policies, schema);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.is(validationKey(policies, structuredClone(schema)), key, "the same input, the same key");
  const p0 = policies[0]!;
  const variants = [
    [{ ...p0, text: `${p0.text} ` }, ...policies.slice(1)],
    [{ ...p0, id: `${p0.id}x` }, ...policies.slice(1)],
    policies.slice(1),
    [...policies, p0],
  ];
  for (const v of variants) assert.is.not(validationKey(v, schema), key);
  const other = structuredClone(schema) as Record<string, { entityTypes: Record<string, unknown> }>;
  other.Symbi!.entityTypes.Extra = {};
  assert.is.not(validationKey(policies, other as never), key);
});

test("a build in memory with a memory validates once; the bundles are the same", () => {
  const memory = mapMemory();
  const build = () =>
    buildProject({
      projectDir: join(REPO, "test/build/fixtures/empty"),
      sources: [{ file: "agents/test.symbi", bytes: Buffer.from(AGENT) }],
      contractTexts: [{ file: "tools/fetch.clad.toml", text: FETCH }],
      compilerVersion: "test",
      validationMemory: memory,
    });
  const first = build();
  const second = build();
  assert.is(memory.keys.size, 1);
  assert.is(second.bundles[0]!.cedarValidationMs, 0);
  const files = (b: typeof first) =>
    [...b.bundles[0]!.files].filter(([name]) => name !== "bundle.sig").map(([n, v]) => [n, v.toString("base64")]);
  assert.equal(files(second), files(first));
});

test("where: XDG_CACHE_HOME, else ~/.cache (a relative XDG_CACHE_HOME is not used)", () => {
  assert.is(validationMemoryDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }), "/x/symbi/cedar-validated");
  assert.is(validationMemoryDir({ XDG_CACHE_HOME: "rel", HOME: "/h" }), "/h/.cache/symbi/cedar-validated");
  assert.is(validationMemoryDir({ HOME: "/h" }), "/h/.cache/symbi/cedar-validated");
});

const KEY = "a".repeat(64);

function diskMemory(name: string) {
  const base = join(work, name, "symbi");
  const memory = validationMemory({ XDG_CACHE_HOME: join(work, name) })!;
  assert.ok(memory, "a memory where the platform has users");
  return { base, dir: join(base, "cedar-validated"), memory };
}

test("on disk: remembered across memories, in folders and files of this user alone", () => {
  const { base, dir, memory } = diskMemory("plain");
  assert.is(memory.has(KEY), false);
  memory.remember(KEY);
  assert.is(memory.has(KEY), true);
  assert.is(validationMemory({ XDG_CACHE_HOME: join(work, "plain") })!.has(KEY), true, "another run reads it");
  assert.is(lstatSync(base).mode & 0o777, 0o700);
  assert.is(lstatSync(dir).mode & 0o777, 0o700);
  assert.is(lstatSync(join(dir, KEY)).mode & 0o777, 0o600);
  assert.equal(readdirSync(dir), [KEY], "no part file is left");
  // Anything but a key is neither remembered nor looked up.
  memory.remember("../escape");
  memory.remember(KEY.toUpperCase());
  assert.equal(readdirSync(dir), [KEY]);
  assert.is(memory.has("../cedar-validated/" + KEY), false);
});

test("on disk: a folder others can write, a linked folder, a linked or altered entry is not used", () => {
  const { base, dir, memory } = diskMemory("guarded");
  memory.remember(KEY);
  assert.is(memory.has(KEY), true);
  for (const [path, mode] of [
    [dir, 0o720],
    [dir, 0o702],
    [base, 0o770],
  ] as const) {
    chmodSync(path, mode);
    assert.is(memory.has(KEY), false, `${path} mode ${mode.toString(8)}`);
    const other = "b".repeat(64);
    memory.remember(other);
    assert.is(readdirSync(dir).includes(other), false, "nor written to");
    chmodSync(path, 0o700);
    assert.is(memory.has(KEY), true, "the control");
  }
  // The entry: another content, a link to a good one, writable by others.
  writeFileSync(join(dir, "c".repeat(64)), `${"d".repeat(64)}\n`, { mode: 0o600 });
  assert.is(memory.has("c".repeat(64)), false);
  symlinkSync(join(dir, KEY), join(dir, "e".repeat(64)));
  assert.is(memory.has("e".repeat(64)), false);
  chmodSync(join(dir, KEY), 0o622);
  assert.is(memory.has(KEY), false);
  // The folder itself a link to a good folder.
  const linked = join(work, "linked");
  mkdirSync(join(linked, "symbi"), { recursive: true, mode: 0o700 });
  symlinkSync(dir, join(linked, "symbi", "cedar-validated"));
  chmodSync(join(dir, KEY), 0o600);
  assert.is(validationMemory({ XDG_CACHE_HOME: linked })!.has(KEY), false);
});

const isRoot = process.getuid?.() === 0;
(isRoot ? test : test.skip)("on disk: a folder or entry of another user is not used (needs root to make one)", () => {
  const { base, dir, memory } = diskMemory("owners");
  memory.remember(KEY);
  chownSync(join(dir, KEY), 65534, 65534);
  assert.is(memory.has(KEY), false, "the entry");
  chownSync(join(dir, KEY), 0, 0);
  chownSync(dir, 65534, 65534);
  assert.is(memory.has(KEY), false, "the folder");
  chownSync(dir, 0, 0);
  chownSync(base, 65534, 65534);
  assert.is(memory.has(KEY), false, "its parent");
  chownSync(base, 0, 0);
  assert.is(memory.has(KEY), true, "the control");
});

test("on disk: past MAX_ENTRIES the folder starts again; a folder that cannot be made is no memory", () => {
  const { dir, memory } = diskMemory("full");
  memory.remember(KEY);
  for (let i = 0; i < MAX_ENTRIES; i++) writeFileSync(join(dir, i.toString(16).padStart(64, "0")), "x");
  const last = "f".repeat(64);
  memory.remember(last);
  assert.equal(readdirSync(dir), [last]);
  assert.is(memory.has(last), true);
  // A file where the folder should be: nothing is remembered, nothing throws.
  const blocked = join(work, "blocked");
  writeFileSync(blocked, "");
  const m = validationMemory({ XDG_CACHE_HOME: blocked })!;
  m.remember(KEY);
  assert.is(m.has(KEY), false);
});

test("symbi exec FILE.symbi remembers its validation; the next run gives the same result", () => {
  const cache = join(work, "exec-cache");
  const args = ["exec", join(REPO, "examples/quickstart/agent.symbi"), "--input", '{"name": "Ada", "number": 360}'];
  const env = { XDG_CACHE_HOME: cache };
  const first = runCli("symbi", args, { env });
  assert.is(first.status, 0, first.stderr);
  const entries = readdirSync(join(cache, "symbi", "cedar-validated"));
  assert.is(entries.length, 1);
  const second = runCli("symbi", args, { env });
  assert.is(second.status, 0, second.stderr);
  assert.is(second.stdout, first.stdout);
  assert.equal(readdirSync(join(cache, "symbi", "cedar-validated")), entries);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
