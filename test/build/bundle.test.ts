/**
 * Bundles: byte-identical across builds, hashes that match, sandbox manifests and Kubernetes
 * objects that carry the `with` settings (validated against their schemas), the IR, atomic
 * writes, and the `symbic build` command's output and exit codes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { validateSandboxManifest } from "../../formats/sandbox-manifest.js";
import { irProblem } from "../../formats/ir.js";
import { writeBundle } from "../../compiler/emit/bundle.js";
import { ROOT, buildDir, buildText } from "./helpers.js";
import { tool } from "./contracts.js";

const SEED = join(ROOT, "examples/seed-policies");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

test("two builds are byte-identical, and bundle.json hashes every file", () => {
  const a = buildDir(SEED).bundles[0]!.files;
  const b = buildDir(SEED).bundles[0]!.files;
  assert.equal([...a.keys()], [...b.keys()]);
  for (const [p, data] of a) assert.ok(data.equals(b.get(p)!), p);
  const manifest = JSON.parse(a.get("bundle.json")!.toString());
  assert.is(manifest.format, "symbi-bundle/v1");
  assert.is(manifest.agent, "data_steward");
  assert.equal(manifest.compiler, { name: "symbic", version: "test" });
  assert.equal(Object.keys(manifest.files).sort(), [...a.keys()].filter((p) => p !== "bundle.json").sort());
  for (const [p, h] of Object.entries(manifest.files)) assert.is(sha(a.get(p)!), h, p);
  const src = readFileSync(join(SEED, "agents/data_steward.symbi"));
  assert.equal(manifest.sources, [{ path: "agents/data_steward.symbi", sha256: sha(src) }]);
  // Canonical JSON (RFC 8785): sorted keys, no whitespace.
  assert.ok(a.get("bundle.json")!.toString().startsWith('{"agent":"data_steward","compiler":'));
  assert.equal(
    [...a.keys()],
    [
      "bundle.json",
      "agent.ir.json",
      "approval.cedar",
      "contracts.json",
      "k8s/0.yaml",
      "policies.json",
      "policy.cedar",
      "sandbox/0.json",
      "schema.cedarschema.json",
      "toolclad.toml",
      ...[...a.keys()].filter((p) => p.startsWith("tools/")),
    ],
  );
});

const TIERS = `agent t1() {
    capabilities = ["post"]
    policy p { allow: post(x) }
    with sandbox = "Tier1", timeout = 1500, max_memory_mb = 300, max_cpu_cores = 0.5, max_pids = 20 {
        return 1;
    }
    with sandbox = "Tier2", timeout = 2m, fresh = true {
        return 2;
    }
    with sandbox = "process", timeout = 1s {
        return 3;
    }
}
`;

test("sandbox manifests and Kubernetes objects carry the with settings", () => {
  const out = buildText(TIERS, { contracts: { post: tool("post", { network: ["10.0.0.7:8443"] }) } });
  assert.equal(
    out.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  const files = out.bundles[0]!.files;
  const m0 = JSON.parse(files.get("sandbox/0.json")!.toString());
  assert.ok(validateSandboxManifest(m0).ok);
  assert.equal(
    [
      m0.tier,
      m0.runtime,
      m0.timeoutMs,
      m0.limits,
      m0.user,
      m0.readOnlyRoot,
      m0.capDrop,
      m0.noNewPrivileges,
      m0.seccomp,
    ],
    ["tier1", "runc", 1500, { memoryMb: 300, cpus: 0.5, pids: 20 }, "65534:65534", true, ["ALL"], true, "default"],
  );
  assert.equal(m0.tmpfs, [{ path: "/tmp", mode: "1777", sizeMb: 64 }]);
  assert.equal(m0.network, { mode: "allowlist", allow: [{ host: "10.0.0.7", port: 8443 }] });
  assert.equal(m0.source, { file: "agents/test.symbi", line: 4, column: 5 });
  const m1 = JSON.parse(files.get("sandbox/1.json")!.toString());
  assert.equal([m1.tier, m1.runtime, m1.timeoutMs, m1.fresh], ["tier2", "runsc", 120000, true]);
  assert.is(m0.fresh, undefined, "without `fresh = true` the block's calls share a warm container");
  const m2 = JSON.parse(files.get("sandbox/2.json")!.toString());
  assert.equal([m2.tier, m2.runtime, m2.image], ["process", null, null]);
  assert.ok(!files.has("k8s/2.yaml"), "the process tier has no Kubernetes form");

  for (const n of [0, 1]) {
    const docs = parseAllDocuments(files.get(`k8s/${n}.yaml`)!.toString()).map((d) => d.toJS());
    const np = docs.find((d) => d.kind === "NetworkPolicy") as Record<string, any>;
    const job = docs.find((d) => d.kind === "Job") as Record<string, any>;
    new Job(job as never).validate();
    new NetworkPolicy(np as never).validate();
    const pod = job.spec.template.spec;
    assert.is(pod.runtimeClassName, n === 1 ? "gvisor" : undefined);
    const tools = pod.containers.find((c: { name: string }) => c.name === "tools");
    assert.equal(tools.securityContext.capabilities, { drop: ["ALL"] });
    assert.is(tools.securityContext.readOnlyRootFilesystem, true);
    assert.is(tools.securityContext.allowPrivilegeEscalation, false);
    // The run's timeout plus the Job's start-up allowance.
    assert.is(job.spec.activeDeadlineSeconds, n === 0 ? 2 + 120 : 120 + 120);
    assert.equal(np.spec.policyTypes, ["Ingress", "Egress"]);
    assert.equal(np.spec.egress, [
      { to: [{ ipBlock: { cidr: "10.0.0.7/32" } }], ports: [{ protocol: "TCP", port: 8443 }] },
    ]);
  }
});

test("the IR is the resolved program: every name points at what the checker resolved", () => {
  const files = buildDir(SEED).bundles[0]!.files;
  const text = files.get("agent.ir.json")!.toString();
  const ir = JSON.parse(text);
  assert.is(ir.format, "symbi-ir/v2");
  assert.is(irProblem(ir), undefined);
  assert.is(ir.sourceFile, "agents/data_steward.symbi");
  assert.is(ir.agent.name, "data_steward");
  assert.is(ir.agent.withBlocks.length, 1);
  assert.ok(!text.includes("Comments"), "no comments");
  const code = JSON.stringify([ir.agent.withBlocks, ir.functions]);
  assert.ok(!code.includes('"Identifier"'), "the code holds no unresolved names");
  const refs = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.kind === "Name") refs.add((o.ref as { to: string }).to);
      Object.values(o).forEach(walk);
    }
  };
  walk(ir.agent);
  assert.ok(refs.has("local") && refs.has("tool"), [...refs].join(", "));
});

test("an IR of an older format, or one naming an unknown slot or node, is refused with a clear message", () => {
  const ir = JSON.parse(buildDir(SEED).bundles[0]!.files.get("agent.ir.json")!.toString());
  assert.match(irProblem({ ...ir, format: "symbi-ir/v1" })!, /older format "symbi-ir\/v1"; rebuild/);
  const bad = structuredClone(ir);
  bad.slots = 0;
  assert.match(irProblem(bad)!, /slot/);
  const odd = structuredClone(ir);
  odd.agent.withBlocks[0].body.statements.unshift({ kind: "Eval", span: odd.agent.span });
  assert.match(irProblem(odd)!, /unknown node kind "Eval"/);
});

test("writeBundle replaces a bundle whole, and leaves the old one when writing fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "symbic-bundle-"));
  try {
    const files = buildDir(SEED).bundles[0]!.files;
    writeBundle(dir, "data_steward", files);
    writeFileSync(join(dir, "data_steward", "stale.txt"), "from an older build");
    writeBundle(dir, "data_steward", files);
    assert.ok(!existsSync(join(dir, "data_steward", "stale.txt")), "the old folder is replaced, not merged");
    // A write that fails half-way (a file where a folder must go) leaves the previous bundle.
    const bad = new Map(files);
    bad.set("tools", Buffer.from("x"));
    bad.set("tools/zz.clad.toml", Buffer.from("y"));
    assert.throws(() => writeBundle(dir, "data_steward", bad));
    assert.ok(readFileSync(join(dir, "data_steward", "bundle.json")).equals(files.get("bundle.json")!));
    assert.equal(readdirSync(dir), ["data_steward"], "no temporary folders are left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function symbic(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "compiler/cli/main.ts"), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

test("symbic build: writes one bundle per agent (exit 0); errors write nothing (exit 3)", () => {
  const dir = mkdtempSync(join(tmpdir(), "symbic-cli-"));
  try {
    const ok = symbic(["build", join(SEED, "agents"), "--out", join(dir, "out")]);
    assert.is(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /built data_steward/);
    assert.ok(existsSync(join(dir, "out/data_steward/bundle.json")));
    const proj = join(dir, "bad");
    mkdirSync(join(proj, "tools"), { recursive: true });
    writeFileSync(
      join(proj, "a.symbi"),
      'agent a() {\n    policy p { allow: nosuch(x) }\n    with sandbox = "Tier1" { return 1; }\n}\n',
    );
    const bad = symbic(["build", proj, "--out", join(dir, "out2")]);
    assert.is(bad.status, 3, bad.stderr);
    assert.match(bad.stderr, /a\.symbi:2:23: error\[E0300\]/);
    assert.ok(!existsSync(join(dir, "out2")), "nothing is written");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("issue 10: symbic build A B groups paths by project as symbic check does", () => {
  // `symbic build examples/quickstart examples/seed-policies` reported 11 errors: every path was
  // built in the first path's project. Each project builds on its own, so both together build.
  const dir = mkdtempSync(join(tmpdir(), "symbic-two-"));
  try {
    const quick = join(ROOT, "examples/quickstart");
    const both = symbic(["build", quick, SEED, "--out", join(dir, "out")]);
    assert.is(both.status, 0, both.stderr);
    assert.match(both.stderr, /built quickstart/);
    assert.match(both.stderr, /built data_steward/);
    // A bad project among good ones: its errors, exit 3, and nothing written for any of them.
    const proj = join(dir, "bad");
    mkdirSync(join(proj, "tools"), { recursive: true });
    writeFileSync(
      join(proj, "a.symbi"),
      'agent a() {\n    policy p { allow: nosuch(x) }\n    with sandbox = "Tier1" { return 1; }\n}\n',
    );
    const mixed = symbic(["build", quick, proj, "--out", join(dir, "out2")]);
    assert.is(mixed.status, 3, mixed.stderr);
    assert.match(mixed.stderr, /a\.symbi:2:23: error\[E0300\]/);
    assert.ok(!existsSync(join(dir, "out2")), "nothing is written");
    // Two projects with an agent of the same name cannot share one --out folder.
    const twin = join(dir, "twin");
    mkdirSync(join(twin, "tools"), { recursive: true });
    writeFileSync(
      join(twin, "q.symbi"),
      'agent quickstart() -> String {\n    with sandbox = "process", timeout = 5s { return "x"; }\n}\n',
    );
    const clash = symbic(["build", quick, twin, "--out", join(dir, "out3")]);
    assert.is(clash.status, 1, clash.stderr);
    assert.match(clash.stderr, /agent `quickstart` is in two projects/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
