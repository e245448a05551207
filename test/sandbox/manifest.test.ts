import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import {
  DEFAULT_SANDBOX_IMAGE,
  InvalidSandboxManifestError,
  SANDBOX_ID_RANGE,
  assertSandboxManifest,
  defaultSandboxManifest,
  isLoaderVariable,
  manifestForTool,
  parseSandboxManifest,
  sandboxManifestFileName,
  sandboxIdentity,
  sandboxManifestSchema,
  serializeSandboxManifest,
  validateSandboxManifest,
  type SandboxManifest,
} from "../../formats/sandbox-manifest.js";
import { sandboxTierFromDsl, withAttributeForPath } from "../../stdlib/with-attributes.js";

const base = (): SandboxManifest => defaultSandboxManifest({ agent: "scanner", tier: "tier1" });

/** Errors of a manifest changed by `edit`, as "path: message" strings. */
function errorsOf(edit: (m: Record<string, any>) => void): string[] {
  const m = structuredClone(base()) as Record<string, any>;
  edit(m);
  const r = validateSandboxManifest(m);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

function assertRejectedAt(edit: (m: Record<string, any>) => void, path: string): void {
  const errs = errorsOf(edit);
  assert.ok(errs.length > 0, `expected an error at ${path}, got none`);
  assert.ok(
    errs.some((e) => e.startsWith(`${path}: `)),
    `expected an error at ${path}, got ${JSON.stringify(errs)}`,
  );
}

test("defaults are valid for every tier and pick the tier's runtime", () => {
  for (const [tier, runtime] of [
    ["tier1", "runc"],
    ["tier2", "runsc"],
    ["process", null],
  ] as const) {
    const m = defaultSandboxManifest({ agent: "a", tier });
    const r = validateSandboxManifest(m);
    assert.ok(r.ok, JSON.stringify(r));
    assert.is(m.runtime, runtime);
    assert.is(m.image, tier === "process" ? null : DEFAULT_SANDBOX_IMAGE);
    assert.is(m.user, "65534:65534");
    assert.equal(m.tmpfs, [{ path: "/tmp", mode: "1777", sizeMb: 64 }]);
    assert.equal(m.network, { mode: "none" });
    assert.is(m.apiVersion, "symbi.dev/v1");
  }
});

test("builder options land in the manifest", () => {
  const m = defaultSandboxManifest({
    agent: "curator",
    tier: "tier2",
    block: 1,
    source: { file: "agents/c.symbi", line: 52, column: 5 },
    memoryMb: 1024,
    cpus: 0.5,
    pids: 32,
    timeoutMs: 5000,
    tmpSizeMb: 16,
    network: { mode: "allowlist", allow: [{ host: "10.0.0.0/8", port: 443 }] },
    env: { LANG: "C" },
  });
  assert.ok(validateSandboxManifest(m).ok);
  assert.equal(m.limits, { memoryMb: 1024, cpus: 0.5, pids: 32 });
  assert.is(m.timeoutMs, 5000);
  assert.is(m.block, 1);
  assert.is(m.source?.line, 52);
  assert.is(m.tmpfs[0]!.sizeMb, 16);
  assert.equal(m.env, { LANG: "C" });
});

test("security settings cannot be weakened", () => {
  assertRejectedAt((m) => (m.readOnlyRoot = false), "/readOnlyRoot");
  assertRejectedAt((m) => (m.capDrop = []), "/capDrop");
  assertRejectedAt((m) => (m.capDrop = ["NET_RAW"]), "/capDrop");
  assertRejectedAt((m) => (m.noNewPrivileges = false), "/noNewPrivileges");
  assertRejectedAt((m) => (m.seccomp = "unconfined"), "/seccomp");
});

test("the user must be numeric and non-root", () => {
  for (const user of ["0:0", "0:65534", "65534:0", "root", "sandbox:sandbox", "65534", "-1:5"]) {
    assertRejectedAt((m) => (m.user = user), "/user");
  }
  assert.equal(
    errorsOf((m) => (m.user = "65100:65100")),
    [],
  );
});

test("item 1: uid/gid that wrap to root, privileged groups and people's ids are refused by the manifest", () => {
  for (const user of ["4294967295:1000", "1000:4294967295", "65534:106", "65534:42", "1000:1000", "65535:65534"]) {
    assertRejectedAt((m) => (m.user = user), "/user");
    assert.throws(() => sandboxIdentity(user), /outside the sandbox range/);
  }
  for (const user of ["65000:65000", "65534:65534", "65100:65533"]) {
    assert.equal(
      errorsOf((m) => (m.user = user)),
      [],
    );
    assert.ok(sandboxIdentity(user).uid >= SANDBOX_ID_RANGE.min);
  }
});

test("tier, runtime and image must agree", () => {
  assertRejectedAt((m) => (m.tier = "tier2"), "/runtime"); // tier2 with runc: no silent downgrade
  assertRejectedAt((m) => (m.runtime = "runsc"), "/runtime");
  assertRejectedAt((m) => (m.image = null), "/image");
  assertRejectedAt((m) => ((m.tier = "process"), (m.runtime = null)), "/image");
  assertRejectedAt((m) => (m.tier = "tier3"), "/tier");
  assertRejectedAt((m) => (m.image = "Bad Image!"), "/image");
});

test("structure is strict: unknown, missing and mistyped fields are reported by JSON pointer", () => {
  assertRejectedAt((m) => (m.extra = 1), "/extra");
  assertRejectedAt((m) => (m.limits.swapMb = 1), "/limits/swapMb");
  assertRejectedAt((m) => delete m.timeoutMs, "/timeoutMs");
  assertRejectedAt((m) => delete m.limits.pids, "/limits/pids");
  assertRejectedAt((m) => (m.limits.memoryMb = 2.5), "/limits/memoryMb");
  assertRejectedAt((m) => (m.limits.memoryMb = 0), "/limits/memoryMb");
  assertRejectedAt((m) => (m.limits.cpus = 0), "/limits/cpus");
  assertRejectedAt((m) => (m.timeoutMs = -1), "/timeoutMs");
  assertRejectedAt((m) => (m.apiVersion = "symbi.dev/v2"), "/apiVersion");
  assertRejectedAt((m) => (m.kind = "Pod"), "/kind");
  assertRejectedAt((m) => (m.block = -1), "/block");
  assertRejectedAt((m) => (m.workdir = "tmp"), "/workdir");
  assertRejectedAt((m) => (m.agent = "9lives"), "/agent");
});

test("tmpfs must include /tmp, with distinct paths and octal modes", () => {
  assertRejectedAt((m) => (m.tmpfs = [{ path: "/work", mode: "1777", sizeMb: 8 }]), "/tmpfs");
  assertRejectedAt((m) => m.tmpfs.push({ path: "/tmp/", mode: "1777", sizeMb: 8 }), "/tmpfs/1/path");
  assertRejectedAt((m) => (m.tmpfs[0].mode = "rwx"), "/tmpfs/0/mode");
  assertRejectedAt((m) => (m.tmpfs[0].path = "/"), "/tmpfs/0/path");
  assert.equal(
    errorsOf((m) => m.tmpfs.push({ path: "/run", mode: "0755", sizeMb: 1 })),
    [],
  );
});

test("network: none has no allow list; an allowlist needs one", () => {
  assertRejectedAt((m) => (m.network = { mode: "none", allow: [{ host: "a", port: 1 }] }), "/network/allow");
  assertRejectedAt((m) => (m.network = { mode: "allowlist" }), "/network/allow");
  assertRejectedAt((m) => (m.network = { mode: "allowlist", allow: [] }), "/network/allow");
  assertRejectedAt(
    (m) => (m.network = { mode: "allowlist", allow: [{ host: "a b", port: 1 }] }),
    "/network/allow/0/host",
  );
  assertRejectedAt(
    (m) => (m.network = { mode: "allowlist", allow: [{ host: "a", port: 70000 }] }),
    "/network/allow/0/port",
  );
  assertRejectedAt((m) => (m.network = { mode: "open" }), "/network/mode");
  assert.equal(
    errorsOf(
      (m) => (m.network = { mode: "allowlist", allow: [{ host: "api.example.org", port: 443, protocol: "tcp" }] }),
    ),
    [],
  );
});

test("env: names must be identifiers; HOME and TMPDIR are reserved", () => {
  assertRejectedAt((m) => (m.env = { HOME: "/root" }), "/env/HOME");
  assertRejectedAt((m) => (m.env = { TMPDIR: "/" }), "/env/TMPDIR");
  assertRejectedAt((m) => (m.env = { "A-B": "x" }), "/env/A-B");
  assertRejectedAt((m) => (m.env = { A: 1 }), "/env/A");
  assert.equal(
    errorsOf((m) => (m.env = { PATH: "/bin", LANG: "C" })),
    [],
  );
});

test("item 10: loader and C library variables are refused by the manifest", () => {
  for (const name of [
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "GCONV_PATH",
    "GLIBC_TUNABLES",
  ]) {
    assert.equal(
      errorsOf((m) => (m.env = { [name]: "/tmp/evil.so" })),
      [`/env/${name}: is a loader or C library variable, which a sandbox never passes to a tool`],
    );
    assert.ok(isLoaderVariable(name));
  }
  assert.not.ok(isLoaderVariable("LANG"));
  assert.not.ok(isLoaderVariable("OLD_PRELOAD"));
});

test("errors are deterministic, sorted and free of schema noise", () => {
  const m = structuredClone(base()) as Record<string, any>;
  m.user = "0:0";
  m.tier = "process";
  m.zzz = true;
  const r = validateSandboxManifest(m);
  assert.not.ok(r.ok);
  if (r.ok) return;
  const paths = r.errors.map((e) => e.path);
  assert.equal(paths, [...paths].sort());
  assert.ok(!r.errors.some((e) => /"then"|"if"/.test(e.message)), JSON.stringify(r.errors));
  assert.equal(validateSandboxManifest(m), r);
});

test("non-objects and bad JSON are rejected with a root path", () => {
  for (const v of [null, 42, "x", []]) assert.not.ok(validateSandboxManifest(v).ok);
  const r = parseSandboxManifest("{ not json");
  assert.not.ok(r.ok);
  if (!r.ok) assert.is(r.errors[0]!.path, "");
});

test("assertSandboxManifest throws a one-line typed error", () => {
  const m = { ...base(), user: "0:0" };
  try {
    assertSandboxManifest(m);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.instance(e, InvalidSandboxManifestError);
    assert.match((e as Error).message, /^invalid sandbox manifest: \/user: /);
    assert.not.match((e as Error).message, /\n/);
    assert.is((e as InvalidSandboxManifestError).errors[0]!.path, "/user");
  }
});

test("serialisation is stable, ordered and round-trips", () => {
  const m = defaultSandboxManifest({
    agent: "a",
    tier: "tier1",
    env: { Z: "1", A: "2" },
    source: { file: "f", line: 1, column: 2 },
  });
  const text = serializeSandboxManifest(m);
  assert.ok(text.endsWith("}\n"));
  const keys = Object.keys(JSON.parse(text));
  assert.equal(keys.slice(0, 6), ["apiVersion", "kind", "agent", "block", "source", "tier"]);
  assert.equal(Object.keys(JSON.parse(text).env), ["A", "Z"]);
  // A shuffled copy serialises identically.
  const shuffled = Object.fromEntries(Object.entries(m).reverse()) as unknown as SandboxManifest;
  assert.is(serializeSandboxManifest(shuffled), text);
  const back = parseSandboxManifest(text);
  assert.ok(back.ok);
  if (back.ok) assert.equal(back.manifest, JSON.parse(text));
});

test("property: any in-range builder options give a valid manifest that round-trips", () => {
  const options = fc.record({
    agent: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
    tier: fc.constantFrom("process" as const, "tier1" as const, "tier2" as const),
    block: fc.option(fc.nat(50), { nil: null }),
    memoryMb: fc.integer({ min: 6, max: 1 << 20 }),
    cpus: fc.double({ min: 0.01, max: 64, noNaN: true }),
    pids: fc.integer({ min: 1, max: 100000 }),
    timeoutMs: fc.integer({ min: 1, max: 86400000 }),
    tmpSizeMb: fc.integer({ min: 1, max: 65536 }),
    user: fc
      .tuple(
        fc.integer({ min: SANDBOX_ID_RANGE.min, max: SANDBOX_ID_RANGE.max }),
        fc.integer({ min: SANDBOX_ID_RANGE.min, max: SANDBOX_ID_RANGE.max }),
      )
      .map(([u, g]) => `${u}:${g}`),
  });
  fc.assert(
    fc.property(options, (o) => {
      const m = defaultSandboxManifest(o);
      const r = validateSandboxManifest(m);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      const again = parseSandboxManifest(serializeSandboxManifest(m));
      return again.ok && JSON.stringify(again.manifest) === JSON.stringify(JSON.parse(serializeSandboxManifest(m)));
    }),
    { numRuns: 200 },
  );
});

test("every schema field is documented", () => {
  const undocumented: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (n.properties && typeof n.properties === "object") {
      for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
        if (path.includes("/if") || path.includes("/allOf") || path.includes("/contains")) continue;
        if (typeof v.description !== "string" || v.description.length < 10) undocumented.push(`${path}/${k}`);
        walk(v, `${path}/${k}`);
      }
    }
    if (n.items) walk(n.items, `${path}[]`);
  };
  walk(sandboxManifestSchema, "");
  assert.equal(undocumented, []);
  assert.is(sandboxManifestSchema.additionalProperties, false);
});

test("DSL sandbox values map to tiers like the reference, unsupported ones are errors", () => {
  const tier = (v: string) => {
    const r = sandboxTierFromDsl(v);
    return r.ok ? r.tier : `error: ${r.message}`;
  };
  assert.is(tier('"Tier1"'), "tier1");
  assert.is(tier("docker"), "tier1");
  assert.is(tier("TIER2"), "tier2");
  assert.is(tier('"gVisor"'), "tier2");
  assert.is(tier("process"), "process");
  assert.match(tier("firecracker"), /^error: .*not supported/);
  assert.match(tier("tier0"), /^error: unknown sandbox tier/);
});

test("manifestForTool applies a contract's image/user/workdir and keeps the agent's limits", () => {
  const m = defaultSandboxManifest({ agent: "a", tier: "tier1", memoryMb: 100 });
  const t = manifestForTool(m, { image: "scanner-tools:2", user: "65100:65100", workdir: "/tmp/work" });
  assert.is(t.image, "scanner-tools:2");
  assert.is(t.user, "65100:65100");
  assert.is(t.workdir, "/tmp/work");
  assert.is(t.limits.memoryMb, 100);
  assert.is(m.image, DEFAULT_SANDBOX_IMAGE, "the agent's manifest is not modified");
  assert.throws(
    () => manifestForTool(m, { user: "0:0" }),
    (e: unknown) => e instanceof InvalidSandboxManifestError,
  );
});

test("manifest errors map back to the `with` attribute that set the field", () => {
  const m = defaultSandboxManifest({ agent: "a", tier: "tier1", memoryMb: 1, cpus: -1 });
  const r = validateSandboxManifest(m);
  assert.not.ok(r.ok);
  if (r.ok) return;
  assert.equal(
    r.errors.map((e) => withAttributeForPath(e.path)),
    ["max_cpu_cores", "max_memory_mb"],
  );
  assert.is(withAttributeForPath("/network/allow/0/host"), "network_policy");
  assert.is(withAttributeForPath("/user"), undefined);
  assert.is(withAttributeForPath("/limits"), undefined);
});

test("manifest file names", () => {
  assert.is(sandboxManifestFileName({ agent: "a", block: null }), "a.sandbox.json");
  assert.is(sandboxManifestFileName({ agent: "a", block: 2 }), "a.with2.sandbox.json");
});

test("the image script and the TypeScript agree on the default image name", () => {
  const r = spawnSync("bash", ["scripts/build-sandbox-image.sh", "--print-name"], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), DEFAULT_SANDBOX_IMAGE);
});

test.run();
