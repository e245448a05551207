/**
 * What the honoured settings do (issue 15), through the real CLIs: log_only rollout (refused
 * from a project, visible in every record), audit storage, key and audit off (announced and
 * recorded), trusted bundle keys and unsigned bundles from the configuration, the default
 * sandbox tier, network isolation, the minimum TLS version, key rotation and archiving with
 * verification, and `symbi doctor` with and without Docker, gVisor and keys.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import tls from "node:tls";
import { buildProject } from "../../compiler/emit/build.js";
import { writeBundle } from "../../compiler/emit/bundle.js";
import { loadConfig } from "../../config/index.js";
import { generateKeyFiles, loadPrivateKey } from "../../formats/keys.js";
import { BUNDLE_SIGNATURE_FILE, signBundle } from "../../formats/bundle-signature.js";
import { applyProcessSettings } from "../../runtime/cli/settings.js";
import { runSandbox } from "../../runtime/exec/sandbox-settings.js";
import { SandboxSetupError } from "../../runtime/exec/sandboxes.js";
import type { Bundle } from "../../runtime/exec/bundle.js";
import { runDoctor } from "../../runtime/doctor/index.js";
import { symbi, type Run } from "../helpers/symbi.js";
import { dockerUnavailable } from "../helpers/docker.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "symbi-settings-"));
const emptyXdg = join(work, "xdg");
let n = 0;

/** A copy of the e2e fixture project (agents and tools) with an optional symbi.toml. */
function project(toml?: string): string {
  const d = join(work, `project-${++n}`);
  cpSync(join(root, "test/runtime/fixtures/e2e"), d, { recursive: true });
  if (toml !== undefined) writeFileSync(join(d, "symbi.toml"), toml);
  return d;
}

function operatorFile(toml: string): string {
  const f = join(work, `operator-${++n}.toml`);
  writeFileSync(f, toml);
  return f;
}

function keyPair(name: string): string {
  const k = join(work, `${name}-${++n}.key`);
  generateKeyFiles(k);
  return k;
}

/** Runs `symbi` in this process with environment variables set for the call only (no user config). */
async function run(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith("SYMBIONT_")) delete process.env[k];
  Object.assign(process.env, { XDG_CONFIG_HOME: emptyXdg, ...env });
  try {
    return await symbi(...args);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

interface Rec {
  seq: number;
  type: string;
  details: Record<string, unknown>;
}
const records = (log: string): Rec[] =>
  readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec);

const L = suite("policy enforcement: log_only");

L("log_only from the environment: the would-be denial is recorded, announced, and the run continues", async () => {
  const p = project();
  const key = keyPair("audit");
  const storage = join(work, "storage-lo");
  const r = await run(
    { SYMBIONT_POLICY_ENFORCEMENT: "log_only", SYMBIONT_AUDIT_STORAGE: storage, SYMBIONT_AUDIT_SIGNING_KEY: key },
    "exec",
    join(p, "agents/uncaught.symbi"),
    "--input",
    '{"number": 5000}',
    "--compact",
  );
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '"5000: 2 2 2 5 5 5 5\\n"\n', "the denied call ran");
  assert.match(r.stderr, /^symbi: warning: policy enforcement is log_only \(environment SYMBIONT_POLICY_ENFORCEMENT\)/);
  assert.match(r.stderr, /log_only: `factor` of agent `uncaught` would be denied \(uncaught\.rules\.1: /);
  const log = join(storage, "audit.log");
  const recs = records(log).filter((x) => x.type !== "genesis" && x.type !== "checkpoint");
  assert.ok(recs.length >= 4);
  assert.ok(
    recs.every((x) => x.details.enforcement === "log_only"),
    "every record of the run says log_only",
  );
  const decision = recs.find((x) => x.type === "decision")!;
  assert.equal([decision.details.decision, decision.details.enforced], ["deny", false]);
  assert.is(
    recs.find((x) => x.type === "run_start")!.details.enforcementSetBy,
    "environment SYMBIONT_POLICY_ENFORCEMENT",
  );
  assert.ok(
    recs.some((x) => x.type === "tool_start"),
    "the tool started",
  );
  // strict (the default) on the same log: denied, exit 2.
  const strict = await run(
    { SYMBIONT_AUDIT_STORAGE: storage, SYMBIONT_AUDIT_SIGNING_KEY: key },
    "exec",
    join(p, "agents/uncaught.symbi"),
    "--input",
    '{"number": 5000}',
  );
  assert.is(strict.code, 2);
  const verify = await run({}, "audit", "verify", log, "--pubkey", `${key}.pub`);
  assert.is(verify.code, 0, verify.stdout + verify.stderr);
});

L("log_only from a project's symbi.toml is refused before anything runs, at its line", async () => {
  const p = project('# a project may not switch enforcement off\n[security]\npolicy_enforcement_mode = "log_only"\n');
  const r = await run({}, "exec", join(p, "agents/uncaught.symbi"), "--input", '{"number": 5000}');
  assert.is(r.code, 3);
  assert.is(r.stdout, "");
  assert.is(
    r.stderr,
    `symbi: error: ${p}/symbi.toml:3:1: security.policy_enforcement_mode = "log_only" may only be set by the operator (the operator's file, SYMBIONT_POLICY_ENFORCEMENT), never by a project\n`,
  );
});

const A = suite("audit settings: storage, key, on and off");

A("audit storage and key from the operator's file: every run is audited there", async () => {
  const key = keyPair("audit");
  const storage = join(work, "storage-a");
  const op = operatorFile(
    `[security]\naudit_storage_path = "${storage}"\naudit_signing_key = "${key}"\naudit_enabled = true\n`,
  );
  const r = await run(
    { SYMBIONT_CONFIG: op },
    "exec",
    join(root, "test/runtime/fixtures/e2e/agents/uncaught.symbi"),
    "--input",
    '{"number": 6}',
  );
  assert.is(r.code, 0, r.stderr);
  assert.ok(records(join(storage, "audit.log")).some((x) => x.type === "run_start"));
  // Auditing on without storage is refused.
  const noStorage = operatorFile("[security]\naudit_enabled = true\n");
  const refused = await run(
    { SYMBIONT_CONFIG: noStorage },
    "exec",
    join(root, "test/runtime/fixtures/e2e/agents/uncaught.symbi"),
    "--input",
    '{"number": 6}',
  );
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /auditing is on \(security\.audit_enabled, operator file .*\) but no log is configured/);
});

A("audit off by the operator: announced at run start and recorded in the log, signed", async () => {
  const key = keyPair("audit");
  const storage = join(work, "storage-off");
  const op = operatorFile(
    `[security]\naudit_storage_path = "${storage}"\naudit_signing_key = "${key}"\naudit_enabled = false\n`,
  );
  const r = await run(
    { SYMBIONT_CONFIG: op },
    "exec",
    join(root, "test/runtime/fixtures/e2e/agents/uncaught.symbi"),
    "--input",
    '{"number": 6}',
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^symbi: warning: the audit log is OFF \\(security\\.audit_enabled = false, operator file ${op}:4:1\\): run [0-9a-f-]+ is not recorded`,
    ),
  );
  const recs = records(join(storage, "audit.log"));
  assert.equal(
    recs.map((x) => x.type),
    ["genesis", "audit_disabled", "checkpoint"],
  );
  assert.is(recs[1]!.details.setBy, `operator file ${op}:4:1`);
  // From the environment too; never from a project.
  const envOff = await run(
    { SYMBIONT_AUDIT_ENABLED: "false" },
    "exec",
    join(root, "test/runtime/fixtures/e2e/agents/uncaught.symbi"),
    "--input",
    '{"number": 6}',
  );
  assert.match(
    envOff.stderr,
    /the audit log is OFF \(security\.audit_enabled = false, environment SYMBIONT_AUDIT_ENABLED\)/,
  );
  const p = project("[security]\naudit_enabled = false\n");
  const fromProject = await run({}, "exec", join(p, "agents/uncaught.symbi"), "--input", '{"number": 6}');
  assert.is(fromProject.code, 3);
  assert.match(fromProject.stderr, /audit_enabled = false may only be set by the operator/);
});

const B = suite("bundle trust from the configuration");

function signedBuild(key: string | null): string {
  const p = join(root, "test/runtime/fixtures/e2e");
  const out = buildProject({
    projectDir: p,
    sources: [{ file: "agents/uncaught.symbi", bytes: readFileSync(join(p, "agents/uncaught.symbi")) }],
  });
  const files = new Map(out.bundles[0]!.files);
  if (key) files.set(BUNDLE_SIGNATURE_FILE, Buffer.from(signBundle(files.get("bundle.json")!, loadPrivateKey(key))));
  return writeBundle(join(work, `build-${++n}`), "uncaught", files);
}

B(
  "trusted keys from the operator's file or the environment; unsigned bundles only when the operator allows",
  async () => {
    const release = keyPair("release");
    const dir = signedBuild(release);
    const op = operatorFile(`[bundles]\ntrusted_keys = ["${release}.pub"]\n`);
    const ok = await run({ SYMBIONT_CONFIG: op }, "exec", dir, "--input", '{"number": 6}', "--compact");
    assert.is(ok.code, 0, ok.stderr);
    const env = await run({ SYMBIONT_TRUSTED_BUNDLE_KEYS: `${release}.pub` }, "exec", dir, "--input", '{"number": 6}');
    assert.is(env.code, 0, env.stderr);
    const untrusted = await run({}, "exec", dir, "--input", '{"number": 6}');
    assert.is(untrusted.code, 3);

    const unsigned = signedBuild(null);
    const allowed = await run(
      { SYMBIONT_CONFIG: operatorFile("[bundles]\nallow_unsigned = true\n") },
      "exec",
      unsigned,
      "--input",
      '{"number": 6}',
    );
    assert.is(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /running UNSIGNED bundle .*allowed by operator file .*:2:1/);
  },
);

const X = suite("sandbox, network and TLS settings");

X("default_sandbox_tier raises a block that names no tier, and never touches one that does", async () => {
  const p = project();
  const agent = join(p, "agents/untiered.symbi");
  writeFileSync(agent, "agent untiered(x: int) {\n    with timeout = 10s {\n        x + 1\n    }\n}\n");
  const key = keyPair("audit");
  const storage = join(work, "storage-tier");
  const audit = { SYMBIONT_AUDIT_STORAGE: storage, SYMBIONT_AUDIT_SIGNING_KEY: key };
  const raised = await run(
    { SYMBIONT_DEFAULT_SANDBOX_TIER: "gvisor", ...audit },
    "exec",
    agent,
    "--input",
    '{"x": 1}',
    "--agent",
    "untiered",
  );
  if (raised.code === 0) {
    assert.is(raised.stdout.trim(), "2");
    const start = records(join(storage, "audit.log")).find((x) => x.type === "run_start")!;
    assert.equal(
      [start.details.sandbox, start.details.sandboxTierFrom],
      ["tier2", "default_sandbox_tier (environment SYMBIONT_DEFAULT_SANDBOX_TIER)"],
    );
  } else {
    // Without Docker or gVisor here: the raised tier is refused, never downgraded to Tier1.
    assert.match(raised.stderr, /tier2 needs gVisor|Docker daemon not reachable/, raised.stderr);
  }
  // A process-tier block keeps its tier (the default never applies to a block that names one).
  const kept = await run(
    { SYMBIONT_DEFAULT_SANDBOX_TIER: "gvisor" },
    "exec",
    join(p, "agents/uncaught.symbi"),
    "--input",
    '{"number": 6}',
  );
  assert.is(kept.code, 0, kept.stderr);
});

X("network_isolation refuses a block whose sandbox allows network, naming the setting", () => {
  const bundle = {
    agent: "net",
    entry: { attributes: [{ name: { name: "sandbox" } }] },
    sandbox: {
      tier: "tier1",
      runtime: "runc",
      network: { mode: "allowlist", allow: [{ host: "10.0.0.1", port: 443 }] },
    },
  } as unknown as Bundle;
  assert.throws(
    () => runSandbox(bundle, { networkIsolation: "operator file /etc/symbi/symbi.toml:9:1" }),
    (e: unknown) =>
      e instanceof SandboxSetupError && /network_isolation is true \(operator file/.test((e as Error).message),
  );
  assert.is(runSandbox(bundle, {}).manifest, bundle.sandbox, "without it the manifest stands");
});

X("tls_min_version = 1.3 makes a TLS 1.2-only server unreachable; 1.2 reaches it", async () => {
  const identity = "symbi";
  const psk = Buffer.from("0123456789abcdef0123456789abcdef");
  const server = tls.createServer({
    pskCallback: () => psk,
    ciphers: "PSK-AES128-GCM-SHA256",
    maxVersion: "TLSv1.2",
  });
  server.on("secureConnection", (s) => s.end("hello"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const connect = () =>
    new Promise<string>((done) => {
      const s = tls.connect({
        host: "127.0.0.1",
        port,
        ciphers: "PSK-AES128-GCM-SHA256",
        checkServerIdentity: () => undefined,
        pskCallback: () => ({ psk, identity }),
      });
      let got = "";
      s.on("data", (d) => (got += d));
      s.on("end", () => done(`ok ${got}`));
      s.on("error", (e) => done(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
  const before = tls.DEFAULT_MIN_VERSION;
  try {
    applyProcessSettings(
      loadConfig({
        env: { SYMBIONT_CONFIG: "" },
        operatorFiles: [operatorFile('[security]\ntls_min_version = "1.3"\n')],
      }),
    );
    assert.is(tls.DEFAULT_MIN_VERSION, "TLSv1.3");
    assert.match(await connect(), /^error /);
    applyProcessSettings(
      loadConfig({ env: {}, operatorFiles: [operatorFile('[security]\ntls_min_version = "1.2"\n')] }),
    );
    assert.is(await connect(), "ok hello");
  } finally {
    tls.DEFAULT_MIN_VERSION = before;
    server.close();
  }
});

const R = suite("key rotation and archiving through the CLI");

R(
  "keygen --rotate records the rotation signed by both keys; verify names each key; archive + verify; tampering detected",
  async () => {
    const key = keyPair("audit");
    const storage = join(work, "storage-rot");
    const op = operatorFile(
      `[security]\naudit_storage_path = "${storage}"\naudit_signing_key = "${key}"\naudit_retention_days = 1\n`,
    );
    const env = { SYMBIONT_CONFIG: op };
    const agent = join(root, "test/runtime/fixtures/e2e/agents/uncaught.symbi");
    assert.is((await run(env, "exec", agent, "--input", '{"number": 6}')).code, 0);
    const oldPub = readFileSync(`${key}.pub`, "utf8");
    const rot = await run(env, "keygen", "--rotate");
    assert.is(rot.code, 0, rot.stderr);
    assert.match(
      rot.stdout,
      /rotated the key of .*audit\.log: [0-9a-f]{16}… → [0-9a-f]{16}… \(recorded at seq \d+, signed by both\)/,
    );
    assert.is.not(readFileSync(`${key}.pub`, "utf8"), oldPub, "the new key took the old one's place");
    const retired = readdirSync(work).find(
      (f) => f.startsWith(`${key.split("/").pop()}.`) && f.endsWith(".pub") && f !== `${key.split("/").pop()}.pub`,
    )!;
    assert.ok(retired, "the old public key is kept");
    assert.is(
      (await run(env, "exec", agent, "--input", '{"number": 6}')).code,
      0,
      "the next run signs with the new key",
    );
    const v = await run(env, "audit", "verify");
    assert.is(v.code, 0, v.stdout + v.stderr);
    assert.is(
      v.stdout.split("\n").filter((l) => /^key [0-9a-f]{64} signs seq/.test(l)).length,
      2,
      "two key segments named",
    );
    // The old key proves the log too (it signed the hand-over).
    assert.is((await run(env, "audit", "verify", "--pubkey", join(work, retired))).code, 0);

    // Archive everything older than tomorrow, then verify archive + live log.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const arch = await run(env, "audit", "archive", "--before", tomorrow);
    assert.is(arch.code, 0, arch.stderr);
    assert.match(arch.stdout, /^archived records seq 1–\d+ of .* to .*archive\/audit\.log\.1-\d+\.jsonl/);
    const archive = join(storage, "archive", readdirSync(join(storage, "archive"))[0]!);
    const live = join(storage, "audit.log");
    const both = await run(env, "audit", "verify", archive, live);
    assert.is(both.code, 0, both.stdout + both.stderr);
    const head = /^head (\d+:[0-9a-f]{64})$/m.exec(both.stdout)![1]!;
    assert.is((await run(env, "audit", "verify", archive, live, "--expect-head", head)).code, 0);
    // Tampering: an archived record edited (the archive is read-only: the attacker chmods it).
    chmodSync(archive, 0o640);
    const lines = readFileSync(archive, "utf8").split("\n");
    lines[2] = lines[2]!.replace('"ts":"2', '"ts":"1');
    writeFileSync(archive, lines.join("\n"));
    const bad = await run(env, "audit", "verify", archive, live);
    assert.is(bad.code, 3);
    assert.match(bad.stdout, new RegExp(`^FAILED ${archive}:3: edited`));
    // Default --before from the retention days (1 day): nothing that old.
    const retention = await run(env, "audit", "archive");
    assert.is(retention.code, 0, retention.stderr);
    assert.match(retention.stdout, /nothing to archive/);
  },
);

const D = suite("symbi doctor");

D(
  "with the machine's Docker: agents in process tier need nothing; a missing image fails the project that uses it",
  async () => {
    const quick = await runDoctor({ path: join(root, "examples/quickstart"), env: { XDG_CONFIG_HOME: emptyXdg } });
    assert.ok(quick.ok, JSON.stringify(quick.findings, null, 1));
    assert.ok(quick.findings.some((f) => f.subject === "Node.js" && f.status === "ok"));
    if ((await dockerUnavailable()) !== null) {
      console.log("  (skipped: the Docker parts of doctor need a Docker daemon and the sandbox image)");
      return;
    }
    const e2e = await runDoctor({ path: join(root, "test/runtime/fixtures/e2e"), env: { XDG_CONFIG_HOME: emptyXdg } });
    assert.is(e2e.ok, false);
    const image = e2e.findings.find((f) => f.subject === "image symbi-no-such-image:0")!;
    assert.equal([image.status, /used by agent ghost/.test(image.detail)], ["fail", true]);
    const present = e2e.findings.find((f) => f.subject === "image symbi-sandbox:1")!;
    assert.match(present.detail, /present, sha256:[0-9a-f]{64}/);
    const gvisor = e2e.findings.find((f) => f.subject === "gVisor (runsc)")!;
    // Tier2 is needed by the fixture's gvisor agent: ok only when runsc is really gVisor here.
    assert.ok(
      gvisor.status === "ok"
        ? /gVisor.s own kernel, with seccomp applied inside/.test(gvisor.detail)
        : gvisor.status === "fail",
      gvisor.detail,
    );
  },
);

D("without Docker: fails for a project that needs containers, passes for one that does not", async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${join(work, "no-docker.sock")}`;
  try {
    const e2e = await runDoctor({ path: join(root, "test/runtime/fixtures/e2e"), env: { XDG_CONFIG_HOME: emptyXdg } });
    const docker = e2e.findings.find((f) => f.subject === "Docker")!;
    assert.equal([e2e.ok, docker.status], [false, "fail"]);
    assert.match(
      docker.detail,
      /not reachable at unix:\/\/.*no-docker\.sock .*needed by agents containers, ghost, gvisor/,
    );
    const quick = await runDoctor({ path: join(root, "examples/quickstart"), env: { XDG_CONFIG_HOME: emptyXdg } });
    assert.ok(quick.ok);
    assert.is(quick.findings.find((f) => f.subject === "Docker")!.status, "skip");
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

D(
  "keys: a signing key others can read, a missing key and a configuration error fail; good keys and a clean log pass",
  async () => {
    const good = keyPair("audit");
    const storage = join(work, "storage-doc");
    const op = operatorFile(
      `[security]\naudit_storage_path = "${storage}"\naudit_signing_key = "${good}"\nkey_rotation_interval_days = 90\naudit_retention_days = 30\n`,
    );
    const env = { SYMBIONT_CONFIG: op, XDG_CONFIG_HOME: emptyXdg };
    const quick = join(root, "examples/quickstart");
    assert.is(
      (
        await run(
          { SYMBIONT_CONFIG: op },
          "exec",
          join(quick, "agent.symbi"),
          "--input",
          '{"name": "Ada", "number": 6}',
        )
      ).code,
      0,
    );
    const fine = await runDoctor({ path: quick, env });
    assert.ok(fine.ok, JSON.stringify(fine.findings, null, 1));
    for (const s of ["audit log", "audit key rotation", "audit retention"])
      assert.is(fine.findings.find((f) => f.subject === s)?.status, "ok", s);
    chmodSync(good, 0o644);
    const loose = await runDoctor({ path: quick, env });
    const f = loose.findings.find((x) => x.subject.startsWith("audit key"))!;
    assert.equal([loose.ok, f.status], [false, "fail"]);
    assert.match(f.detail, /accessible by group or others/);
    assert.match(f.fix!, /chmod 600/);
    chmodSync(good, 0o600);
    const missing = await runDoctor({
      path: quick,
      env: { ...env, SYMBIONT_BUNDLE_SIGNING_KEY: join(work, "nope.key") },
    });
    assert.equal(
      [missing.ok, missing.findings.find((x) => x.subject.startsWith("bundle signing key"))!.status],
      [false, "fail"],
    );
    const badConfig = await runDoctor({ path: quick, env: { ...env, SYMBIONT_AUDIT_ENABLD: "1" } });
    assert.is(badConfig.ok, false);
    assert.match(
      badConfig.findings.find((x) => x.subject === "configuration")!.detail,
      /did you mean SYMBIONT_AUDIT_ENABLED/,
    );
    // The CLI: exit 0 only when nothing failed.
    const cli = await run(
      { SYMBIONT_CONFIG: op, DOCKER_HOST: `unix://${join(work, "no-docker.sock")}` },
      "doctor",
      quick,
    );
    assert.is(cli.code, 0, cli.stdout);
    assert.match(cli.stdout, /checks: .* 0 failed/);
    assert.ok(existsSync(join(storage, "audit.log")));
  },
);

D.after(() => rmSync(work, { recursive: true, force: true }));
for (const s of [L, A, B, X, R, D]) s.run();
