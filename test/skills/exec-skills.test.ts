/**
 * Skills in the reasoning loop: `symbi exec` reads each skill the bundle pins from the project,
 * refuses it (exit 3, before anything runs or is logged) when a file was changed, added or
 * removed since the build, and gives the skill's instructions to the model in `reason(...)`,
 * recording each skill by its pinned hash in `reason_start`. The model is a scripted server on
 * loopback; the gate, process sandbox and signed audit log are the real ones.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyFiles } from "../../runtime/audit/keys.js";
import { compileToBundles } from "../../runtime/exec/compile.js";
import { execAgent } from "../../runtime/exec/run.js";
import { SkillPinError, type SkillSignaturePolicy } from "../../runtime/exec/skills.js";
import { TrustStore } from "../../schemapin/pins.js";
import { LocalFileResolver } from "../../schemapin/resolvers.js";
import { SchemaPinVerifier } from "../../schemapin/verify.js";
import { ModelSetup } from "../../runtime/model/setup.js";
import { digestSkill } from "../../schemapin/skill.js";
import { startModelServer, type ModelServer } from "../helpers/model-server.js";
import { runCli } from "../helpers/cli.js";
import { symbi } from "../helpers/symbi.js";
import { envFor, FIXTURE, modelLayers } from "../runtime/model-helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "exec-skills-"));
const servers: ModelServer[] = [];
test.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});
const keyFile = join(tmp, "audit.key");
generateKeyFiles(keyFile);

const SKILL =
  "---\nname: triage\ndescription: Sorts incoming issues by area.\n---\n# Triage\n\nRead the issue and answer with one label: bug, docs or feature.\n";

/** The model fixture project, its `hasty` agent using skills/triage. */
function project(): string {
  const dir = mkdtempSync(join(tmp, "p-"));
  cpSync(FIXTURE, dir, { recursive: true });
  mkdirSync(join(dir, "skills/triage/scripts"), { recursive: true });
  writeFileSync(join(dir, "skills/triage/SKILL.md"), SKILL);
  writeFileSync(join(dir, "skills/triage/scripts/labels.sh"), "#!/bin/sh\necho bug docs feature\n");
  const file = join(dir, "agents/model.symbi");
  const src = readFileSync(file, "utf8");
  // The hasty agent's block (whatever its timeout), given a roomy timeout and the skill.
  const hasty = /(agent hasty\([^]*?)with sandbox = "process", timeout = \w+ \{/;
  assert.ok(hasty.test(src), "the fixture's hasty agent was found");
  // Named twice, spelt two ways: one folder, pinned and given once.
  writeFileSync(
    file,
    src.replace(hasty, '$1with sandbox = "process", timeout = 10s, skills = ["./skills/triage", "skills/triage"] {'),
  );
  return dir;
}

async function run(dir: string, server: ModelServer, skillsRoot: string | undefined) {
  const bundles = (await compileToBundles(join(dir, "agents/model.symbi"))).bundles;
  return { bundles, go: () => exec(bundles, server, skillsRoot) };
}

async function exec(
  bundles: Awaited<ReturnType<typeof compileToBundles>>["bundles"],
  server: ModelServer,
  skillsRoot: string | undefined,
  log = join(tmp, `run-${Math.random().toString(36).slice(2)}.log`),
  skillSignatures?: SkillSignaturePolicy,
) {
  const setup = new ModelSetup({
    layers: modelLayers({ max_retries: 0, timeout: "10s" }, envFor(server), `${server.protocol}:test-model`),
    recorderName: "symbi test",
  });
  try {
    const result = await execAgent({
      bundle: bundles.get("hasty")!,
      peers: new Map(),
      input: { task: "Issue: the README has a typo" },
      model: setup,
      approve: "none",
      auditLog: log,
      keyFile,
      onLog: () => {},
      ...(skillsRoot !== undefined ? { skillsRoot } : {}),
      ...(skillSignatures ? { skillSignatures } : {}),
    });
    return { result, log };
  } finally {
    setup.finish();
  }
}

for (const protocol of ["openai", "anthropic"] as const) {
  test(`${protocol}: reason gives the model the skill's instructions; the audit log records the skill by its pinned hash`, async () => {
    const server = await startModelServer(protocol, [{ text: "docs" }]);
    servers.push(server);
    const dir = project();
    const { go } = await run(dir, server, dir);
    const { result, log } = await go();
    assert.is(result.status, "ok", result.message);
    assert.is(result.value, "docs");
    const body = server.requests[0]!.body as { system?: unknown; messages: Array<{ role: string; content: unknown }> };
    const system = JSON.stringify(protocol === "anthropic" ? body.system : body.messages[0]);
    assert.match(system, /You are quick\./);
    assert.match(system, /<skill name=\\"triage\\" folder=\\"skills\/triage\\">/);
    assert.match(system, /Read the issue and answer with one label: bug, docs or feature\./);
    assert.is(system.split("<skill name=").length, 2, "the skill is given once");
    assert.not.match(system, /description: Sorts/, "the front matter itself is not repeated as YAML");
    const start = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
      .find((r) => r.type === "reason_start")!;
    assert.equal(start.details.skills, [
      {
        folder: "skills/triage",
        name: "triage",
        sha256: `sha256:${digestSkill(join(dir, "skills/triage")).rootHash.toString("hex")}`,
      },
    ]);
  });
}

test("a skill changed, added to or removed from after the build is refused before the run starts (exit 3, nothing logged)", async () => {
  const server = await startModelServer("openai", [{ text: "never asked" }]);
  servers.push(server);
  const dir = project();
  const { bundles } = await run(dir, server, dir);
  const cases: Array<[string, () => void, RegExp]> = [
    [
      "changed",
      () => appendFileSync(join(dir, "skills/triage/SKILL.md"), "\nAlso run scripts/labels.sh --all.\n"),
      /changed SKILL\.md/,
    ],
    [
      "added",
      () => writeFileSync(join(dir, "skills/triage/scripts/extra.sh"), "echo hi\n"),
      /added scripts\/extra\.sh/,
    ],
    ["removed", () => rmSync(join(dir, "skills/triage/scripts/labels.sh")), /removed scripts\/labels\.sh/],
  ];
  for (const [what, edit, message] of cases) {
    writeFileSync(join(dir, "skills/triage/SKILL.md"), SKILL);
    writeFileSync(join(dir, "skills/triage/scripts/labels.sh"), "#!/bin/sh\necho bug docs feature\n");
    rmSync(join(dir, "skills/triage/scripts/extra.sh"), { force: true });
    edit();
    const log = join(tmp, `refused-${what}.log`);
    try {
      await exec(bundles, server, dir, log);
      assert.unreachable(`${what}: the run started`);
    } catch (e) {
      assert.instance(e, SkillPinError, `${what}: ${String(e)}`);
      assert.is((e as SkillPinError).exitCode, 3);
      assert.match((e as Error).message, /skill skills\/triage \(in .*\) is not the skill the bundle was built with/);
      assert.match((e as Error).message, message);
    }
    assert.not.ok(existsSync(log), `${what}: the audit log was not touched`);
  }
  assert.is(server.requests.length, 0, "the model was never asked");
});

test("a bundle that pins skills with no project to read them from is refused", async () => {
  const server = await startModelServer("openai", [{ text: "never asked" }]);
  servers.push(server);
  const dir = project();
  const { go } = await run(dir, server, undefined);
  await go().then(
    () => assert.unreachable("the run started"),
    (e: unknown) => {
      assert.instance(e, SkillPinError);
      assert.match((e as Error).message, /the agent uses skills, but no project folder was given/);
    },
  );
});

test("signatures required: a signed skill runs and reason_start names its signer; unsigned or re-signed by another key, refused", async () => {
  const dir = project();
  const key = join(dir, "signer.pem");
  assert.is((await symbi("tools", "keygen", "--out", key, "--domain", "skills.example")).code, 0);
  mkdirSync(join(dir, "discovery"));
  cpSync(`${key}.schemapin.json`, join(dir, "discovery/skills.example.json"));
  const policy = () => ({
    verifier: new SchemaPinVerifier({
      resolver: new LocalFileResolver(join(dir, "discovery")),
      trustStore: new TrustStore(join(dir, "pins.json")),
      pinOnFirstUse: true,
    }),
    source: "skills.require_signatures, operator file test",
  });
  const server = await startModelServer("openai", [{ text: "docs" }]);
  servers.push(server);
  const bundles = (await compileToBundles(join(dir, "agents/model.symbi"))).bundles;
  const unsigned = await exec(bundles, server, dir, undefined, policy()).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(unsigned, SkillPinError);
  assert.match(
    (unsigned as Error).message,
    /skill skills\/triage .*: signatures are required \(skills\.require_signatures, operator file test\): SIGNATURE_INVALID: .*not signed/,
  );
  const signed = await symbi("skills", "sign", join(dir, "skills/triage"), "--key", key, "--domain", "skills.example");
  assert.is(signed.code, 0, signed.stderr);
  const { result, log } = await exec(bundles, server, dir, undefined, policy());
  assert.is(result.status, "ok", result.message);
  const start = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: { skills?: Array<Record<string, unknown>> } })
    .find((r) => r.type === "reason_start")!;
  const signedBy = start.details.skills![0]!.signedBy as { domain: string; key: string };
  assert.is(signedBy.domain, "skills.example");
  assert.match(signedBy.key, /^sha256:[0-9a-f]{64}$/);
  // Another key claiming the same domain (the discovery document names the first one): refused.
  const other = join(dir, "other.pem");
  await symbi("tools", "keygen", "--out", other, "--domain", "skills.example");
  assert.is(
    (await symbi("skills", "sign", join(dir, "skills/triage"), "--key", other, "--domain", "skills.example")).code,
    0,
  );
  const forged = await exec(bundles, server, dir, undefined, policy()).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(forged, SkillPinError);
  assert.match((forged as Error).message, /signatures are required .*SIGNATURE_INVALID/);
});

test("CLI: [skills] require_signatures in symbi.toml: symbi exec of an unsigned skill exits 3 naming the setting", async () => {
  const dir = project();
  mkdirSync(join(dir, "discovery"));
  writeFileSync(join(dir, "symbi.toml"), '[skills]\nrequire_signatures = true\ndiscovery_dir = "discovery"\n');
  const r = await symbi("exec", join(dir, "agents/model.symbi"), "--agent", "hasty", "--input", '{"task":"x"}');
  assert.is(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /symbi: error: skill skills\/triage .*: signatures are required \(skills\.require_signatures, project file .*symbi\.toml:2:1\): SIGNATURE_INVALID: .*not signed/,
  );
});

test("CLI: symbic build, then the skill is edited: symbi exec of the bundle exits 3 naming the change", async () => {
  const dir = project();
  const built = runCli("symbic", ["build", "agents/model.symbi", "--out", "out"], { cwd: dir });
  assert.is(built.status, 0, built.stderr);
  appendFileSync(join(dir, "skills/triage/SKILL.md"), "\ncurl is fine here\n");
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const r = await symbi("exec", join(dir, "out/hasty"), "--allow-unsigned", "--input", '{"task":"x"}');
    assert.is(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /symbi: error: skill skills\/triage .* is not the skill the bundle was built with \(changed SKILL\.md\)/,
    );
  } finally {
    process.chdir(cwd);
  }
});

test.run();
